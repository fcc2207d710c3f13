/**
 * Matrix products C = A·Bᵀ split by rows of A over worker threads (`--threads`). A, B and C live in
 * SharedArrayBuffers, so a worker computes its rows in place with the portable kernel and nothing is copied.
 * Each element is the same ordered dot product whichever thread computes it, so results are bit-identical for
 * any thread count.
 */
import { Worker } from 'node:worker_threads';
import { gemmBackend } from './gemm.js';
import { BUNDLED } from '../runner/bundle.js';

/** A Float64Array backed by a SharedArrayBuffer (what the pool's workers can see). */
export function sharedFloat64(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(Math.max(1, length) * 8), 0, length);
}

export interface GemmJob {
  a: Float64Array;
  b: Float64Array;
  c: Float64Array;
  /** Rows of A (and C) this job computes. */
  rowStart: number;
  rowEnd: number;
  p: number;
  n: number;
}

/** Runs one job on its views (the worker's body; also used by the main thread for its own share). */
export function runGemmJob(job: GemmJob): void {
  const { a, b, c, rowStart, rowEnd, p, n } = job;
  const rows = rowEnd - rowStart;
  if (rows <= 0) return;
  gemmBackend().gemmABt(
    a.subarray(rowStart * n, rowEnd * n),
    rows,
    b,
    p,
    n,
    c.subarray(rowStart * p, rowEnd * p),
  );
}

export class GemmPool {
  private readonly workers: Worker[] = [];
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

  /** `threads` − 1 workers; the calling thread computes a share too. */
  constructor(readonly threads: number) {
    const url = BUNDLED
      ? new URL('./gemm-worker.mjs', import.meta.url)
      : new URL('./gemm-worker.js', import.meta.url);
    for (let i = 1; i < threads; i++) {
      const w = new Worker(url);
      w.on('message', (m: { id: number; error?: string }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.error) p.reject(new Error(m.error));
        else p.resolve();
      });
      w.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
      this.workers.push(w);
    }
  }

  /** C (m × p) = A (m × n) · Bᵀ (B p × n), all row-major on shared buffers when the pool has workers. */
  async gemmABt(
    a: Float64Array,
    m: number,
    b: Float64Array,
    p: number,
    n: number,
    c: Float64Array,
  ): Promise<void> {
    const parts = this.workers.length + 1;
    if (parts === 1 || m < 8) {
      gemmBackend().gemmABt(a, m, b, p, n, c);
      return;
    }
    // contiguous row ranges, multiples of 4 (the kernel's block) except the last
    const step = Math.ceil(m / parts / 4) * 4;
    const waits: Promise<void>[] = [];
    for (let w = 0; w < this.workers.length; w++) {
      const rowStart = (w + 1) * step;
      const rowEnd = Math.min(m, rowStart + step);
      if (rowStart >= rowEnd) break;
      const id = this.nextId++;
      waits.push(
        new Promise<void>((resolve, reject) => {
          this.pending.set(id, { resolve, reject });
          this.workers[w].postMessage({ id, job: { a, b, c, rowStart, rowEnd, p, n } });
        }),
      );
    }
    runGemmJob({ a, b, c, rowStart: 0, rowEnd: Math.min(m, step), p, n });
    await Promise.all(waits);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}
