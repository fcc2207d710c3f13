/**
 * LD pruning as `plink2 --indep-pairwise <window>[kb] <step> <r²>` (PLINK v2.00a3.5, plink2_ld.cc): a window
 * slides along each chromosome; within it, pairs with r² above the threshold are noted and variants are pruned
 * greedily until none remain, the one with the lower minor allele frequency going (the later one on ties).
 * The pruning order is plink2's (PLINK 1.x's): for each variant still in the window, the variants after it are
 * scanned from where its last scan stopped; the first pair over the threshold removes one of the two; the pass is
 * repeated until it removes nothing. Windows count variants (`step` variants apart) or span bp (`kb` windows,
 * step 1: the start moves just far enough for the end to advance). r² is the squared Pearson correlation of
 * the dosages over the samples observed in both variants; zero-variance variants are removed as they enter.
 *
 * plink2 does this arithmetic on integer allele counts; with hard calls the sums here are the same integers in
 * float64 (exact), and the comparison `cov² > t·(1 + 2⁻⁴⁴)·var₁·var₂` is evaluated in plink2's order, so the
 * variant sets agree exactly (test/conformance/factors.plink2.test.ts).
 *
 * Variants are pushed one at a time; a variant is final (kept) once it leaves the window unremoved, so memory
 * is one window of dosages, whatever the chromosome length.
 */

/** plink2's kSmallEpsilon (2⁻⁴⁴): its tolerance on the r² threshold and on frequency ties. */
const SMALL_EPSILON = 2 ** -44;

export interface PruneOptions {
  /** Window size: variants, or bp when `windowBp` is true. */
  window: number;
  windowBp: boolean;
  /** Step in variants (must be 1 with a bp window, as in plink2). */
  step: number;
  /** r² threshold: pairs with r² above it are pruned. */
  r2: number;
}

export const EQTL_CATALOGUE_PRUNING: PruneOptions = { window: 50_000, windowBp: false, step: 200, r2: 0.05 };

interface Slot {
  index: number; // position among the variants pushed on this chromosome (plink2's tvidx)
  pos: number;
  dosages: Float64Array;
  complete: boolean; // no missing dosage
  n: number;
  sum: number;
  ssq: number;
  majorFreq: number;
  removed: boolean;
  firstUnchecked: number;
  payload: unknown;
}

/** A kept variant, handed out once it can no longer be pruned. */
export type KeptVariant<T> = (payload: T, dosages: Float64Array) => void;

export class LdPruner<T = unknown> {
  /** The window's variants (removed ones too until the window moves), in index order. */
  private window: Slot[] = [];
  /** Positions of every variant pushed on this chromosome (bp windows advance over them). */
  private positions: number[] = [];
  private windowStart = 0;
  /** Exclusive end index of the current window; -1 while a bp window's end is not known yet. */
  private windowEnd = 0;
  private lastPrunedEnd = 0;
  private readonly threshold: number;
  kept = 0;
  pruned = 0;

  constructor(
    private readonly options: PruneOptions,
    private readonly onKept: KeptVariant<T>,
  ) {
    if (!(options.window >= 1)) throw new Error('the pruning window must be at least 1');
    if (!(options.step >= 1)) throw new Error('the pruning step must be at least 1');
    if (options.windowBp && options.step !== 1) throw new Error('a bp window needs step 1, as in plink2');
    this.threshold = options.r2 * (1 + SMALL_EPSILON);
    this.resetChromosome();
  }

  private resetChromosome(): void {
    this.window = [];
    this.positions = [];
    this.windowStart = 0;
    this.windowEnd = this.options.windowBp ? -1 : this.options.window;
    this.lastPrunedEnd = 0;
  }

