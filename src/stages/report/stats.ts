/**
 * The report's statistics: genomic inflation λ_GC (exact median over any number of p-values with bounded memory),
 * the QQ curve, and the recovery of a planted truth (recall, false-discovery rate, credible-set coverage).
 */
import erfcinv from '@stdlib/math-base-special-erfcinv';

/** Median of the χ²(1) distribution, qchisq(0.5, 1): the denominator of λ_GC (Devlin & Roeder 1999). */
export const CHISQ1_MEDIAN = 0.454936423119572;

/**
 * The 1-df χ² statistic whose upper tail is p: qchisq(p, 1, lower.tail = FALSE) = 2·erfc⁻¹(p)², since
 * P(χ²₁ > x) = erfc(√(x/2)). Through erfcinv it stays exact where 1 − p rounds to 1 (p down to 1e-300).
 */
export function chisq1Upper(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return NaN;
  if (p === 0) return Infinity;
  const z = erfcinv(p);
  return 2 * z * z;
}

/** λ_GC = median χ² / qchisq(0.5, 1) of a set of p-values (R: median(qchisq(p, 1, lower = FALSE)) / 0.4549). */
export function genomicInflation(p: ArrayLike<number>): number {
  const s = Float64Array.from(p).filter((x) => !Number.isNaN(x));
  if (s.length === 0) return NaN;
  s.sort();
  const n = s.length;
  // χ² is decreasing in p, so the median χ² is the χ² of the median p-value(s); for even n the two middle
  // χ² values are averaged (R's median), not the χ² of the averaged p-values.
  const lo = s[(n - 1) >> 1];
  const hi = s[n >> 1];
  return (chisq1Upper(lo) + chisq1Upper(hi)) / 2 / CHISQ1_MEDIAN;
}

/** −log10 p, capped where p underflows to 0 (−log10 of the smallest positive double). */
export function minusLog10(p: number): number {
  return p > 0 ? -Math.log10(p) : MAX_MLOG10;
}
export const MAX_MLOG10 = -Math.log10(Number.MIN_VALUE);

/** Histogram resolution of −log10 p (bins of 0.001 up to 30; one overflow bin beyond). */
const BIN_WIDTH = 1e-3;
const N_BINS = 30_000;

function binOf(p: number): number {
  return Math.min(N_BINS, Math.floor(minusLog10(p) / BIN_WIDTH));
}

/**
 * A bounded-memory summary of a stream of p-values (one pass over every nominal table): a fine histogram of
 * −log10 p and the `tailSize` smallest p-values exactly. It gives the QQ curve directly and, with a second pass
 * (`medianPass`), the exact median, so λ_GC is the same number R computes from all p-values at once while
 * memory stays at one histogram whatever the number of pairs.
 */
export class PValueSketch {
  readonly counts = new Float64Array(N_BINS + 1);
  n = 0;
  private readonly tail: Float64Array;
  private tailLength = 0;

  constructor(readonly tailSize = 4000) {
    this.tail = new Float64Array(tailSize);
  }

