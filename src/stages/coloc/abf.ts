/**
 * Colocalization of two traits under one causal variant per trait (Giambartolomei et al. 2014, PLoS Genet
 * 10:e1004383) and per pair of SuSiE signals (Wallace 2021, PLoS Genet 17:e1009440), computed as the R package
 * coloc (5.x/6.x) computes them:
 *
 * - Wakefield's approximate Bayes factor per SNP, lABF = ½·(log(1 − r) + r·z²), r = W/(W + V), with prior
 *   effect SD √W = 0.15·sdY (quantitative) or 0.2 (case-control), V = varbeta and z = β/√V
 *   (`approx.bf.estimates`), or from p-values with V = 1/(2N·f(1 − f)) [· 1/(s(1 − s)) case-control] and
 *   z = Φ⁻¹(1 − p/2) (`approx.bf.p`);
 * - sdY, when not given, from the regression through the origin of 2N·MAF(1 − MAF) on 1/varbeta (`sdY.est`);
 * - PP.H0…H4 from the five hypothesis sums (`combine.abf`), SNP.PP.H4 ∝ exp(lABF₁ + lABF₂);
 * - priors p1, p2, p12 capped at 1/(nsnps + 1) when nsnps·p ≥ 1 (`adjust_prior`);
 * - coloc-SuSiE: every pair of credible-set signals (their per-SNP log BFs) through `coloc.bf_bf`, which
 *   first drops signals whose posterior mass on the shared SNPs is below `overlap.min`.
 */
import { qnorm } from '../../stats/normal.js';

export type TraitType = 'quant' | 'cc';

/** log Σ exp(x) (coloc's logsum). */
export function logSum(x: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] > max) max = x[i];
  if (max === -Infinity) return -Infinity;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.exp(x[i] - max);
  return max + Math.log(s);
}

/** log(exp(x) − exp(y)), −∞ when y ≥ x (coloc's logdiff, which clamps the difference at 0). */
export function logDiff(x: number, y: number): number {
  const max = Math.max(x, y);
  return max + Math.log(Math.max(Math.exp(x - max) - Math.exp(y - max), 0));
}

function priorVariance(type: TraitType, sdY: number): number {
  const sd = type === 'quant' ? 0.15 * sdY : 0.2;
  return sd * sd;
}

/** lABF from an estimate and its variance (approx.bf.estimates). */
export function labfFromEstimate(beta: number, varbeta: number, type: TraitType, sdY = 1): number {
  const w = priorVariance(type, sdY);
  const z = beta / Math.sqrt(varbeta);
  const r = w / (w + varbeta);
  return 0.5 * (Math.log(1 - r) + r * z * z);
}

/** lABF from a two-sided p-value, MAF and N (approx.bf.p); `s` is the case fraction for case-control traits. */
export function labfFromPvalue(p: number, maf: number, type: TraitType, n: number, s = 0.5): number {
  const v = type === 'quant' ? 1 / (2 * n * maf * (1 - maf)) : 1 / (2 * n * maf * (1 - maf) * s * (1 - s));
  const w = priorVariance(type, 1);
  const z = -qnorm(0.5 * p); // qnorm(p/2, lower.tail = FALSE)
  const r = w / (w + v);
  return 0.5 * (Math.log(1 - r) + r * z * z);
}

/**
 * sdY from varbeta, MAF and N (sdY.est): the least-squares slope through the origin of 2N·MAF·(1 − MAF) on
 * 1/varbeta is var(Y). Undefined when the slope is not positive (coloc stops there).
 */
export function estimateSdY(varbeta: ArrayLike<number>, maf: ArrayLike<number>, n: ArrayLike<number>) {
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < varbeta.length; i++) {
    const x = 1 / varbeta[i];
    const y = 2 * n[i] * maf[i] * (1 - maf[i]);
    sxy += x * y;
    sxx += x * x;
  }
  const cf = sxy / sxx;
  return cf < 0 ? undefined : Math.sqrt(cf);
}

/** coloc's adjust_prior: a prior with nsnps·p ≥ 1 becomes 1/(nsnps + 1). */
export function adjustPrior(p: number, nsnps: number): number {
  return nsnps * p >= 1 ? 1 / (nsnps + 1) : p;
}

export interface Posteriors {
  /** PP.H0 … PP.H4. */
  pp: [number, number, number, number, number];
}

/** lABF₁ + lABF₂ per SNP: the log BF of one variant causal for both traits. */
function sumOfLabf(l1: ArrayLike<number>, l2: ArrayLike<number>): Float64Array {
  return Float64Array.from({ length: l1.length }, (_, i) => l1[i] + l2[i]);
}

