/**
 * One group's coverage track, built while fragments stream past in position order: a ring buffer of bin
 * count differences (each fragment is O(1): +1 at its first bin, −1 after its last), flushed into bins once
 * no later fragment can reach them, then scaled, optionally smoothed and handed to a track writer.
 */
import type { TrackWriter } from '../../io/bedgraph.js';

export type CountingStrategy = 'fragment' | 'insertion';

/** Streaming per-bin counts on one chromosome. Written by hand: it is the inner loop of the stage. */
export class BinCounter {
  private diff = new Int32Array(1024);
  private mask = 1023;
  /** First bin not yet flushed. */
  private base = 0;
  /** Count of bin base − 1 (prefix sum of the differences). */
  private cur = 0;
  /** Bins ≥ horizon have no pending difference. */
  private horizon = 0;

  constructor(private readonly emit: (bin: number, count: number) => void) {}

  /** Adds 1 to bins b0 … b1 (inclusive); b0 must not precede earlier additions' flush point. */
  add(b0: number, b1: number): void {
    if (b1 + 1 - this.base >= this.diff.length) this.grow(b1 + 2 - this.base);
    this.diff[b0 & this.mask]++;
    this.diff[(b1 + 1) & this.mask]--;
    if (b1 + 2 > this.horizon) this.horizon = b1 + 2;
  }

  private grow(need: number): void {
    let cap = this.diff.length;
    while (cap < need * 2) cap *= 2;
    const d = new Int32Array(cap);
    for (let b = this.base; b < this.horizon; b++) d[b & (cap - 1)] = this.diff[b & this.mask];
    this.diff = d;
    this.mask = cap - 1;
  }

  /** Emits every bin before `bin` (no fragment added later can start before it). */
  flushBefore(bin: number): void {
    const diff = this.diff;
    const mask = this.mask;
    let b = this.base;
    let cur = this.cur;
    const stop = Math.min(bin, this.horizon);
    for (; b < stop; b++) {
      const k = b & mask;
      cur += diff[k];
      diff[k] = 0;
      if (cur !== 0) this.emit(b, cur);
    }
    this.cur = cur;
    // beyond the horizon every bin is 0 (all differences consumed, so cur is back to 0)
    this.base = bin > b ? bin : b;
  }

  /** Emits everything left and resets for the next chromosome. */
  finish(): void {
    this.flushBefore(this.horizon);
    this.base = 0;
    this.cur = 0;
    this.horizon = 0;
  }
}

/**
 * Moving average over `smoothBase` bases, centred (snapATAC2 `smooth_base`: left = ⌊(n−1)/2⌋, right = n−1−left
 * bases), of a piecewise-constant input: S(i) = Σ_{j=i−left}^{i+right} v(j) / n, zero outside the data. S is
 * piecewise linear, so it is produced segment by segment: constant stretches as one interval, ramps one base
 * at a time. Works on the integer window sums, so a window that leaves the data is exactly zero.
 */
export class Smoother {
  private readonly left: number;
  private readonly right: number;
  private rs: number[] = [];
  private re: number[] = [];
  private rv: number[] = [];
  private head = 0;
  private pos = 0;
  private lastEnd = 0;
  private size = Infinity;

  constructor(
    readonly smoothBase: number,
    private readonly out: (start: number, end: number, windowSum: number) => void,
  ) {
    this.left = Math.floor((smoothBase - 1) / 2);
    this.right = smoothBase - 1 - this.left;
  }

  begin(size: number | undefined): void {
    this.rs = [];
    this.re = [];
    this.rv = [];
    this.head = 0;
    this.pos = 0;
    this.lastEnd = 0;
    this.size = size ?? Infinity;
  }

  /** Input interval [s, e) with (integer) value v; intervals arrive sorted and non-overlapping. */
  push(s: number, e: number, v: number): void {
    this.rs.push(s);
    this.re.push(e);
    this.rv.push(v);
    this.lastEnd = e;
    this.process(Math.min(e - 1 - this.right, this.size - 1));
  }

  end(): void {
    this.process(Math.min(this.lastEnd + this.left, this.size) - 1);
  }

  /** v at x and the end of the constant piece holding x (runs from `head` on; positions past the data are 0). */
  private piece(x: number): [number, number] {
    for (let k = this.head; k < this.rs.length; k++) {
      if (x < this.rs[k]) return [0, this.rs[k]];
      if (x < this.re[k]) return [this.rv[k], this.re[k]];
    }
    return [0, Infinity];
  }

  private windowSum(i: number): number {
    const a = i - this.left;
    const b = i + this.right + 1;
    let w = 0;
    for (let k = this.head; k < this.rs.length; k++) {
      const s = this.rs[k];
      if (s >= b) break;
      const e = this.re[k];
      if (e <= a) continue;
      w += this.rv[k] * (Math.min(e, b) - Math.max(s, a));
    }
    return w;
  }