  /** Adds the next variant of the chromosome (positions non-decreasing); `dosages` is copied. */
  push(pos: number, dosages: ArrayLike<number>, payload: T): void {
    const index = this.positions.length;
    const d = Float64Array.from(dosages);
    let n = 0;
    let sum = 0;
    let ssq = 0;
    for (let i = 0; i < d.length; i++) {
      const x = d[i];
      if (x === x) {
        n++;
        sum += x;
        ssq += x * x;
      }
    }
    const af = n > 0 ? sum / (2 * n) : 0.5;
    const slot: Slot = {
      index,
      pos,
      dosages: d,
      complete: n === d.length,
      n,
      sum,
      ssq,
      majorFreq: Math.max(af, 1 - af),
      // zero variance among the observed samples: never kept (plink2 removes these as they load)
      removed: !(ssq * n - sum * sum > 0),
      firstUnchecked: index + 1,
      payload,
    };
    if (this.options.windowBp) {
      // a bp window ends at the first variant beyond start + window: this one, if it lies beyond
      if (index > this.windowStart && pos > this.positions[this.windowStart] + this.options.window) {
        this.windowEnd = index;
        this.pruneWindow();
        this.advanceBpWindow(pos);
      }
      this.positions.push(pos);
      this.window.push(slot);
    } else {
      this.positions.push(pos);
      this.window.push(slot);
      if (index + 1 === this.windowEnd) {
        this.pruneWindow();
        this.windowStart += this.options.step;
        this.windowEnd = this.windowStart + this.options.window;
        this.dropBefore(this.windowStart);
      }
    }
  }

  /** Ends the chromosome: the last window is pruned and what is left is kept. */
  finishChromosome(): void {
    const count = this.positions.length;
    if (count > this.lastPrunedEnd) {
      this.windowEnd = count;
      this.pruneWindow();
    }
    for (const s of this.window) this.release(s);
    this.resetChromosome();
  }

  private release(s: Slot): void {
    if (s.removed) {
      this.pruned++;
      return;
    }
    this.kept++;
    this.onKept(s.payload as T, s.dosages);
  }

  /**
   * plink2's LdPruneNextWindow for bp windows: the start moves (by at least one variant, removed ones
   * included) until the variant that ended the window fits, i.e. start position ≥ its position − window.
   * The end is then found as variants arrive (push).
   */
  private advanceBpWindow(endPos: number): void {
    let start = this.windowStart;
    do start++;
    while (this.positions[start] < endPos - this.options.window);
    this.windowStart = start;
    this.windowEnd = -1;
    this.dropBefore(start);
  }

  private dropBefore(start: number): void {
    const keep: Slot[] = [];
    for (const s of this.window) {
      if (s.removed || s.index < start) this.release(s);
      else keep.push(s);
    }
    this.window = keep;
  }

  /** r² > threshold for two variants, in plink2's arithmetic (pairwise-complete observations). */
  private inLd(a: Slot, b: Slot): boolean {
    const x = a.dosages;
    const y = b.dosages;
    let n: number;
    let sx: number;
    let sy: number;
    let sxx: number;
    let syy: number;
    let sxy = 0;
    if (a.complete && b.complete) {
      for (let i = 0; i < x.length; i++) sxy += x[i] * y[i];
      n = a.n;
      sx = a.sum;
      sy = b.sum;
      sxx = a.ssq;
      syy = b.ssq;
    } else {
      n = 0;
      sx = 0;
      sy = 0;
      sxx = 0;
      syy = 0;
      for (let i = 0; i < x.length; i++) {
        const u = x[i];
        const v = y[i];
        if (u === u && v === v) {
          n++;
          sx += u;
          sy += v;
          sxx += u * u;
          syy += v * v;
          sxy += u * v;
        }
      }
    }
    const cov = sxy * n - sx * sy;
    const varX = sxx * n - sx * sx;
    const varY = syy * n - sy * sy;
    return cov * cov > this.threshold * varX * varY;
  }

  /** Prunes the window [windowStart, windowEnd) in PLINK 1.x order (see the file comment). */
  private pruneWindow(): void {
    const w = this.window;
    const end = this.windowEnd;
    this.lastPrunedEnd = end;
    let removed = 0;
    for (const s of w) if (s.removed) removed++;
    let before: number;
    do {
      before = removed;
      for (let i = 0; i < w.length; i++) {
        const first = w[i];
        if (first.removed || first.firstUnchecked === end) continue;
        let j = i + 1;
        while (j < w.length && (w[j].removed || w[j].index < first.firstUnchecked)) j++;
        if (j >= w.length) {
          first.firstUnchecked = end;
          continue;
        }
        for (;;) {
          const second = w[j];
          if (this.inLd(first, second)) {
            removed++;
            if (first.majorFreq > second.majorFreq * (1 + SMALL_EPSILON)) first.removed = true;
            else {
              second.removed = true;
              let k = j + 1;
              while (k < w.length && w[k].removed) k++;
              first.firstUnchecked = k < w.length ? w[k].index : end;
            }
            break;
          }
          j++;
          while (j < w.length && w[j].removed) j++;
          if (j >= w.length) {
            first.firstUnchecked = end;
            break;
          }
        }
      }
    } while (removed > before);
  }
}
