/** What the side-by-side benchmarks share: a child process timed by GNU time, and a backend's GEMM peak. */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { GemmBackend } from '../src/linalg/gemm.js';

export interface Run {
  wall: number;
  cpu: number;
  rssMb: number;
  /** What the command printed on stdout. */
  stdout: string;
}

/**
 * Wall and CPU seconds and peak RSS of one command (GNU time, Debian `time`); `env` is added to the
 * environment, `stdoutTo` also saves its stdout to a file.
 */
export function timed(cmd: string, args: string[], env: Record<string, string> = {}, stdoutTo?: string): Run {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', cmd, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '', ...env },
  });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.slice(-800)}`);
  if (stdoutTo) writeFileSync(stdoutTo, r.stdout);
  const [wall, user, sys, kb] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { wall, cpu: user + sys, rssMb: kb / 1024, stdout: r.stdout };
}

/** The run with the least CPU time (the measure that holds on a loaded machine). */
export function leastCpu(runs: Run[]): Run {
  return runs.reduce((a, b) => (b.cpu < a.cpu ? b : a));
}

/** Single-thread GEMM throughput of a backend on a square-ish product (GFLOP/s). */
export function peak(g: GemmBackend, m: number, p: number, n: number, reps: number): number {
  const a = Float64Array.from({ length: m * n }, (_, i) => Math.sin(i));
  const b = Float64Array.from({ length: p * n }, (_, i) => Math.cos(i));
  const c = new Float64Array(m * p);
  g.gemmABt(a, m, b, p, n, c); // warm-up
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < reps; r++) g.gemmABt(a, m, b, p, n, c);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return (2 * m * p * n * reps) / s / 1e9;
}

/** The fastest of n runs. */
export function best(f: () => Run, n: number): Run {
  let b: Run | undefined;
  for (let i = 0; i < n; i++) {
    const r = f();
    if (!b || r.wall < b.wall) b = r;
  }
  return b!;
}
