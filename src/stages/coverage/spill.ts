/**
 * External sort of filtered fragments for inputs that are not position-sorted: records (chromosome rank,
 * start, end, group) are collected in fixed-size chunks, each sorted in memory and written to a run file in
 * the temporary directory; reading merges the runs (k-way, by chromosome rank then start). Memory is one
 * chunk while writing and one read buffer per run while merging.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const FIELDS = 4;

export interface SpilledRecord {
  rank: number;
  start: number;
  end: number;
  group: number;
}

export class FragmentSpill {
  private readonly dir: string;
  private readonly chunk: Uint32Array;
  private n = 0;
  private readonly runs: { path: string; records: number }[] = [];
  /** True while every record so far came in sorted order. */
  sorted = true;
  private lastKey = -1;
  records = 0;

  constructor(
    tempdir: string,
    private readonly chunkRecords = 1 << 21,
  ) {
    this.dir = mkdtempSync(join(tempdir, 'qtlflow-coverage-'));
    this.chunk = new Uint32Array(chunkRecords * FIELDS);
  }

  add(rank: number, start: number, end: number, group: number): void {
    const key = rank * 4294967296 + start;
    if (key < this.lastKey) this.sorted = false;
    this.lastKey = key;
    const o = this.n * FIELDS;
    const c = this.chunk;
    c[o] = rank;
    c[o + 1] = start;
    c[o + 2] = end;
    c[o + 3] = group;
    this.records++;
    if (++this.n === this.chunkRecords) this.spill();
  }

  private spill(): void {
    if (this.n === 0) return;
    const n = this.n;
    const c = this.chunk;
    let data = c.subarray(0, n * FIELDS);
    let isSorted = true;
    for (let i = 1; i < n && isSorted; i++)
      if (c[i * FIELDS] < c[(i - 1) * FIELDS] || (c[i * FIELDS] === c[(i - 1) * FIELDS] && c[i * FIELDS + 1] < c[(i - 1) * FIELDS + 1]))
        isSorted = false;
    if (!isSorted) {
      const keys = new Float64Array(n);
      for (let i = 0; i < n; i++) keys[i] = c[i * FIELDS] * 4294967296 + c[i * FIELDS + 1];
      const order = new Uint32Array(n);
      for (let i = 0; i < n; i++) order[i] = i;
      order.sort((a, b) => keys[a] - keys[b] || a - b);
      const out = new Uint32Array(n * FIELDS);
      for (let i = 0; i < n; i++) out.set(c.subarray(order[i] * FIELDS, order[i] * FIELDS + FIELDS), i * FIELDS);
      data = out;
    }
    const path = join(this.dir, `run${this.runs.length}.bin`);
    const fd = openSync(path, 'w');
    writeSync(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    closeSync(fd);
    this.runs.push({ path, records: n });
    this.n = 0;
  }

  /** Ends writing; records come back sorted by (rank, start), in batches of parallel arrays. */
  async *sortedBatches(batchRecords = 1 << 16): AsyncGenerator<{ count: number; rank: Uint32Array; start: Uint32Array; end: Uint32Array; group: Uint32Array }> {
    this.spill();
    const readers = this.runs.map((r) => new RunReader(r.path, r.records));
    const out = {
      count: 0,
      rank: new Uint32Array(batchRecords),
      start: new Uint32Array(batchRecords),
      end: new Uint32Array(batchRecords),
      group: new Uint32Array(batchRecords),
    };
    try {
      for (;;) {
        let n = 0;
        while (n < batchRecords) {
          // the run whose head has the smallest key (few runs: a linear scan beats a heap)
          let best = -1;
          let bestKey = Infinity;
          for (let r = 0; r < readers.length; r++) {
            const k = readers[r].key();
            if (k < bestKey) {
              bestKey = k;
              best = r;
            }
          }
          if (best < 0) break;
          readers[best].take(out, n++);
        }
        if (n === 0) break;
        out.count = n;
        yield out;
      }
    } finally {
      for (const r of readers) r.close();
    }
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

class RunReader {
  private readonly fd: number;
  private buf = new Uint32Array(1 << 16);
  private n = 0;
  private i = 0;
  private left: number;

  constructor(
    path: string,
    records: number,
  ) {
    this.fd = openSync(path, 'r');
    this.left = records;
    this.fill();
  }

  private fill(): void {
    const want = Math.min(this.left, this.buf.length / FIELDS);
    const bytes = new Uint8Array(this.buf.buffer, 0, want * FIELDS * 4);
    let got = 0;
    while (got < bytes.length) {
      const r = readSync(this.fd, bytes, got, bytes.length - got, null);
      if (r <= 0) throw new Error('external sort: run file is shorter than written');
      got += r;
    }
    this.n = want;
    this.i = 0;
    this.left -= want;
  }

  key(): number {
    if (this.i === this.n) {
      if (this.left === 0) return Infinity;
      this.fill();
    }
    const o = this.i * FIELDS;
    return this.buf[o] * 4294967296 + this.buf[o + 1];
  }

  take(out: { rank: Uint32Array; start: Uint32Array; end: Uint32Array; group: Uint32Array }, k: number): void {
    const o = this.i * FIELDS;
    out.rank[k] = this.buf[o];
    out.start[k] = this.buf[o + 1];
    out.end[k] = this.buf[o + 2];
    out.group[k] = this.buf[o + 3];
    this.i++;
  }

  close(): void {
    closeSync(this.fd);
  }
}
