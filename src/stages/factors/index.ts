/**
 * The `factors` stage: hidden confounders and ancestry as covariates for QTL mapping. Expression PCs or
 * PEER-like factors from the normalized phenotypes, genotype PCs after LD pruning, and the known covariates,
 * merged into one covariates matrix with dependent columns dropped.
 */
import { InputError } from '../../io/errors.js';
import { principalComponents } from '../../linalg/pca.js';
import type { PrincipalComponents } from '../../linalg/pca.js';

export { fitPeer, PEER_DEFAULTS } from './peer.js';
export type { PeerOptions, PeerResult, PeerInput, PeerStop } from './peer.js';
export { genotypePcs } from './genopcs.js';
export type { GenotypePcOptions, GenotypePcResult } from './genopcs.js';
export { LdPruner, EQTL_CATALOGUE_PRUNING } from './ldprune.js';
export type { PruneOptions } from './ldprune.js';
export { encodeKnownCovariates, mergeCovariates, namedBlock, gtexFactorCount, elbow } from './merge.js';
export type { CovariateBlock, EncodedCovariates, MergedCovariates } from './merge.js';

/** Column name prefixes in the covariates output (GTEx calls PEER factors InferredCov). */
export const PREFIX = {
  peer: 'InferredCov',
  pca: 'expression_PC',
  genotype: 'genotype_PC',
} as const;

/**
 * Checks the phenotype matrix the factor models read: every value finite, no gene constant across the
 * samples (it carries no information, and a scaled PCA would divide by zero).
 */
export function checkPhenotypeMatrix(
  values: Float64Array,
  genes: string[],
  samples: string[],
  file: string,
): void {
  const n = samples.length;
  const constant: string[] = [];
  for (let g = 0; g < genes.length; g++) {
    const o = g * n;
    let min = Infinity;
    let max = -Infinity;
    for (let j = 0; j < n; j++) {
      const v = values[o + j];
      if (!Number.isFinite(v))
        throw new InputError(`phenotype value is missing or not a number (${v})`, {
          file,
          sample: samples[j],
          column: samples[j],
          hint: `gene ${genes[g]}: impute or remove missing values before inferring factors`,
        });
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (min === max) constant.push(genes[g]);
  }
  if (constant.length > 0)
    throw new InputError(
      `${constant.length} phenotype${constant.length > 1 ? 's are' : ' is'} constant across the ${n} samples (${constant
        .slice(0, 3)
        .map((id) => `'${id}'`)
        .join(', ')}${constant.length > 3 ? ', …' : ''})`,
      {
        file,
        hint: 'Remove genes without variation first (qtlflow normalize drops unexpressed genes with its expression filter)',
      },
    );
}

/**
 * Expression PCA as R's `prcomp(t(Y), center = TRUE, scale. = scale)`: genes centred (and scaled to unit
 * variance) across samples; scores are the samples' PC coordinates.
 */
export function expressionPca(
  values: Float64Array,
  genes: number,
  samples: number,
  k: number,
  scale: boolean,
  seed?: number,
): PrincipalComponents {
  const x = new Float64Array(values.length);
  for (let g = 0; g < genes; g++) {
    const o = g * samples;
    let mean = 0;
    for (let j = 0; j < samples; j++) mean += values[o + j];
    mean /= samples;
    let ss = 0;
    for (let j = 0; j < samples; j++) {
      x[o + j] = values[o + j] - mean;
      ss += x[o + j] ** 2;
    }
    if (scale) {
      const sd = Math.sqrt(ss / (samples - 1));
      for (let j = 0; j < samples; j++) x[o + j] /= sd;
    }
  }
  return principalComponents(x, genes, samples, k, seed);
}
