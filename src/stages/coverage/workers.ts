/**
 * Groups in parallel: the main thread parses and filters fragments and routes each group's fragments to the
 * worker thread that owns the group (groups are dealt round-robin); each worker bins, scales, smooths and
 * writes its groups' tracks. Batches are transferred (no copy) and at most two are in flight per worker, so
 * memory stays bounded. `TrackSet` is the same interface in-process, for one thread.
 */
import { rmSync } from 'node:fs';
import { BUNDLED } from '../../runner/bundle.js';
import { Worker } from 'node:worker_threads';
import { BedGraphWriter, loadZstd } from '../../io/bedgraph.js';
import type { TrackCompression, TrackWriter } from '../../io/bedgraph.js';
import { BigWigWriter } from '../../io/bigwig.js';
import { TrackBuilder } from './track.js';
import type { CountingStrategy } from './track.js';

export interface TrackSpec {
  /** Temporary path the track is written to. */
  path: string;
  scale: number;
}

export interface TrackSetOptions {
  format: 'bedgraph' | 'bigwig';
  compression: TrackCompression;
  compressionLevel?: number;
  binSize: number;
  strategy: CountingStrategy;
  merge: boolean;
  smoothBase?: number;
  /** bigWig: every chromosome of the assembly. */
  chromList: { name: string; size: number }[];
  zoomReductions: number[];
}

/** Scratch files a bigWig writer keeps beside its output until it closes (removed after a failure). */
export function scratchFiles(spec: TrackSpec, o: TrackSetOptions): string[] {
  return o.format === 'bigwig' ? o.zoomReductions.map((_, i) => `${spec.path}.scratch.zoom${i}`) : [];
}

/** Chromosome names and sizes by reader id (shared with workers as they grow). */
export interface ChromTable {
  names: string[];
  sizes: number[];
}

/** The tracks of some groups, built in this thread. */
export class TrackSet {
  private readonly writers: TrackWriter[];
  private readonly builders: TrackBuilder[];

  constructor(specs: TrackSpec[], o: TrackSetOptions) {
    this.writers = specs.map((s) =>
      o.format === 'bigwig'
        ? new BigWigWriter(s.path, o.chromList, `${s.path}.scratch`, { zoomReductions: o.zoomReductions })
        : new BedGraphWriter(s.path, o.compression, o.compressionLevel),
    );
    this.builders = this.writers.map(
      (w, i) =>
        new TrackBuilder(w, {
          binSize: o.binSize,
          strategy: o.strategy,
          scale: specs[i].scale,
          merge: o.merge,
          smoothBase: o.smoothBase,
        }),
    );
  }

  add(chrom: number, start: number, end: number, track: number, chroms: ChromTable): void {
    this.builders[track].add(chrom, chroms.names[chrom], chroms.sizes[chrom], start, end);
  }

  /** Adds fragments given as [chrom, start, end, track] quadruples. */
  addPacked(data: Float64Array, n: number, chroms: ChromTable): void {
    const b = this.builders;
    for (let i = 0; i < n; i++) {
      const o = i * 4;
      const c = data[o];
      b[data[o + 3]].add(c, chroms.names[c], chroms.sizes[c], data[o + 1], data[o + 2]);
    }
  }

  async drain(_chroms?: ChromTable): Promise<void> {
    await Promise.all(this.writers.map((w) => w.drain()));
  }

  /** Ends the tracks; returns the intervals written per track. */
  async close(_chroms?: ChromTable): Promise<number[]> {
    for (const b of this.builders) b.endChrom();
    for (const w of this.writers) await w.close();
    return this.builders.map((b) => b.records);
  }

  abort(): void {
    for (const w of this.writers) w.abort();
  }
}

type ToWorker =
  | { type: 'batch'; data: Float64Array; n: number; names?: string[]; sizes?: number[] }
  | { type: 'finish' };
type FromWorker = { type: 'ack' } | { type: 'done'; records: number[] } | { type: 'error'; message: string };

/** Groups dealt to `nWorkers` worker threads; the same add/close contract as one TrackSet. */
export class TrackWorkers {
  private readonly workers: Worker[] = [];
  private readonly owner: Int32Array;
  private readonly local: Int32Array;
  private readonly bufs: Float64Array[];
  private readonly counts: number[];
  private readonly inFlight: number[];
  private readonly waiters: (() => void)[][];
  private readonly sentChroms: number[];
  private failure: Error | undefined;
  private readonly results: (number[] | undefined)[];
  private readonly finished: Promise<void>[];
  private static readonly BATCH = 1 << 15;

