/**
 * Runs the cis mapper over an ordered list of phenotypes, in this thread or on worker threads. With T > 1
 * threads the list is cut into consecutive slices of at most SLICE phenotypes; idle workers take the next
 * slice, each with its own genotype reader and window, and their results are handed to the sink in slice
 * order, so the output is the same, row for row, as a single-threaded run. Only the slices in flight are
 * buffered (at most ~T slices' nominal rows), never the whole output.
 */
import { Worker } from 'node:worker_threads';
import { InputError } from '../../io/errors.js';
import type { InputErrorContext } from '../../io/errors.js';
import { openGenotypes } from '../../io/genotypes/index.js';
import { Residualizer } from '../../linalg/residualize.js';
import { BUNDLED } from '../../runner/bundle.js';
import { CisMapper, InteractionBatch, NominalBatch, countedThrough, emptyRunStats } from './index.js';
import type {
  CisOptions,
  CisPhenotypes,
  CisRunStats,
  CisSink,
  CisTasks,
  IndependentRow,
  InteractionTask,
  PermutationRow,
  SkipReason,
} from './index.js';

/** The worker's entry: cis-worker.mjs beside the bundle (scripts/bundle.mjs), or worker.js beside this module. */
const WORKER_URL = BUNDLED
  ? new URL('./cis-worker.mjs', import.meta.url)
  : new URL('./worker.js', import.meta.url);

/** Largest slice handed to a worker: bounds the rows buffered while earlier slices finish. */
const SLICE = 128;

export interface CisJob {
  /** Genotype file (any format `openGenotypes` reads); each worker opens its own reader. */
  genotypes: string;
  /** Genotype-file sample index of each analysis sample. */
  genotypeIndex: Int32Array;
  /** Analysis samples × k covariates, row-major. */
  covariates: Float64Array;
  k: number;
  covariateNames: string[];
  phenotypes: CisPhenotypes;
  /** Phenotype rows in mapping order (`phenotypeOrder`, restricted to `--region`). */
  order: Int32Array;
  /** The part of `order` to map now: [from, to) (a `--chunk`, or all of it). */
  from: number;
  to: number;
  options: CisOptions;
  tasks: CisTasks;
}

export interface CisRunResult {
  stats: CisRunStats;
  dof: number;
  backend: string;
  backendDetail: string;
  threads: number;
}

/** Serializable form of the tasks (a Set does not cross the worker boundary as such). */
interface TasksMessage {
  nominal?: boolean;
  permute?: boolean;
  independent?: { phenotypes: string[]; threshold: number };
  interaction?: InteractionTask;
}

export interface WorkerInit {
  genotypes: string;
  genotypeIndex: Int32Array;
  covariates: Float64Array;
  k: number;
  covariateNames: string[];
  phenotypes: CisPhenotypes;
  options: CisOptions;
  tasks: TasksMessage;
}

export type WorkerEvent =
  | { type: 'nominal'; chr: string; batch: NominalBatch }
  | { type: 'interaction'; chr: string; batch: InteractionBatch }
  | { type: 'permutation'; row: PermutationRow }
  | { type: 'independent'; id: string; rows: IndependentRow[]; forward: string[] }
  | { type: 'skipped'; id: string; reason: SkipReason };

export type WorkerMessage =
  | { slice: number; event: WorkerEvent }
  | {
      slice: number;
      done: { stats: CisRunStats; count: number; dof: number; backend: string; detail: string };
    }
  | { error: { message: string; stack?: string; input?: InputErrorContext } };

export interface SliceRequest {
  slice: number;
  rows: Int32Array;
  countedThrough: number;
}

function tasksToMessage(t: CisTasks): TasksMessage {
  return {
    nominal: t.nominal,
    permute: t.permute,
    independent: t.independent && {
      phenotypes: [...t.independent.phenotypes],
      threshold: t.independent.threshold,
    },
    interaction: t.interaction,
  };
}

export function tasksFromMessage(t: TasksMessage): CisTasks {
  return {
    nominal: t.nominal,
    permute: t.permute,
    independent: t.independent && {
      phenotypes: new Set(t.independent.phenotypes),
      threshold: t.independent.threshold,
    },
    interaction: t.interaction,
  };
}

export async function makeMapper(init: WorkerInit | CisJob, tasks: CisTasks): Promise<CisMapper> {
  const reader = await openGenotypes(init.genotypes);
  const n = init.genotypeIndex.length;
  const residualizer = Residualizer.of(n, init.covariates, init.k, init.covariateNames);
  return new CisMapper(reader, init.genotypeIndex, residualizer, init.k, init.options, tasks);
}

export function addStats(a: CisRunStats, b: CisRunStats): void {
  a.pairs += b.pairs;
  a.phenotypesTested += b.phenotypesTested;
  a.recordsRead += b.recordsRead;
  a.gemmSeconds += b.gemmSeconds;
  a.gemmFlops += b.gemmFlops;
  for (const key of Object.keys(a.variants) as (keyof CisRunStats['variants'])[])
    a.variants[key] += b.variants[key];
}

/** Delivers one worker event to the sink. */
function deliver(sink: CisSink, e: WorkerEvent): void {
  if (e.type === 'nominal') sink.nominal?.(e.chr, e.batch);
  else if (e.type === 'interaction') sink.interaction?.(e.chr, e.batch);
  else if (e.type === 'permutation') sink.permutation?.(e.row);
  else if (e.type === 'independent') sink.independent?.(e.id, e.rows, e.forward);
  else sink.skipped(e.id, e.reason);
}

/** Rebuilds a NominalBatch received from a worker (structured clone keeps the fields, not the class). */
export function reviveBatch(b: NominalBatch): NominalBatch {
  return Object.setPrototypeOf(b, NominalBatch.prototype) as NominalBatch;
}

