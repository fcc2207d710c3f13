/** Worker-thread entry of the coverage stage (see workers.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { runTrackWorker } from './workers.js';

if (parentPort) await runTrackWorker(parentPort, workerData);
