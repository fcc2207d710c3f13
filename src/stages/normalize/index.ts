/**
 * The `normalize` stage: counts or quantifications in, phenotype matrix out.
 * Order as GTEx's eqtl_prepare_expression.py: TMM on all genes, then the expression filter, then
 * TMM-CPM (or raw values) of the kept genes, then the per-gene inverse normal transform.
 */
import { InputError } from '../../io/errors.js';
import { libSizes, tmmFactors } from './tmm.js';
import { cpm, inverseNormalRows, tpm } from './transform.js';
import { expressionMask } from './filter.js';
import { expressionPcOutliers } from './sampleqc.js';
import type { SampleQcResult } from './sampleqc.js';

export { tmmFactors, tmmFactorOne, libSizes } from './tmm.js';
export { cpm, tpm, inverseNormalRows } from './transform.js';
export { expressionMask } from './filter.js';
export { expressionPcOutliers } from './sampleqc.js';

export interface NormalizeOptions {
  method: 'tmm' | 'none';
  int: boolean;
  minCount: number;
  minTpm: number;
  minSampleFrac: number;
  /** Expression PCs used for sample QC (0 disables it). */
  qcPcs: number;
  qcSd: number;
  dropOutliers: boolean;
}

export const DEFAULT_NORMALIZE: NormalizeOptions = {
  method: 'tmm',
  int: false,
  minCount: 6,
  minTpm: 0.1,
  minSampleFrac: 0.2,
  qcPcs: 2,
  qcSd: 6,
  dropOutliers: false,
};

export interface CountsInput {
  /** Where the matrix came from, for error messages. */
  file: string;
  phenotypeId: string[];
  samples: string[];
  /** Genes × samples, row-major. */
  values: Float64Array;
  /** Feature lengths for TPM (filter only), aligned with phenotypeId. */
  length?: Float64Array;
}

export interface SampleQcReport {
  pcs: number;
  sd_threshold: number;
  variance_explained: number[];
  outliers: { sample: string; max_abs_z: number }[];
  dropped: boolean;
  skipped?: string;
}

export interface NormalizeResult {
  samples: string[];
  libSize: Float64Array;
  normFactors: Float64Array;
  refColumn: number;
  allZeroGenes: number;
  /** Per input gene: 1 when kept by the expression filter. */
  pass: Uint8Array;
  nCountPass: Int32Array;
  nTpmPass?: Int32Array;
  /** Input-gene indices of the kept genes, in input order. */
  kept: Int32Array;
  /** Kept genes × samples, row-major: TMM-CPM (or raw values), inverse-normal transformed when asked. */
  values: Float64Array;
  sampleQc: SampleQcReport;
}

/** Minimum samples for expression-PC QC: with fewer, a single sample cannot lie 6 SD out. */
const MIN_QC_SAMPLES = 10;

function checkLibrarySizes(input: CountsInput, libSize: Float64Array): void {
  for (let j = 0; j < libSize.length; j++) {
    if (!(libSize[j] > 0)) {
      throw new InputError('library size is zero (every gene has count 0 in this sample)', {
        file: input.file,
        sample: input.samples[j],
        expected: 'at least one non-zero count per sample',
        hint: 'Remove the empty sample from the matrix (it usually means a failed library)',
      });
    }
  }
}

