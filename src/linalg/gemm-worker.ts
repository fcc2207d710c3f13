/** Worker thread of the GEMM pool (./gemm-pool.ts): computes the rows it is sent, on shared buffers. */
import { parentPort } from 'node:worker_threads';
import { runGemmJob } from './gemm-pool.js';
import type { GemmJob } from './gemm-pool.js';

parentPort!.on('message', (m: { id: number; job: GemmJob }) => {
  try {
    runGemmJob(m.job);
    parentPort!.postMessage({ id: m.id });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: (e as Error).message });
  }
});