/** The request for rows [from, to) of the order. */
function sliceRequest(job: CisJob, slice: number, from: number, to: number): SliceRequest {
  return {
    slice,
    rows: job.order.slice(from, to),
    countedThrough: countedThrough(job.phenotypes, job.order, from, job.options.window),
  };
}

/**
 * Worker threads started ahead of use, so that their start-up (loading the code) overlaps the main thread's
 * reading of the inputs. `runCis` takes what it needs and stops the rest; `close` stops any left.
 */
export class CisWorkerPool {
  private idle: Worker[];

  constructor(size: number) {
    this.idle = Array.from({ length: size }, () => new Worker(WORKER_URL));
  }

  take(count: number): Worker[] {
    const out = this.idle.splice(0, count);
    while (out.length < count) out.push(new Worker(WORKER_URL));
    this.close();
    return out;
  }

  close(): void {
    for (const w of this.idle.splice(0)) void w.terminate();
  }
}

export async function runCis(
  job: CisJob,
  threads: number,
  sink: CisSink,
  pool?: CisWorkerPool,
): Promise<CisRunResult> {
  const total = job.to - job.from;
  const T = Math.max(1, Math.min(threads, Math.ceil(total / 8)));
  if (T === 1) {
    pool?.close();
    const mapper = await makeMapper(job, job.tasks);
    const req = sliceRequest(job, 0, job.from, job.to);
    await mapper.map(job.phenotypes, req.rows, sink, req.countedThrough);
    return {
      stats: mapper.stats,
      dof: mapper.dof,
      backend: mapper.backendUsed.name,
      backendDetail: mapper.backendUsed.detail,
      threads: 1,
    };
  }
  return runOnWorkers(job, T, sink, pool ?? new CisWorkerPool(0));
}

async function runOnWorkers(
  job: CisJob,
  T: number,
  sink: CisSink,
  pool: CisWorkerPool,
): Promise<CisRunResult> {
  const total = job.to - job.from;
  const size = Math.max(1, Math.min(SLICE, Math.ceil(total / (2 * T))));
  const slices: { from: number; to: number }[] = [];
  for (let from = job.from; from < job.to; from += size)
    slices.push({ from, to: Math.min(job.to, from + size) });

  // phenotype values in shared memory: every worker reads them without a copy
  const shared = new Float64Array(new SharedArrayBuffer(job.phenotypes.values.byteLength));
  shared.set(job.phenotypes.values);
  const init: WorkerInit = {
    genotypes: job.genotypes,
    genotypeIndex: job.genotypeIndex,
    covariates: job.covariates,
    k: job.k,
    covariateNames: job.covariateNames,
    phenotypes: { ...job.phenotypes, values: shared },
    options: job.options,
    tasks: tasksToMessage(job.tasks),
  };
  const stats = emptyRunStats();
  let dof = NaN;
  let backend = 'none';
  let detail = 'no matrix product in this mode';
  // reorder buffer: events of slices after the head wait until the head slice is done
  const pending = new Map<number, WorkerEvent[]>();
  const finished = new Set<number>();
  let head = 0;
  let phenotypesDone = 0;
  let next = 0;
  const workers: Worker[] = [];
  const retired = new Set<Worker>();

  const advance = () => {
    while (finished.has(head)) {
      finished.delete(head);
      head++;
      for (const e of pending.get(head) ?? []) deliver(sink, e);
      pending.delete(head);
    }
  };

  await new Promise<void>((resolve, reject) => {
    let failed = false;
    let running = 0;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      for (const w of workers) void w.terminate();
      reject(err);
    };
    const give = (w: Worker) => {
      if (next >= slices.length) {
        retired.add(w);
        void w.terminate();
        running--;
        if (running === 0 && !failed) resolve();
        return;
      }
      const s = next++;
      const post = () => w.postMessage(sliceRequest(job, s, slices[s].from, slices[s].to));
      // the next slice waits until the sink has room (a writer thread behind it)
      if (sink.ready) sink.ready().then(post, fail);
      else post();
    };
    for (const w of pool.take(T)) {
      w.postMessage({ init });
      workers.push(w);
      running++;
      w.on('message', (m: WorkerMessage) => {
        if ('error' in m) {
          const e = m.error.input
            ? new InputError(m.error.message, m.error.input)
            : new Error(m.error.message);
          if (m.error.stack && !m.error.input) e.stack = m.error.stack;
          fail(e);
          return;
        }
        if ('event' in m) {
          const e =
            m.event.type === 'nominal'
              ? { ...m.event, batch: reviveBatch(m.event.batch) }
              : m.event.type === 'interaction'
                ? {
                    ...m.event,
                    batch: Object.setPrototypeOf(
                      m.event.batch,
                      InteractionBatch.prototype,
                    ) as InteractionBatch,
                  }
                : m.event;
          if (m.slice === head) deliver(sink, e);
          else {
            const list = pending.get(m.slice) ?? [];
            list.push(e);
            pending.set(m.slice, list);
          }
          return;
        }
        addStats(stats, m.done.stats);
        dof = m.done.dof;
        if (m.done.backend !== 'none') {
          backend = m.done.backend;
          detail = m.done.detail;
        }
        phenotypesDone += m.done.count;
        finished.add(m.slice);
        advance();
        sink.progress?.(phenotypesDone);
        give(w);
      });
      w.on('error', (err) => fail(err));
      w.on('exit', (code) => {
        if (!retired.has(w)) fail(new Error(`a cis worker thread stopped unexpectedly (exit code ${code})`));
      });
      give(w);
    }
  });
  return { stats, dof, backend, backendDetail: detail, threads: T };
}
