/**
 * Expression-PC sample QC, common eQTL practice (e.g. eQTL Catalogue's sample QC): project samples on the
 * first principal components of log2(TMM-CPM + 1) over the expressed genes and flag samples more than
 * `sdThreshold` standard deviations from the mean on any of them.
 */
import { gramOfColumns, topEigen } from '../../linalg/eigen.js';

export interface SampleQcResult {
  pcs: number;
  /** Fraction of variance explained by each PC. */
  varianceExplained: number[];
  /** Sample × PC scores (row-major). */
  scores: Float64Array;
  /** Per sample: the largest |z| over the PCs. */
  maxAbsZ: Float64Array;
  /** 0-based indices of flagged samples. */
  outliers: number[];
}

/** `values` is genes × samples row-major (already the matrix to analyse, e.g. log2 CPM). */
export function expressionPcOutliers(
  values: Float64Array,
  nGenes: number,
  nSamples: number,
  pcs: number,
  sdThreshold: number,
): SampleQcResult {
  const k = Math.max(0, Math.min(pcs, nSamples - 1));
  const centred = new Float64Array(values.length);
  for (let g = 0; g < nGenes; g++) {
    const off = g * nSamples;
    let m = 0;
    for (let j = 0; j < nSamples; j++) m += values[off + j];
    m /= nSamples;
    for (let j = 0; j < nSamples; j++) centred[off + j] = values[off + j] - m;
  }
  // Scores of the samples are the eigenvectors of the sample Gram matrix scaled by √λ.
  const gram = gramOfColumns(centred, nGenes, nSamples);
  const { values: lambda, vectors } = topEigen(gram, nSamples, k);
  let total = 0; // trace = sum of all eigenvalues
  for (let i = 0; i < nSamples; i++) total += gram[i * nSamples + i];
  const scores = new Float64Array(nSamples * k);
  const maxAbsZ = new Float64Array(nSamples);
  const varianceExplained: number[] = [];
  for (let c = 0; c < k; c++) {
    const s = Math.sqrt(Math.max(lambda[c], 0));
    varianceExplained.push(total > 0 ? Math.max(lambda[c], 0) / total : 0);
    let mean = 0;
    for (let i = 0; i < nSamples; i++) {
      scores[i * k + c] = vectors[i * k + c] * s;
      mean += scores[i * k + c];
    }
    mean /= nSamples;
    let ss = 0;
    for (let i = 0; i < nSamples; i++) ss += (scores[i * k + c] - mean) ** 2;
    const sd = Math.sqrt(ss / (nSamples - 1));
    for (let i = 0; i < nSamples; i++) {
      const z = sd > 0 ? Math.abs(scores[i * k + c] - mean) / sd : 0;
      if (z > maxAbsZ[i]) maxAbsZ[i] = z;
    }
  }
  const outliers: number[] = [];
  for (let i = 0; i < nSamples; i++) if (maxAbsZ[i] > sdThreshold) outliers.push(i);
  return { pcs: k, varianceExplained, scores, maxAbsZ, outliers };
}
