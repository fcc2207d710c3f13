/**
 * SegmentQTL's association model (Hautaniemi lab, `segmentqtl/statistical_utils.py`): for allele-specific log-ratio
 * dosages ALTlr and REFlr, s = REFlr + ALTlr (total dosage) and d = REFlr − ALTlr (allelic difference); the phenotype
 * is regressed on [1, s, d, copy number, phenotype covariate, sample covariates] and d is tested (1-df t-test,
 * H0: β_d = 0). Per sample a variant counts only when it lies on the same intact copy-number segment as the gene
 * (`maskBySegment`); samples with any missing input are left out of that variant's fit.
 *
 * The fit goes through the Frisch–Waugh–Lovell theorem with the project's residualizer: β_d, its SE and the RSS
 * come from y and d projected off [1, fixed covariates, s]; β_s and its SE from y and s projected off
 * [1, fixed covariates, d]. That is the OLS of the full design (statsmodels OLS to ~1e-12), without forming XᵀX.
 */
import { Residualizer } from '../../linalg/residualize.js';
import { tPvalue } from '../../stats/pvalue.js';
import type { Segment } from '../../io/segmentqtl.js';

/** What a gene brings to every variant fit. */
export interface GeneData {
  id: string;
  chr: string;
  start: number;
  end: number;
  /** Phenotype per sample (NaN = missing). */
  y: Float64Array;
  /** Fixed covariates, samples × q row-major (copy number, phenotype covariate, sample covariates). */
  fixed: Float64Array;
  q: number;
}

export interface VariantFit {
  n: number;
  betaS: number;
  seS: number;
  betaD: number;
  seD: number;
  t: number;
  p: number;
  dof: number;
  r2: number;
  aicNull: number;
  aicAlt: number;
}

/** Minimum samples for a fit, as SegmentQTL (a variant with fewer usable samples is skipped). */
export const MIN_SAMPLES = 30;

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function populationSd(x: Float64Array): number {
  let m = 0;
  for (const v of x) m += v;
  m /= x.length;
  let s = 0;
  for (const v of x) s += (v - m) * (v - m);
  return Math.sqrt(s / x.length);
}

/** Gaussian AIC with the ML variance, as statsmodels OLS `aic`: n(log 2π + 1 + log(RSS/n)) + 2k. */
function aic(n: number, rss: number, k: number): number {
  return rss > 0 ? n * (Math.log(2 * Math.PI) + 1 + Math.log(rss / n)) + 2 * k : NaN;
}

/** The samples usable for one variant: every input finite. */
export function usableSamples(g: GeneData, alt: Float64Array, ref: Float64Array, off: number): Int32Array {
  const n = g.y.length;
  const out: number[] = [];
  outer: for (let i = 0; i < n; i++) {
    if (!Number.isFinite(g.y[i]) || !Number.isFinite(alt[off + i]) || !Number.isFinite(ref[off + i]))
      continue;
    for (let c = 0; c < g.q; c++) if (!Number.isFinite(g.fixed[i * g.q + c])) continue outer;
    out.push(i);
  }
  return Int32Array.from(out);
}

/** The pieces of one variant's fit that the permutation pass reuses. */
export interface VariantBasis {
  /** Usable samples (indices into the gene's samples). */
  idx: Int32Array;
  /** The residualizer of [1, fixed, s] on those samples. */
  rs: Residualizer;
  /** d projected off [1, fixed, s], normalised to length 1. */
  qd: Float64Array;
  dof: number;
}

/**
 * Fits y ~ 1 + s + d + fixed for the variant at `off` in the alt/ref arrays (a row of the gene's window), or
 * returns undefined when SegmentQTL would skip it: fewer than `minSamples` usable samples, a constant phenotype,
 * sd(d) < 1e-10, or d collinear with the covariates and s.
 */
