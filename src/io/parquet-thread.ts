/**
 * Parquet tables written on a worker thread: the same tables as `ParquetTableWriter`, with the encoding
 * (dictionary, statistics, pages, zstd) off the thread that produces the rows. A stage that emits a large
 * table while it computes (the cis nominal pass) overlaps the two on two cores. The thread's entry module
 * (`serveTables` of parquet-worker.ts) turns each payload it receives into columns, so a stage can move the
 * last per-row arithmetic there too. Buffers named in `transfer` are moved, not copied; the rest is
 * structured-cloned.
 *
 * Bounded: `ready()` resolves once fewer than `maxRowsInFlight` rows wait in the thread, and producers await it
 * between batches, so memory stays at a few row groups whatever the table's size. Errors on the thread (a
 * full disk, say) come back from the next `ready()` or from `finish()`.
 */
import { Worker } from 'node:worker_threads';
import { BUNDLED } from '../runner/bundle.js';
import type { ColumnSpec, TableMeta, WriterOptions } from './parquet.js';

/** A worker entry: `bundled` beside the bundle (scripts/bundle.mjs), else the compiled module `module`. */
export function workerUrl(bundled: string, module: URL): URL {
  return BUNDLED ? new URL(`./${bundled}`, import.meta.url) : module;
}

export type ParquetThreadRequest =
  | { type: 'open'; id: number; path: string; specs: ColumnSpec[]; meta: TableMeta; options: WriterOptions }
  | { type: 'write'; id: number; payload: unknown; rows: number }
  | { type: 'close'; id: number };

export type ParquetThreadReply =
  | { type: 'written'; rows: number }
  | { type: 'closed'; id: number }
  | { type: 'error'; message: string; stack?: string };

/** One table on the writer thread. */
export interface ThreadTable {
  /** Sends `rows` rows (a payload the thread's entry turns into columns), moving the `transfer` buffers. */
  write(payload: unknown, rows: number, transfer?: ArrayBuffer[]): void;
  close(): void;
}

export class ParquetWriterThread {
  private readonly worker: Worker;
  private nextId = 0;
  private inFlight = 0;
  private openTables = 0;
  private failure: Error | undefined;
  private stopping = false;
  private waiters: (() => void)[] = [];
  private readonly exited: Promise<void>;

  /** Starts the thread (before the inputs are read, so that its start-up overlaps theirs). */
  constructor(
    entry: URL,
    private readonly maxRowsInFlight = 200_000,
  ) {
    this.worker = new Worker(entry);
    this.worker.on('message', (m: ParquetThreadReply) => {
      if (m.type === 'written') this.inFlight -= m.rows;
      else if (m.type === 'closed') this.openTables--;
      else {
        const e = new Error(m.message);
        if (m.stack) e.stack = m.stack;
        this.fail(e);
      }
      this.wake();
    });
    this.worker.on('error', (e) => this.fail(e));
    this.exited = new Promise((resolve) =>
      this.worker.on('exit', (code) => {
        if (!this.stopping && (code !== 0 || this.openTables > 0))
          this.fail(new Error(`the Parquet writer thread stopped unexpectedly (exit code ${code})`));
        resolve();
      }),
    );
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Opens a table at `path` (written as given: callers pass an OutputSet temporary name). */
  open(path: string, specs: ColumnSpec[], meta: TableMeta, options: WriterOptions = {}): ThreadTable {
    const id = this.nextId++;
    this.openTables++;
    this.post({ type: 'open', id, path, specs, meta, options });
    return {
      write: (payload, rows, transfer = []) => {
        if (rows === 0) return;
        this.inFlight += rows;
        this.post({ type: 'write', id, payload, rows }, transfer);
      },
      close: () => this.post({ type: 'close', id }),
    };
  }

  private post(m: ParquetThreadRequest, transfer: ArrayBuffer[] = []): void {
    if (this.failure) throw this.failure;
    this.worker.postMessage(m, transfer);
  }

  /** Resolves when the thread has room for more rows; rejects when it failed. */
  async ready(): Promise<void> {
    while (!this.failure && this.inFlight >= this.maxRowsInFlight)
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this.failure) throw this.failure;
  }

  /** Waits until every table opened is closed and complete on disk, then stops the thread. */
  async finish(): Promise<void> {
    while (!this.failure && this.openTables > 0)
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    await this.terminate();
    if (this.failure) throw this.failure;
  }

  /** Stops the thread (whatever it was writing is left to the OutputSet to remove). */
  async terminate(): Promise<void> {
    this.stopping = true;
    await this.worker.terminate();
    await this.exited;
  }
}
