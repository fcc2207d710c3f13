/**
 * A cis worker thread: maps the slices of phenotypes the main thread sends (run.ts), with its own genotype
 * reader and window, and posts every result back tagged with its slice.
 */
import { parentPort } from 'node:worker_threads';
import { InputError } from '../../io/errors.js';
import { makeMapper, tasksFromMessage } from './run.js';
import type { SliceRequest, WorkerInit, WorkerMessage } from './run.js';

// A worker is started before the inputs are read (its start-up overlaps the main thread's reading); the first
// message brings the job, every later one a slice.
let init: WorkerInit;
let ready: ReturnType<typeof makeMapper>;
const port = parentPort!;
const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

port.on('message', (msg: { init: WorkerInit } | SliceRequest) => {
  if ('init' in msg) {
    init = msg.init;
    ready = makeMapper(init, tasksFromMessage(init.tasks));
    ready.catch(() => undefined); // reported with the first slice
    return;
  }
  const req = msg;
  void (async () => {
    try {
      const mapper = await ready;
      const before = structuredClone(mapper.stats);
      await mapper.map(
        init.phenotypes,
        req.rows,
        {
          nominal: (chr, batch) =>
            post({ slice: req.slice, event: { type: 'nominal', chr, batch } }, batch.buffers()),
          interaction: (chr, batch) => post({ slice: req.slice, event: { type: 'interaction', chr, batch } }),
          permutation: (row) => post({ slice: req.slice, event: { type: 'permutation', row } }),
          independent: (id, rows, forward) =>
            post({ slice: req.slice, event: { type: 'independent', id, rows, forward } }),
          skipped: (id, reason) => post({ slice: req.slice, event: { type: 'skipped', id, reason } }),
        },
        req.countedThrough,
      );
      // this slice's share of the mapper's running totals
      const s = mapper.stats;
      const stats = structuredClone(s);
      stats.pairs -= before.pairs;
      stats.phenotypesTested -= before.phenotypesTested;
      stats.recordsRead -= before.recordsRead;
      stats.gemmSeconds -= before.gemmSeconds;
      stats.gemmFlops -= before.gemmFlops;
      for (const k of Object.keys(stats.variants) as (keyof typeof stats.variants)[])
        stats.variants[k] -= before.variants[k];
      post({
        slice: req.slice,
        done: {
          stats,
          count: req.rows.length,
          dof: mapper.dof,
          backend: mapper.backendUsed.name,
          detail: mapper.backendUsed.detail,
        },
      });
    } catch (e) {
      const err = e as Error;
      post({
        error: {
          message: err.message,
          stack: err.stack,
          input: e instanceof InputError ? e.context : undefined,
        },
      });
    }
  })();
});