export function fitVariant(
  g: GeneData,
  alt: Float64Array,
  ref: Float64Array,
  off: number,
  minSamples: number,
  y: Float64Array = g.y,
): { fit: VariantFit; basis: VariantBasis } | undefined {
  const gy = y === g.y ? g : { ...g, y };
  const idx = usableSamples(gy, alt, ref, off);
  const n = idx.length;
  if (n < minSamples) return undefined;
  const yi = new Float64Array(n);
  const s = new Float64Array(n);
  const d = new Float64Array(n);
  const fx = new Float64Array(n * g.q);
  let distinct = false;
  for (let k = 0; k < n; k++) {
    const i = idx[k];
    yi[k] = y[i];
    if (yi[k] !== yi[0]) distinct = true;
    s[k] = ref[off + i] + alt[off + i];
    d[k] = ref[off + i] - alt[off + i];
    for (let c = 0; c < g.q; c++) fx[k * g.q + c] = g.fixed[i * g.q + c];
  }
  if (!distinct || populationSd(d) < 1e-10) return undefined;
  const base = Residualizer.of(n, fx, g.q);
  const rs = base.extend(s, 1);
  const rd = base.extend(d, 1);
  const dr = Float64Array.from(d);
  rs.residualize(dr);
  const dd = dot(dr, dr);
  if (!(Math.sqrt(dd) >= 1e-10)) return undefined;
  const yr = Float64Array.from(yi);
  rs.residualize(yr);
  const betaD = dot(dr, yr) / dd;
  let rss = 0;
  for (let k = 0; k < n; k++) {
    const e = yr[k] - betaD * dr[k];
    rss += e * e;
  }
  const rssNull = dot(yr, yr);
  const params = rs.rank + 1; // intercept, fixed covariates, s (as far as independent), d
  const dof = n - params;
  if (dof <= 0) return undefined;
  const sigma2 = rss / dof;
  const seD = Math.sqrt(sigma2 / dd);
  const t = betaD / seD;
  // β_s: s and y projected off [1, fixed, d]
  let betaS = NaN;
  let seS = NaN;
  if (rd.rank > base.rank && rs.rank > base.rank) {
    const sr = Float64Array.from(s);
    rd.residualize(sr);
    const ys = Float64Array.from(yi);
    rd.residualize(ys);
    const ssq = dot(sr, sr);
    betaS = dot(sr, ys) / ssq;
    seS = Math.sqrt(sigma2 / ssq);
  }
  let mean = 0;
  for (const v of yi) mean += v;
  mean /= n;
  let tss = 0;
  for (const v of yi) tss += (v - mean) * (v - mean);
  const qd = dr;
  const norm = Math.sqrt(dd);
  for (let k = 0; k < n; k++) qd[k] /= norm;
  return {
    fit: {
      n,
      betaS,
      seS,
      betaD,
      seD,
      t,
      p: tPvalue(t, dof),
      dof,
      r2: tss > 0 ? 1 - rss / tss : 0,
      aicNull: aic(n, rssNull, params - 1),
      aicAlt: aic(n, rss, params),
    },
    basis: { idx, rs, qd, dof },
  };
}

/**
 * SegmentQTL's segment filter (`filter_variants_to_common_segment`): per sample, the gene (start and end) must lie
 * inside one segment, else the sample's genotypes are all masked; variants outside that segment are masked. Masks
 * `alt`/`ref` (variants × samples, the rows of the window) in place. Returns the masked entries.
 */
export function maskBySegment(
  alt: Float64Array,
  ref: Float64Array,
  pos: Int32Array,
  samples: string[],
  segmentsOf: (sample: string) => Segment[] | undefined,
  geneStart: number,
  geneEnd: number,
): number {
  const n = samples.length;
  const V = pos.length;
  let masked = 0;
  for (let j = 0; j < n; j++) {
    const segs = segmentsOf(samples[j]) ?? [];
    const hits = segs.filter((sg) => sg.start <= geneStart && geneStart <= sg.end);
    const seg = hits.length === 1 && geneEnd <= hits[0].end ? hits[0] : undefined;
    for (let v = 0; v < V; v++) {
      if (seg && pos[v] >= seg.start && pos[v] <= seg.end) continue;
      if (Number.isFinite(alt[v * n + j]) || Number.isFinite(ref[v * n + j])) masked++;
      alt[v * n + j] = NaN;
      ref[v * n + j] = NaN;
    }
  }
  return masked;
}
