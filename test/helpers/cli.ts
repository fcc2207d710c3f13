import { spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './shared.js';

/** The bundled CLI users run (npm run build makes it). */
export const CLI = join(REPO_ROOT, 'dist', 'bin', 'qtlflow.mjs');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built `qtlflow` CLI (npm test builds it first). */
export function runCli(args: string[], bin = CLI): CliResult {
  if (!existsSync(bin)) throw new Error(`${bin} not built: run 'npm run build' first`);
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function tempDir(prefix = 'qtlflow-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Every entry of a directory, hidden temporaries included. */
export function listDir(dir: string): string[] {
  return readdirSync(dir).sort();
}

/** Runs the built CLI without blocking, so independent runs can overlap. */
export function runCliAsync(args: string[], bin = CLI): Promise<CliResult> {
  if (!existsSync(bin)) throw new Error(`${bin} not built: run 'npm run build' first`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, NODE_OPTIONS: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Runs the CLI with each argument list, `concurrency` at a time; results in input order. */
export async function runCliAll(
  argLists: string[][],
  concurrency = availableParallelism(),
): Promise<CliResult[]> {
  const out: CliResult[] = new Array(argLists.length);
  let next = 0;
  const lane = async () => {
    while (next < argLists.length) {
      const i = next++;
      out[i] = await runCliAsync(argLists[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
  return out;
}

/** Runs an external tool (bgzip, tabix, bcftools, …) and returns its stdout; a non-zero exit throws with its stderr. */
export function runTool(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}): ${r.stderr}`);
  return r.stdout;
}
