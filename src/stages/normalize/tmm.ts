/**
 * TMM normalisation factors exactly as edgeR 3.40 `calcNormFactors(method = "TMM")` computes them
 * (Robinson & Oshlack 2010): all-zero genes dropped, reference column by upper quartile, log-ratio trim
 * 0.3, sum (A) trim 0.05, precision weights, factors rescaled to geometric mean 1.
 */
import { meanR, median, quantileType7, rankAverage, sumCompensated } from '../../stats/rank.js';

export interface TmmOptions {
  logratioTrim?: number;
  sumTrim?: number;
  doWeighting?: boolean;
  aCutoff?: number;
  /** 0-based reference column; chosen by edgeR's upper-quartile rule when absent. */
  refColumn?: number;
}

export interface TmmResult {
  /** Column sums of the counts over all genes (edgeR's default library sizes). */
  libSize: Float64Array;
  normFactors: Float64Array;
  /** 0-based reference column, or −1 when edgeR falls back to method "none" (no genes, one sample). */
  refColumn: number;
  /** Genes that are zero in every sample (dropped before computing the factors). */
  allZeroGenes: number;
}

/** Library sizes: column sums of a genes × samples row-major matrix (compensated, like R's long-double sums). */
export function libSizes(counts: Float64Array, nGenes: number, nSamples: number): Float64Array {
  const lib = new Float64Array(nSamples);
  for (let j = 0; j < nSamples; j++) lib[j] = sumCompensated(counts, j, nGenes * nSamples, nSamples);
  return lib;
}

/** One TMM factor (edgeR `.calcFactorTMM`), obs and ref restricted to the same genes. */
export function tmmFactorOne(
  obs: Float64Array,
  ref: Float64Array,
  nO: number,
  nR: number,
  logratioTrim = 0.3,
  sumTrim = 0.05,
  doWeighting = true,
  aCutoff = -1e10,
): number {
  const len = obs.length;
  const logR = new Float64Array(len);
  const absE = new Float64Array(len);
  const v = new Float64Array(len);
  let n = 0;
  for (let g = 0; g < len; g++) {
    const o = obs[g];
    const r = ref[g];
    // Same expressions and operation order as edgeR, so the values match it to the last bits.
    const lr = Math.log2(o / nO / (r / nR));
    const ae = (Math.log2(o / nO) + Math.log2(r / nR)) / 2;
    if (!Number.isFinite(lr) || !Number.isFinite(ae) || !(ae > aCutoff)) continue;
    logR[n] = lr;
    absE[n] = ae;
    v[n] = (nO - o) / nO / o + (nR - r) / nR / r;
    n++;
  }
  return trimmedMeanOfM(
    logR.subarray(0, n),
    absE.subarray(0, n),
    v.subarray(0, n),
    logratioTrim,
    sumTrim,
    doWeighting,
  );
}

/** The trimmed, precision-weighted mean of the M values (edgeR's `.calcFactorTMM` after its filter). */
function trimmedMeanOfM(
  logR: Float64Array,
  absE: Float64Array,
  v: Float64Array,
  logratioTrim: number,
  sumTrim: number,
  doWeighting: boolean,
): number {
  let maxAbs = -Infinity;
  for (const x of logR) maxAbs = Math.max(maxAbs, Math.abs(x));
  if (maxAbs < 1e-6) return 1;
  const n = logR.length;
  const loL = Math.floor(n * logratioTrim) + 1;
  const hiL = n + 1 - loL;
  const loS = Math.floor(n * sumTrim) + 1;
  const hiS = n + 1 - loS;
  const rankL = rankAverage(logR);
  const rankS = rankAverage(absE);
  let num = 0;
  let den = 0;
  let cnt = 0;
  for (let g = 0; g < n; g++) {
    if (rankL[g] < loL || rankL[g] > hiL || rankS[g] < loS || rankS[g] > hiS) continue;
    // na.rm = TRUE in edgeR: a NaN term (v = 0/0) is skipped
    if (doWeighting) {
      const a = logR[g] / v[g];
      const b = 1 / v[g];
      if (!Number.isNaN(a)) num += a;
      if (!Number.isNaN(b)) den += b;
    } else if (!Number.isNaN(logR[g])) {
      num += logR[g];
      cnt++;
    }
  }
  let f = doWeighting ? num / den : num / cnt;
  if (Number.isNaN(f)) f = 0;
  return 2 ** f;
}

/** TMM factors for a genes × samples row-major count matrix. */
export function tmmFactors(
  counts: Float64Array,
  nGenes: number,
  nSamples: number,
  options: TmmOptions = {},
): TmmResult {
  const libSize = libSizes(counts, nGenes, nSamples);
  const keep: number[] = [];
  for (let g = 0; g < nGenes; g++) {
    const off = g * nSamples;
    for (let j = 0; j < nSamples; j++) {
      if (counts[off + j] > 0) {
        keep.push(g);
        break;
      }
    }
  }
  const allZeroGenes = nGenes - keep.length;
  if (keep.length === 0 || nSamples === 1) {
    return { libSize, normFactors: new Float64Array(nSamples).fill(1), refColumn: -1, allZeroGenes };
  }
  const columns: Float64Array[] = [];
  for (let j = 0; j < nSamples; j++) {
    const c = new Float64Array(keep.length);
    for (let k = 0; k < keep.length; k++) c[k] = counts[keep[k] * nSamples + j];
    columns.push(c);
  }
  let refColumn = options.refColumn ?? -1;
  if (refColumn < 0) {
    const f75 = columns.map((c, j) => quantileType7(c, 0.75) / libSize[j]);
    if (median(f75) < 1e-20) {
      const rootSums = columns.map((c) => c.reduce((s, x) => s + Math.sqrt(x), 0));
      refColumn = rootSums.indexOf(Math.max(...rootSums));
    } else {
      const m = meanR(f75);
      let best = Infinity;
      f75.forEach((f, j) => {
        const d = Math.abs(f - m);
        if (d < best) {
          best = d;
          refColumn = j;
        }
      });
    }
  }
  const f = new Float64Array(nSamples);
  for (let j = 0; j < nSamples; j++) {
    f[j] = tmmFactorOne(
      columns[j],
      columns[refColumn],
      libSize[j],
      libSize[refColumn],
      options.logratioTrim ?? 0.3,
      options.sumTrim ?? 0.05,
      options.doWeighting ?? true,
      options.aCutoff ?? -1e10,
    );
  }
  const logs = Array.from(f, Math.log);
  const geo = Math.exp(meanR(logs));
  for (let j = 0; j < nSamples; j++) f[j] /= geo;
  return { libSize, normFactors: f, refColumn, allZeroGenes };
}