function normalizeOnce(
  input: CountsInput,
  o: NormalizeOptions,
): Omit<NormalizeResult, 'sampleQc'> & { logCpmKept: Float64Array } {
  const nGenes = input.phenotypeId.length;
  const nSamples = input.samples.length;
  const counts = input.values;
  const lib = libSizes(counts, nGenes, nSamples);
  checkLibrarySizes(input, lib);
  const tmm = o.method === 'tmm' ? tmmFactors(counts, nGenes, nSamples) : undefined;
  const factors = tmm?.normFactors ?? new Float64Array(nSamples).fill(1);
  const cpmAll = cpm(counts, nGenes, nSamples, lib, factors);
  const tpmAll = input.length ? tpm(counts, nGenes, nSamples, input.length) : undefined;
  const mask = expressionMask(counts, nGenes, nSamples, o, tpmAll);
  const kept: number[] = [];
  for (let g = 0; g < nGenes; g++) if (mask.pass[g]) kept.push(g);
  const source = o.method === 'tmm' ? cpmAll : counts;
  let values: Float64Array = new Float64Array(kept.length * nSamples);
  const logCpmKept = new Float64Array(kept.length * nSamples);
  kept.forEach((g, r) => {
    values.set(source.subarray(g * nSamples, (g + 1) * nSamples), r * nSamples);
    for (let j = 0; j < nSamples; j++) logCpmKept[r * nSamples + j] = Math.log2(cpmAll[g * nSamples + j] + 1);
  });
  if (o.int) values = inverseNormalRows(values, kept.length, nSamples);
  return {
    samples: input.samples,
    libSize: lib,
    normFactors: factors,
    refColumn: tmm?.refColumn ?? -1,
    allZeroGenes: tmm?.allZeroGenes ?? 0,
    pass: mask.pass,
    nCountPass: mask.nCountPass,
    nTpmPass: mask.nTpmPass,
    kept: Int32Array.from(kept),
    values,
    logCpmKept,
  };
}

function runSampleQc(
  r: { logCpmKept: Float64Array; kept: Int32Array; samples: string[] },
  o: NormalizeOptions,
): SampleQcResult | string {
  if (o.qcPcs <= 0) return 'disabled (--qc-pcs 0)';
  if (r.samples.length < MIN_QC_SAMPLES) return `fewer than ${MIN_QC_SAMPLES} samples`;
  if (r.kept.length < 2) return 'fewer than 2 genes pass the expression filter';
  return expressionPcOutliers(r.logCpmKept, r.kept.length, r.samples.length, o.qcPcs, o.qcSd);
}

/** Subsets the samples (columns) of a counts input. */
function dropSamples(input: CountsInput, drop: Set<number>): CountsInput {
  const keepIdx = input.samples.map((_, j) => j).filter((j) => !drop.has(j));
  const n = input.phenotypeId.length;
  const m = keepIdx.length;
  const values = new Float64Array(n * m);
  for (let g = 0; g < n; g++)
    for (let k = 0; k < m; k++) values[g * m + k] = input.values[g * input.samples.length + keepIdx[k]];
  return { ...input, samples: keepIdx.map((j) => input.samples[j]), values };
}

export function normalizeExpression(
  input: CountsInput,
  options: Partial<NormalizeOptions> = {},
): NormalizeResult {
  const o = { ...DEFAULT_NORMALIZE, ...options };
  if (input.phenotypeId.length === 0 || input.samples.length === 0) {
    throw new InputError('empty matrix', { file: input.file, expected: 'at least one gene and one sample' });
  }
  let r = normalizeOnce(input, o);
  const qc = runSampleQc(r, o);
  const report: SampleQcReport = {
    pcs: 0,
    sd_threshold: o.qcSd,
    variance_explained: [],
    outliers: [],
    dropped: false,
  };
  if (typeof qc === 'string') {
    report.skipped = qc;
  } else {
    report.pcs = qc.pcs;
    report.variance_explained = qc.varianceExplained;
    report.outliers = qc.outliers.map((i) => ({ sample: r.samples[i], max_abs_z: qc.maxAbsZ[i] }));
    if (o.dropOutliers && qc.outliers.length > 0) {
      if (qc.outliers.length === r.samples.length)
        throw new InputError('every sample was flagged as an outlier', { file: input.file });
      // Recompute everything on the remaining samples: TMM, the filter and INT all depend on the sample set.
      r = normalizeOnce(dropSamples(input, new Set(qc.outliers)), o);
      report.dropped = true;
    }
  }
  const { logCpmKept: _unused, ...rest } = r;
  return { ...rest, sampleQc: report };
}
