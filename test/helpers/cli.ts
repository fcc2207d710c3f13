import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './shared.js';

export const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

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