  add(p: number): void {
    this.n++;
    this.counts[binOf(p)]++;
    if (this.tailSize === 0) return;
    // max-heap of the smallest p-values
    const h = this.tail;
    if (this.tailLength < this.tailSize) {
      let i = this.tailLength++;
      h[i] = p;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (h[parent] >= h[i]) break;
        [h[parent], h[i]] = [h[i], h[parent]];
        i = parent;
      }
    } else if (p < h[0]) {
      h[0] = p;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.tailLength && h[l] > h[m]) m = l;
        if (r < this.tailLength && h[r] > h[m]) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
  }

  /** The smallest p-values kept exactly, ascending. */
  smallest(): Float64Array {
    return this.tail.slice(0, this.tailLength).sort();
  }

  /**
   * The second pass of the exact median: returns a collector to feed every p-value again (in any order); its
   * `result()` is λ_GC. Only p-values in the histogram bins that hold the middle ranks are kept.
   */
  medianPass(): { add(p: number): void; lambda(): number; medianP(): number } {
    const n = this.n;
    const ranks = [(n - 1) >> 1, n >> 1]; // 0-based ranks in ascending p
    // ascending p = descending bin index
    const wanted = new Map<number, number>(); // bin → rank of its first (smallest p) value
    let before = 0;
    for (let b = N_BINS; b >= 0 && before <= ranks[1]; b--) {
      const c = this.counts[b];
      for (const r of ranks) if (r >= before && r < before + c && !wanted.has(b)) wanted.set(b, before);
      before += c;
    }
    const kept = new Map<number, number[]>([...wanted.keys()].map((b) => [b, []]));
    const pick = (): [number, number] => {
      const at = (r: number): number => {
        for (const [b, first] of wanted) {
          const v = kept.get(b)!;
          if (r >= first && r < first + v.length) {
            v.sort((x, y) => x - y);
            return v[r - first];
          }
        }
        return NaN;
      };
      return [at(ranks[0]), at(ranks[1])];
    };
    return {
      add: (p) => kept.get(binOf(p))?.push(p),
      lambda: () => {
        if (n === 0) return NaN;
        const [lo, hi] = pick();
        return (chisq1Upper(lo) + chisq1Upper(hi)) / 2 / CHISQ1_MEDIAN;
      },
      medianP: () => {
        const [lo, hi] = pick();
        return (lo + hi) / 2;
      },
    };
  }

  /**
   * QQ points (expected, observed −log10 p) at plotting positions (i − ½)/n: exact for the `tailSize` smallest
   * p-values, one point per histogram bin beyond them (the bin's centre at its middle rank).
   */
  qqPoints(): { expected: number; observed: number }[] {
    const n = this.n;
    const out: { expected: number; observed: number }[] = [];
    if (n === 0) return out;
    const tail = this.smallest();
    tail.forEach((p, i) => out.push({ expected: -Math.log10((i + 0.5) / n), observed: minusLog10(p) }));
    let before = 0;
    for (let b = N_BINS; b >= 0; b--) {
      const c = this.counts[b];
      if (c === 0) continue;
      const from = Math.max(before, tail.length);
      const to = before + c;
      before = to;
      if (from >= to) continue;
      const mid = (from + to - 1) / 2;
      out.push({ expected: -Math.log10((mid + 0.5) / n), observed: (b + 0.5) * BIN_WIDTH });
    }
    return out;
  }
}

/**
 * Keeps one point per cell of a grid over the plot (first come), so dense clouds cost a bounded number of marks.
 * The grid starts as fine as the budget allows for points along a curve (a QQ plot) and coarsens until the kept
 * points fit, so a curve keeps its resolution and a 2-D cloud ends near √budget cells a side.
 */
export function thinOnGrid<T>(points: T[], x: (p: T) => number, y: (p: T) => number, cells: number): T[] {
  if (points.length <= cells) return points;
  let xmin = Infinity;
  let xmax = -Infinity;
  let ymin = Infinity;
  let ymax = -Infinity;
  for (const p of points) {
    xmin = Math.min(xmin, x(p));
    xmax = Math.max(xmax, x(p));
    ymin = Math.min(ymin, y(p));
    ymax = Math.max(ymax, y(p));
  }
  let side = cells;
  for (;;) {
    const sx = (xmax - xmin) / side || 1;
    const sy = (ymax - ymin) / side || 1;
    const seen = new Set<number>();
    const out: T[] = [];
    for (const p of points) {
      const key = Math.floor((x(p) - xmin) / sx) * (side + 1) + Math.floor((y(p) - ymin) / sy);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(p);
    }
    if (out.length <= cells || side <= 2) return out;
    side = Math.floor(side * 0.8);
  }
}

