/**
 * Executes the runner's steps (dag.ts) on this machine: each step is the stage's own command line in a child
 * process (as a Nextflow task would run it), its log kept beside its outputs. Resumable, as `nextflow -resume`:
 * a step is skipped when its record in OUTDIR/.qtlflow-run says it completed with the same command line and the
 * same input files (path, size, modification time — Nextflow's default cache key), and every output its run
 * summary lists is still there. Stages are deterministic (fixed seeds) and write atomically, so a skipped step's
 * outputs are what a re-run would write.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../io/errors.js';
import { BUNDLED } from './bundle.js';
import type { Step } from './dag.js';
import { packageRoot } from './dag.js';

export interface StepResult {
  id: string;
  process: string;
  status: 'ran' | 'cached';
  seconds: number;
  code: number;
}

export interface ExecuteOptions {
  outdir: string;
  resume: boolean;
  /** Called with one line per event (step started, finished, cached). */
  log: (line: string) => void;
}

/** The bundled CLI the steps run (dist/bin/qtlflow.mjs). */
export function cliPath(): string {
  if (BUNDLED) return fileURLToPath(new URL('./qtlflow.mjs', import.meta.url));
  const p = join(packageRoot(), 'dist', 'bin', 'qtlflow.mjs');
  if (!existsSync(p)) throw new Error(`${p} is not built: run 'npm run build'`);
  return p;
}

function stamp(step: Step): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([step.stage, step.args]));
  for (const f of step.inputs) {
    const s = existsSync(f) ? statSync(f) : undefined;
    h.update(JSON.stringify([f, s?.size ?? -1, s?.mtimeMs ?? -1]));
  }
  return h.digest('hex');
}

function complete(step: Step, record: string, key: string): boolean {
  if (!existsSync(record) || !existsSync(step.summary)) return false;
  try {
    const r = JSON.parse(readFileSync(record, 'utf8')) as { key: string };
    const s = JSON.parse(readFileSync(step.summary, 'utf8')) as { outputs?: string[] };
    return r.key === key && (s.outputs ?? []).every((o) => existsSync(o));
  } catch {
    return false;
  }
}

function runChild(args: string[], logFile: string): Promise<number> {
  mkdirSync(dirname(logFile), { recursive: true });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const child = spawn(process.execPath, [cliPath(), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stderr.on('data', (d: Buffer) => chunks.push(d));
    child.on('close', (code, signal) => {
      writeFileSync(logFile, Buffer.concat(chunks));
      resolve(code ?? (signal ? 128 + 15 : 1));
    });
  });
}

/** Runs the steps in order; stops at the first failure with the step's log in the error. */
export async function executeSteps(steps: Step[], o: ExecuteOptions): Promise<StepResult[]> {
  const records = join(o.outdir, '.qtlflow-run');
  mkdirSync(records, { recursive: true });
  const results: StepResult[] = [];
  for (const [i, step] of steps.entries()) {
    const record = join(records, `${step.id}.json`);
    const key = stamp(step);
    const label = `[${i + 1}/${steps.length}] ${step.id}`;
    if (o.resume && complete(step, record, key)) {
      o.log(`${label}: cached`);
      results.push({ id: step.id, process: step.process, status: 'cached', seconds: 0, code: 0 });
      continue;
    }
    o.log(`${label}: qtlflow ${step.stage} …`);
    const t0 = process.hrtime.bigint();
    const logFile = join(dirname(step.summary), `${step.id}.log`);
    const code = await runChild([step.stage, ...step.args], logFile);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    results.push({ id: step.id, process: step.process, status: 'ran', seconds, code });
    if (code !== 0) {
      const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-15).join('\n');
      const message = `step ${step.id} (qtlflow ${step.stage}) failed with exit code ${code}; log: ${logFile}\n${tail}`;
      if (code === 2) throw new InputError(message);
      throw new Error(message);
    }
    const tmp = `${record}.tmp`;
    writeFileSync(tmp, JSON.stringify({ key, stage: step.stage, args: step.args, seconds }, null, 2) + '\n');
    renameSync(tmp, record);
    o.log(`${label}: done in ${seconds.toFixed(1)} s`);
  }
  return results;
}
