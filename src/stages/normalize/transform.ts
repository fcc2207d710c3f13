/** Per-gene transforms: CPM with effective library sizes, TPM, and the rank-based inverse normal transform. */
import { qnorm } from '../../stats/normal.js';
import { rankAverage } from '../../stats/rank.js';

/**
 * CPM with effective library sizes lib × factor, as `edgeR::cpm(y, normalized.lib.sizes = TRUE)`.
 * edgeR's C++ kernel multiplies by 1e6 / (lib × nf): that operation order reproduces its values bit for bit.
 */
export function cpm(
  counts: Float64Array,
  nGenes: number,
  nSamples: number,
  libSize: Float64Array,
  factors: Float64Array,
): Float64Array {
  const scale = new Float64Array(nSamples);
  for (let j = 0; j < nSamples; j++) scale[j] = 1e6 / (libSize[j] * factors[j]);
  const out = new Float64Array(nGenes * nSamples);
  for (let g = 0; g < nGenes; g++) {
    const off = g * nSamples;
    for (let j = 0; j < nSamples; j++) out[off + j] = counts[off + j] * scale[j];
  }
  return out;
}

/** TPM from counts and feature lengths: per sample, (count/length) / Σ(count/length) × 1e6. */
export function tpm(
  counts: Float64Array,
  nGenes: number,
  nSamples: number,
  lengths: Float64Array,
): Float64Array {
  const out = new Float64Array(nGenes * nSamples);
  const total = new Float64Array(nSamples);
  for (let g = 0; g < nGenes; g++) {
    const off = g * nSamples;
    for (let j = 0; j < nSamples; j++) {
      const r = counts[off + j] / lengths[g];
      out[off + j] = r;
      total[j] += r;
    }
  }
  for (let g = 0; g < nGenes; g++) {
    const off = g * nSamples;
    for (let j = 0; j < nSamples; j++) out[off + j] = total[j] > 0 ? (out[off + j] / total[j]) * 1e6 : 0;
  }
  return out;
}

/**
 * Inverse normal transform of each row (gene) over samples, as GTEx's `inverse_normal_transform`:
 * ranks with ties averaged, then Φ⁻¹(rank / (n + 1)).
 */
export function inverseNormalRows(values: Float64Array, nRows: number, nCols: number): Float64Array {
  const out = new Float64Array(nRows * nCols);
  const ranks = new Float64Array(nCols);
  for (let g = 0; g < nRows; g++) {
    const row = values.subarray(g * nCols, (g + 1) * nCols);
    rankAverage(row, ranks);
    for (let j = 0; j < nCols; j++) out[g * nCols + j] = qnorm(ranks[j] / (nCols + 1));
  }
  return out;
}
