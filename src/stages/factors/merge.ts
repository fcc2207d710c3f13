/**
 * The covariate matrix the `cis` stage reads: known covariates (categorical ones one-hot encoded against a
 * reference level), genotype PCs and hidden factors side by side, every column checked for linear dependence
 * on the intercept and the columns before it (the same test as the cis residualizer), dependent columns
 * dropped and named. Also the GTEx rule for the number of factors and the elbow of a variance-explained curve.
 */
import { InputError } from '../../io/errors.js';
import type { KnownCovariateTable } from '../../io/known-covariates.js';
import { Residualizer } from '../../linalg/residualize.js';

export interface CovariateBlock {
  names: string[];
  /** Samples × names.length, row-major. */
  values: Float64Array;
}

export interface EncodedCovariates extends CovariateBlock {
  /** Per categorical covariate: its levels (sorted) and the reference level left out. */
  categorical: { name: string; levels: string[]; reference: string }[];
  /** Covariate-file samples not among the phenotype samples (ignored). */
  extraSamples: number;
}

function preview(ids: string[]): string {
  return ids
    .slice(0, 3)
    .map((s) => `'${s}'`)
    .join(', ');
}

/**
 * Aligns the known covariates to `samples` (every one must be in the file) and encodes them: numeric columns
 * as they are; a categorical column with L levels (sorted, the first is the reference, as R's `factor` and
 * `model.matrix` do) becomes L − 1 indicator columns `name_level`.
 */
export function encodeKnownCovariates(table: KnownCovariateTable, samples: string[]): EncodedCovariates {
  const index = new Map(table.sampleIds.map((s, i) => [s, i]));
  const missing = samples.filter((s) => !index.has(s));
  if (missing.length > 0)
    throw new InputError(
      `${missing.length} of the ${samples.length} phenotype samples are not in the known covariates (${preview(missing)}${missing.length > 3 ? ', …' : ''})`,
      {
        file: table.file,
        sample: missing[0],
        hint: `Sample IDs must be identical: the covariates have ${preview(table.sampleIds)} (check FID_IID vs IID, suffixes, case, or the file's orientation)`,
      },
    );
  const rows = Int32Array.from(samples, (s) => index.get(s)!);
  const names: string[] = [];
  const columns: Float64Array[] = [];
  const categorical: EncodedCovariates['categorical'] = [];
  for (const c of table.covariates) {
    if (!c.categorical) {
      names.push(c.name);
      columns.push(Float64Array.from(rows, (r) => c.numeric[r]));
      continue;
    }
    const levels = [...new Set(Array.from(rows, (r) => c.text[r]))].sort();
    categorical.push({ name: c.name, levels, reference: levels[0] });
    for (const level of levels.slice(1)) {
      names.push(`${c.name}_${level}`);
      columns.push(Float64Array.from(rows, (r) => (c.text[r] === level ? 1 : 0)));
    }
  }
  return {
    ...interleave(names, columns, samples.length),
    categorical,
    extraSamples: table.sampleIds.length - new Set(samples).size,
  };
}

function interleave(names: string[], columns: Float64Array[], n: number): CovariateBlock {
  const k = names.length;
  const values = new Float64Array(n * k);
  columns.forEach((col, j) => {
    for (let i = 0; i < n; i++) values[i * k + j] = col[i];
  });
  return { names, values };
}

/** A samples × k row-major matrix as a block with names `prefix1 … prefixk`. */
export function namedBlock(prefix: string, values: Float64Array, k: number): CovariateBlock {
  return { names: Array.from({ length: k }, (_, i) => `${prefix}${i + 1}`), values };
}

export interface MergedCovariates extends CovariateBlock {
  /** Columns dropped as linearly dependent on the intercept and the columns before them. */
  dropped: string[];
}

/** Concatenates blocks (in order) and drops dependent columns, as the cis residualizer would find them. */
export function mergeCovariates(blocks: CovariateBlock[], n: number): MergedCovariates {
  const names = blocks.flatMap((b) => b.names);
  const k = names.length;
  const all = new Float64Array(n * k);
  let off = 0;
  for (const b of blocks) {
    const kb = b.names.length;
    for (let i = 0; i < n; i++) for (let j = 0; j < kb; j++) all[i * k + off + j] = b.values[i * kb + j];
    off += kb;
  }
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name))
      throw new InputError(`two covariates are named '${name}'`, {
        hint: 'Rename the known covariate: genotype PCs are genotype_PC1…, PEER factors InferredCov1…, expression PCs expression_PC1…',
      });
    seen.add(name);
  }
  const dropped = Residualizer.of(n, all, k, names).dropped;
  const keep = names.map((name, j) => [name, j] as const).filter(([name]) => !dropped.includes(name));
  const values = new Float64Array(n * keep.length);
  for (let i = 0; i < n; i++) keep.forEach(([, j], c) => (values[i * keep.length + c] = all[i * k + j]));
  return { names: keep.map(([name]) => name), values, dropped };
}

/** GTEx's number of PEER factors by sample size: 15 below 150 samples, 30 below 250, 45 below 350, else 60. */
export function gtexFactorCount(samples: number): number {
  if (samples < 150) return 15;
  if (samples < 250) return 30;
  if (samples < 350) return 45;
  return 60;
}

/**
 * The elbow of a decreasing variance-explained curve: with both axes scaled to [0, 1], the component farthest
 * below the chord from the first to the last point (the "kneedle" construction of Satopää et al. 2011).
 * 1-based; 1 for curves of fewer than 3 points or without any drop.
 */
export function elbow(varianceExplained: ArrayLike<number>): number {
  const m = varianceExplained.length;
  if (m < 3) return 1;
  const top = varianceExplained[0];
  const bottom = varianceExplained[m - 1];
  if (!(top > bottom)) return 1;
  let best = 0;
  let bestGap = -Infinity;
  for (let i = 0; i < m; i++) {
    const x = i / (m - 1);
    const y = (varianceExplained[i] - bottom) / (top - bottom);
    const gap = 1 - x - y; // distance below the chord y = 1 − x (times √2)
    if (gap > bestGap) {
      bestGap = gap;
      best = i;
    }
  }
  return best + 1;
}