/** combine.abf: posterior probabilities of H0…H4 from the per-SNP lABFs of the shared SNPs. */
export function combineAbf(
  l1: ArrayLike<number>,
  l2: ArrayLike<number>,
  p1: number,
  p2: number,
  p12: number,
) {
  if (l1.length !== l2.length) throw new RangeError('lABF vectors differ in length');
  const lsum = sumOfLabf(l1, l2);
  const s1 = logSum(l1);
  const s2 = logSum(l2);
  const s12 = logSum(lsum);
  const all = [
    0,
    Math.log(p1) + s1,
    Math.log(p2) + s2,
    Math.log(p1) + Math.log(p2) + logDiff(s1 + s2, s12),
    Math.log(p12) + s12,
  ];
  const denom = logSum(all);
  return all.map((a) => Math.exp(a - denom)) as Posteriors['pp'];
}

/** SNP.PP.H4: each shared SNP's share of exp(lABF₁ + lABF₂). */
export function snpPosteriorH4(l1: ArrayLike<number>, l2: ArrayLike<number>): Float64Array {
  const lsum = sumOfLabf(l1, l2);
  const denom = logSum(lsum);
  return lsum.map((v) => Math.exp(v - denom));
}

export interface AbfResult {
  nsnps: number;
  p1: number;
  p2: number;
  p12: number;
  pp: Posteriors['pp'];
  snpPPH4: Float64Array;
}

/**
 * coloc.abf on aligned SNPs: l1[i] and l2[i] are the same SNP. `n1`, `n2`: SNPs in each dataset before merging
 * (p1 and p2 are adjusted on those, p12 on the merged count, as coloc does).
 */
export function colocAbf(
  l1: ArrayLike<number>,
  l2: ArrayLike<number>,
  priors: { p1: number; p2: number; p12: number },
  n1 = l1.length,
  n2 = l2.length,
): AbfResult {
  const p1 = adjustPrior(priors.p1, n1);
  const p2 = adjustPrior(priors.p2, n2);
  const p12 = adjustPrior(priors.p12, l1.length);
  return {
    nsnps: l1.length,
    p1,
    p2,
    p12,
    pp: combineAbf(l1, l2, p1, p2, p12),
    snpPPH4: snpPosteriorH4(l1, l2),
  };
}

/**
 * coloc's logbf_to_pp(bf, p, last_is_null = TRUE) for one signal: coloc treats the last column as the null
 * and rescales by it, also when a SuSiE lbf matrix has no null column (which is the case for susie_rss fits
 * without null_weight); kept as coloc does it because the overlap filter below depends on it.
 */
function logbfToPp(bf: ArrayLike<number>, p: number): Float64Array {
  const n = bf.length - 1;
  const pi = p > 1 / n ? 1 / n : p;
  const prior = (k: number) => {
    const v = k < n ? pi : 1 - n * pi;
    return v === 0 ? 1e-16 : v; // coloc replaces zero priors (and renormalizes, a no-op for one zero here)
  };
  const last = bf[n];
  const lp = new Float64Array(bf.length);
  for (let k = 0; k <= n; k++) lp[k] = bf[k] - last + Math.log(prior(k));
  const denom = logSum(lp);
  return lp.map((v) => Math.exp(v - denom));
}

export interface BfPairResult {
  /** 0-based signal indices into the bf1 / bf2 rows. */
  i: number;
  j: number;
  nsnps: number;
  /**
   * Top SNP of each signal, as an index into that trait's own SNPs: the shared SNP with the largest log BF, or
   * (pairs dropped by the overlap filter) the SNP with the largest posterior.
   */
  hit1: number;
  hit2: number;
  /** NaN for H1–H4 when the pair was dropped by the overlap filter (coloc then reports only H0). */
  pp: Posteriors['pp'];
  snpPPH4: Float64Array | undefined;
}

/**
 * coloc.bf_bf: colocalization of every pair of signals given per-SNP log BFs. `bf1[i]` is signal i of trait 1
 * over its own SNPs; `shared1[k]`, `shared2[k]` index the k-th shared SNP in each. Signals whose posterior on
 * the shared SNPs is below `overlapMin` of their total are dropped (`trim_by_posterior`); when every pair is
 * dropped coloc returns only min(PP.H0) per pair, which is reproduced.
 */