  constructor(
    private readonly specs: TrackSpec[],
    private readonly o: TrackSetOptions,
    nWorkers: number,
  ) {
    this.owner = new Int32Array(specs.length);
    this.local = new Int32Array(specs.length);
    const mine: TrackSpec[][] = Array.from({ length: nWorkers }, () => []);
    specs.forEach((s, g) => {
      this.owner[g] = g % nWorkers;
      this.local[g] = mine[g % nWorkers].length;
      mine[g % nWorkers].push(s);
    });
    this.bufs = mine.map(() => new Float64Array(TrackWorkers.BATCH * 4));
    this.counts = mine.map(() => 0);
    this.inFlight = mine.map(() => 0);
    this.waiters = mine.map(() => []);
    this.sentChroms = mine.map(() => 0);
    this.results = mine.map(() => undefined);
    this.finished = mine.map((specsOfWorker, w) => {
      const worker = new Worker(BUNDLED ? new URL('./coverage-worker.mjs', import.meta.url) : new URL('./worker.js', import.meta.url), {
        workerData: { specs: specsOfWorker, options: o },
      });
      this.workers.push(worker);
      return new Promise<void>((resolve) => {
        worker.on('message', (m: FromWorker) => {
          if (m.type === 'ack') {
            this.inFlight[w]--;
            this.waiters[w].shift()?.();
          } else if (m.type === 'done') {
            this.results[w] = m.records;
            resolve();
          } else {
            this.fail(new Error(`coverage worker: ${m.message}`));
            resolve();
          }
        });
        worker.on('error', (e) => {
          this.fail(e);
          resolve();
        });
        worker.on('exit', (code) => {
          if (this.results[w] === undefined) this.fail(new Error(`coverage worker exited with code ${code}`));
          resolve();
        });
      });
    });
  }

  private fail(e: Error): void {
    if (!this.failure) this.failure = e;
    for (const ws of this.waiters) for (const f of ws.splice(0)) f();
  }

  add(chrom: number, start: number, end: number, group: number, chroms: ChromTable): void {
    const w = this.owner[group];
    const buf = this.bufs[w];
    const o = this.counts[w] * 4;
    buf[o] = chrom;
    buf[o + 1] = start;
    buf[o + 2] = end;
    buf[o + 3] = this.local[group];
    if (++this.counts[w] === TrackWorkers.BATCH) this.send(w, chroms);
  }

  private send(w: number, chroms: ChromTable): void {
    const n = this.counts[w];
    if (n === 0) return;
    const msg: ToWorker = { type: 'batch', data: this.bufs[w], n };
    if (chroms.names.length > this.sentChroms[w]) {
      msg.names = chroms.names;
      msg.sizes = chroms.sizes;
      this.sentChroms[w] = chroms.names.length;
    }
    this.workers[w].postMessage(msg, [this.bufs[w].buffer as ArrayBuffer]);
    this.inFlight[w]++;
    this.bufs[w] = new Float64Array(TrackWorkers.BATCH * 4);
    this.counts[w] = 0;
  }

  /** Sends what is buffered and waits until each worker has at most two batches queued. */
  async drain(chroms: ChromTable): Promise<void> {
    for (let w = 0; w < this.workers.length; w++) {
      this.send(w, chroms);
      while (this.inFlight[w] > 2 && !this.failure) await new Promise<void>((r) => this.waiters[w].push(r));
    }
    if (this.failure) throw this.failure;
  }

  /** Ends every track; returns intervals written per group (in group order). */
  async close(chroms: ChromTable): Promise<number[]> {
    for (let w = 0; w < this.workers.length; w++) this.send(w, chroms);
    for (const wk of this.workers) wk.postMessage({ type: 'finish' } satisfies ToWorker);
    await Promise.all(this.finished);
    for (const wk of this.workers) void wk.terminate();
    if (this.failure) throw this.failure;
    return this.specs.map((_, g) => this.results[this.owner[g]]![this.local[g]]);
  }

  abort(): void {
    for (const wk of this.workers) void wk.terminate();
    for (const s of this.specs) for (const f of scratchFiles(s, this.o)) rmSync(f, { force: true });
  }
}

/** Worker thread body (started by TrackWorkers through worker.js). */
export async function runTrackWorker(
  port: { on(ev: 'message', f: (m: ToWorker) => void): void; postMessage(m: FromWorker): void },
  data: { specs: TrackSpec[]; options: TrackSetOptions },
): Promise<void> {
  if (data.options.compression === 'zstd') await loadZstd();
  const set = new TrackSet(data.specs, data.options);
  const chroms: ChromTable = { names: [], sizes: [] };
  let queue = Promise.resolve();
  port.on('message', (m) => {
    queue = queue.then(async () => {
      try {
        if (m.type === 'batch') {
          if (m.names) {
            chroms.names = m.names;
            chroms.sizes = m.sizes!;
          }
          set.addPacked(m.data, m.n, chroms);
          await set.drain();
          port.postMessage({ type: 'ack' });
        } else {
          port.postMessage({ type: 'done', records: await set.close() });
        }
      } catch (e) {
        set.abort();
        port.postMessage({ type: 'error', message: (e as Error).stack ?? String(e) });
      }
    });
  });
}
