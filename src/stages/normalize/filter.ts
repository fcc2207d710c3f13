/**
 * GTEx expression filter (eqtl_prepare_expression.py): a gene is kept when, in at least `minSampleFrac` of
 * samples, its count is ≥ `minCount` and (when TPMs are available) its TPM is ≥ `minTpm`; the two
 * conditions are counted separately, as GTEx does.
 */
export interface ExpressionFilterOptions {
  minCount: number;
  minTpm: number;
  minSampleFrac: number;
}

export interface ExpressionMask {
  pass: Uint8Array;
  /** Samples with count ≥ minCount, per gene. */
  nCountPass: Int32Array;
  /** Samples with TPM ≥ minTpm, per gene (absent without TPMs). */
  nTpmPass?: Int32Array;
}

export function expressionMask(
  counts: Float64Array,
  nGenes: number,
  nSamples: number,
  options: ExpressionFilterOptions,
  tpmValues?: Float64Array,
): ExpressionMask {
  const pass = new Uint8Array(nGenes);
  const nCountPass = new Int32Array(nGenes);
  const nTpmPass = tpmValues ? new Int32Array(nGenes) : undefined;
  const need = options.minSampleFrac * nSamples;
  for (let g = 0; g < nGenes; g++) {
    const off = g * nSamples;
    let c = 0;
    let t = 0;
    for (let j = 0; j < nSamples; j++) {
      if (counts[off + j] >= options.minCount) c++;
      if (tpmValues && tpmValues[off + j] >= options.minTpm) t++;
    }
    nCountPass[g] = c;
    if (nTpmPass) nTpmPass[g] = t;
    pass[g] = c >= need && (!nTpmPass || t >= need) ? 1 : 0;
  }
  return { pass, nCountPass, nTpmPass };
}