  private process(limit: number): void {
    let i = this.pos;
    while (i <= limit) {
      const [vIn, endIn] = this.piece(i + 1 + this.right);
      const [vOut, endOut] = this.piece(i - this.left);
      const segEnd = Math.min(endIn - 1 - this.right, endOut + this.left, limit + 1);
      const w = this.windowSum(i);
      const d = vIn - vOut;
      if (d === 0) {
        if (w !== 0) this.out(i, segEnd, w);
      } else {
        for (let j = i; j < segEnd; j++) {
          const wj = w + (j - i) * d;
          if (wj !== 0) this.out(j, j + 1, wj);
        }
      }
      i = segEnd;
      // runs wholly left of every later window are done
      while (this.head < this.rs.length && this.re[this.head] <= i - this.left) this.head++;
      if (this.head > 4096) {
        this.rs = this.rs.slice(this.head);
        this.re = this.re.slice(this.head);
        this.rv = this.rv.slice(this.head);
        this.head = 0;
      }
    }
    this.pos = i;
  }
}

export interface TrackOptions {
  binSize: number;
  strategy: CountingStrategy;
  /** Divide counts by this (1 for raw counts): value = count / scale, as deepTools and snapATAC2 do. */
  scale: number;
  /** Join book-ended bins of equal value into one interval. */
  merge: boolean;
  smoothBase?: number;
}

/** Builds one group's track: bins, scale, smoothing and runs into a TrackWriter. */
export class TrackBuilder {
  private readonly counter: BinCounter;
  private readonly smoother?: Smoother;
  private chrom = -1;
  private size = Infinity;
  // pending run (merged bins) in raw counts
  private runStart = -1;
  private runEnd = -1;
  private runCount = 0;
  /** Intervals written. */
  records = 0;
  private readonly binSize: number;
  private readonly insertion: boolean;

  constructor(
    private readonly writer: TrackWriter,
    private readonly o: TrackOptions,
  ) {
    this.binSize = o.binSize;
    this.insertion = o.strategy === 'insertion';
    this.counter = new BinCounter((bin, count) => this.bin(bin, count));
    if (o.smoothBase && o.smoothBase > 1)
      this.smoother = new Smoother(o.smoothBase, (s, e, w) => this.write(s, e, w / o.smoothBase! / o.scale));
  }

  /** Adds one fragment [start, end) on chromosome `chrom` (id) of size `size` (Infinity when unknown). */
  add(chrom: number, name: string, size: number, start: number, end: number): void {
    if (chrom !== this.chrom) {
      this.endChrom();
      this.chrom = chrom;
      this.size = size;
      this.writer.beginChrom(name);
      this.smoother?.begin(Number.isFinite(size) ? size : undefined);
    }
    const bs = this.binSize;
    const b0 = Math.floor(start / bs);
    this.counter.flushBefore(b0);
    if (this.insertion) {
      // Tn5 insertion sites: the first and the last base of the fragment (0-based start and end − 1)
      this.counter.add(b0, b0);
      const b1 = Math.floor((end - 1) / bs);
      this.counter.add(b1, b1);
    } else {
      this.counter.add(b0, Math.floor((end - 1) / bs));
    }
  }

  private bin(bin: number, count: number): void {
    if (this.o.merge && bin === this.runEnd && count === this.runCount) {
      this.runEnd = bin + 1;
      return;
    }
    this.flushRun();
    this.runStart = bin;
    this.runEnd = bin + 1;
    this.runCount = count;
  }

  private flushRun(): void {
    if (this.runStart < 0) return;
    const s = this.runStart * this.binSize;
    const e = Math.min(this.runEnd * this.binSize, this.size);
    if (this.smoother) this.smoother.push(s, e, this.runCount);
    else this.write(s, e, this.o.scale === 1 ? this.runCount : this.runCount / this.o.scale);
    this.runStart = -1;
  }

  // merged output of the smoother: book-ended equal values become one interval
  private outStart = -1;
  private outEnd = -1;
  private outValue = 0;

  private write(s: number, e: number, v: number): void {
    if (this.smoother) {
      if (s === this.outEnd && v === this.outValue) {
        this.outEnd = e;
        return;
      }
      this.flushOut();
      this.outStart = s;
      this.outEnd = e;
      this.outValue = v;
      return;
    }
    this.writer.add(s, e, v);
    this.records++;
  }

  private flushOut(): void {
    if (this.outStart < 0) return;
    this.writer.add(this.outStart, this.outEnd, this.outValue);
    this.records++;
    this.outStart = -1;
    this.outEnd = -1;
  }

  endChrom(): void {
    if (this.chrom < 0) return;
    this.counter.finish();
    this.flushRun();
    if (this.smoother) {
      this.smoother.end();
      this.flushOut();
    }
    this.writer.endChrom();
    this.chrom = -1;
  }
}