/** One planted gene of the truth table. */
export interface PlantedGene {
  phenotypeId: string;
  /** Causal variant IDs; empty for a null gene. */
  causal: string[];
  effects: number[];
}

export interface TruthRecovery {
  /** Genes of the truth table with causal variants / without. */
  planted: number;
  null_genes: number;
  /** Of those, present in the permutation table (tested). */
  planted_tested: number;
  null_tested: number;
  /** Discoveries (q ≤ FDR) among tested planted and null genes, and discoveries of genes not in the truth. */
  planted_discovered: number;
  null_discovered: number;
  discoveries_not_in_truth: number;
  /** planted_discovered / planted_tested (null when no planted gene was tested). */
  recall: number | null;
  /** null_discovered / max(1, planted_discovered + null_discovered): V / max(R, 1). */
  false_discovery_rate: number;
  planted_missed: string[];
  null_discovered_ids: string[];
}

/**
 * Recall of planted eGenes and the false-discovery proportion among the truth's genes, from the set of tested
 * phenotypes and the set discovered at the FDR. A discovery is a tested gene with q ≤ FDR; the proportion is
 * null discoveries over all discoveries of genes the truth classifies (0 when nothing is discovered).
 */
export function truthRecovery(
  truth: PlantedGene[],
  tested: Set<string>,
  discovered: Set<string>,
): TruthRecovery {
  const known = new Set(truth.map((g) => g.phenotypeId));
  let planted = 0;
  let nullGenes = 0;
  let plantedTested = 0;
  let nullTested = 0;
  let plantedFound = 0;
  let nullFound = 0;
  const missed: string[] = [];
  const nullIds: string[] = [];
  for (const g of truth) {
    const isPlanted = g.causal.length > 0;
    if (isPlanted) planted++;
    else nullGenes++;
    if (!tested.has(g.phenotypeId)) continue;
    const found = discovered.has(g.phenotypeId);
    if (isPlanted) {
      plantedTested++;
      if (found) plantedFound++;
      else missed.push(g.phenotypeId);
    } else {
      nullTested++;
      if (found) {
        nullFound++;
        nullIds.push(g.phenotypeId);
      }
    }
  }
  let outside = 0;
  for (const id of discovered) if (!known.has(id)) outside++;
  return {
    planted,
    null_genes: nullGenes,
    planted_tested: plantedTested,
    null_tested: nullTested,
    planted_discovered: plantedFound,
    null_discovered: nullFound,
    discoveries_not_in_truth: outside,
    recall: plantedTested > 0 ? plantedFound / plantedTested : null,
    false_discovery_rate: nullFound / Math.max(1, plantedFound + nullFound),
    planted_missed: missed,
    null_discovered_ids: nullIds,
  };
}

export interface CredibleSetRecovery {
  /** Causal variants of planted genes that were fine-mapped (the gene has PIP rows). */
  causal_finemapped: number;
  /** Of those, in a credible set of their gene. */
  causal_in_cs: number;
  /** causal_in_cs / causal_finemapped (null when none was fine-mapped). */
  share_in_cs: number | null;
  /** Planted genes with fine-mapping results. */
  genes_finemapped: number;
}

/** Share of planted causal variants inside a credible set of their own gene. */
export function credibleSetRecovery(
  truth: PlantedGene[],
  finemapped: Set<string>,
  inCredibleSet: (phenotypeId: string, variantId: string) => boolean,
): CredibleSetRecovery {
  let total = 0;
  let inCs = 0;
  let genes = 0;
  for (const g of truth) {
    if (g.causal.length === 0 || !finemapped.has(g.phenotypeId)) continue;
    genes++;
    for (const v of g.causal) {
      total++;
      if (inCredibleSet(g.phenotypeId, v)) inCs++;
    }
  }
  return {
    causal_finemapped: total,
    causal_in_cs: inCs,
    share_in_cs: total > 0 ? inCs / total : null,
    genes_finemapped: genes,
  };
}