export function colocBfBf(
  bf1: Float64Array[],
  bf2: Float64Array[],
  shared1: ArrayLike<number>,
  shared2: ArrayLike<number>,
  priors: { p1: number; p2: number; p12: number },
  overlapMin = 0.5,
): BfPairResult[] {
  const k = shared1.length;
  const props = (bf: Float64Array[], shared: ArrayLike<number>, p: number) =>
    bf.map((row) => {
      const pp = logbfToPp(row, p);
      let inShared = 0;
      for (let s = 0; s < shared.length; s++) inShared += pp[shared[s]];
      let total = 0;
      for (let s = 0; s < pp.length; s++) total += pp[s];
      let hit = 0;
      for (let s = 1; s < pp.length; s++) if (pp[s] > pp[hit]) hit = s;
      return { prop: inShared / total, ph0: 1 - total, pp, hit };
    });
  const q1 = props(bf1, shared1, priors.p1);
  const q2 = props(bf2, shared2, priors.p2);
  // expand.grid(i, j): i varies fastest
  const todo: [number, number][] = [];
  for (let j = 0; j < bf2.length; j++) for (let i = 0; i < bf1.length; i++) todo.push([i, j]);
  const keep = todo.filter(([i, j]) => !(q1[i].prop < overlapMin || q2[j].prop < overlapMin));
  if (keep.length === 0)
    return todo.map(([i, j]) => ({
      i,
      j,
      nsnps: k,
      hit1: q1[i].hit,
      hit2: q2[j].hit,
      pp: [Math.min(q1[i].ph0, q2[j].ph0), NaN, NaN, NaN, NaN],
      snpPPH4: undefined,
    }));
  return keep.map(([i, j]) => {
    const l1 = Float64Array.from({ length: k }, (_, s) => bf1[i][shared1[s]]);
    const l2 = Float64Array.from({ length: k }, (_, s) => bf2[j][shared2[s]]);
    const snpPPH4 = snpPosteriorH4(l1, l2);
    let pp = combineAbf(l1, l2, priors.p1, priors.p2, priors.p12);
    const argmax = (l: Float64Array) => {
      let h = 0;
      for (let s = 1; s < l.length; s++) if (l[s] > l[h]) h = s;
      return h;
    };
    if (snpPPH4.every((v) => Number.isNaN(v))) {
      snpPPH4.fill(0);
      pp = [1, 0, 0, 0, 0];
    }
    return { i, j, nsnps: k, hit1: shared1[argmax(l1)], hit2: shared2[argmax(l2)], pp, snpPPH4 };
  });
}

/** One trait's statistics for the ABFs (coloc's dataset list). */
export interface AbfTrait {
  type: TraitType;
  beta?: ArrayLike<number>;
  varbeta?: ArrayLike<number>;
  pvalues?: ArrayLike<number>;
  maf?: ArrayLike<number>;
  /** Sample size, per SNP. */
  n?: ArrayLike<number>;
  sdY?: number;
  /** Case fraction (case-control traits from p-values). */
  s?: number;
}

export interface TraitAbf {
  labf: Float64Array;
  /** The sdY used (given or estimated) for quantitative traits with estimates. */
  sdY?: number;
  sdYEstimated: boolean;
  from: 'estimates' | 'pvalues';
}

/** Describes what is missing for a trait's ABFs, or undefined when complete (coloc's check_dataset rules). */
export function abfInputProblem(t: AbfTrait): string | undefined {
  if (t.beta && t.varbeta) {
    if (t.type === 'quant' && t.sdY === undefined && !(t.maf && t.n))
      return 'a quantitative trait needs sdY, or MAF and N so sdY can be estimated from varbeta';
    return undefined;
  }
  if (!t.pvalues || !t.maf) return 'needs beta and varbeta (or se), or p-values and MAF';
  if (!t.n) return 'ABFs from p-values need the sample size N';
  if (t.type === 'cc' && t.s === undefined)
    return 'a case-control trait from p-values needs s, the fraction of cases';
  return undefined;
}

/** process.dataset: the per-SNP lABFs of a trait (estimates preferred over p-values, as coloc). */
export function traitLabf(t: AbfTrait): TraitAbf {
  const problem = abfInputProblem(t);
  if (problem) throw new RangeError(problem);
  if (t.beta && t.varbeta) {
    let sdY = t.sdY;
    let estimated = false;
    if (t.type === 'quant' && sdY === undefined) {
      sdY = estimateSdY(t.varbeta, t.maf!, t.n!);
      estimated = true;
      if (sdY === undefined) throw new RangeError('estimated sdY is negative: give sdY');
    }
    const { beta, varbeta } = t;
    const labf = Float64Array.from({ length: beta.length }, (_, i) =>
      labfFromEstimate(beta[i], varbeta[i], t.type, sdY ?? 1),
    );
    return { labf, sdY: t.type === 'quant' ? sdY : undefined, sdYEstimated: estimated, from: 'estimates' };
  }
  const { pvalues, maf, n } = t;
  const labf = Float64Array.from({ length: pvalues!.length }, (_, i) =>
    labfFromPvalue(pvalues![i], maf![i], t.type, n![i], t.s),
  );
  return { labf, sdYEstimated: false, from: 'pvalues' };
}
