/**
 * The analysis samples and the covariate projection shared by the stages that model one phenotype against
 * the genotypes of its cis window (`cis`, `finemap`): samples present in the phenotypes, the genotypes and the
 * covariates, in phenotype order; the phenotype values of those samples (every value checked); the residualizer
 * on [1, covariates].
 */
import type { CovariateMatrix } from '../../io/contracts.js';
import { InputError } from '../../io/errors.js';
import type { ExpressionInput } from '../../io/matrix.js';
import { Residualizer } from '../../linalg/residualize.js';

export interface AnalysisInputs {
  /** [sample ID, column in the phenotype file] of each analysis sample, in phenotype order. */
  keep: (readonly [string, number])[];
  /** Sample counts of each input and the shared set. */
  counts: { phenotypes: number; genotypes: number; covariates: number | undefined; shared: number };
  /** Index of each analysis sample in the genotype file. */
  genotypeIndex: Int32Array;
  /** Covariate columns (the dof counts them all, as FastQTL and tensorQTL do). */
  k: number;
  /** Analysis samples × k covariates, row-major. */
  covariates: Float64Array;
  residualizer: Residualizer;
  /** Phenotypes × analysis samples, row-major. */
  values: Float64Array;
}

function preview(ids: string[]): string {
  return ids
    .slice(0, 3)
    .map((s) => `'${s}'`)
    .join(', ');
}

export function alignAnalysisSamples(
  ph: ExpressionInput,
  genoSamples: string[],
  cov: CovariateMatrix | undefined,
  files: { phenotypes: string; covariates?: string },
  minSamples: number,
  warn: (message: string) => void,
): AnalysisInputs {
  const gIndex = new Map(genoSamples.map((s, i) => [s, i]));
  const cIndex = cov ? new Map(cov.sampleIds.map((s, i) => [s, i])) : undefined;
  const keep = ph.samples
    .map((s, j) => [s, j] as const)
    .filter(([s]) => gIndex.has(s) && (!cIndex || cIndex.has(s)));
  const counts = {
    phenotypes: ph.samples.length,
    genotypes: genoSamples.length,
    covariates: cov?.sampleIds.length,
    shared: keep.length,
  };
  const described = `the phenotypes (${counts.phenotypes}), genotypes (${counts.genotypes})${cov ? ` and covariates (${counts.covariates})` : ''}`;
  if (keep.length < minSamples)
    throw new InputError(
      `only ${keep.length} samples are shared by ${described}; at least ${minSamples} are needed`,
      {
        file: files.phenotypes,
        hint: `Sample IDs must be identical: the phenotypes have ${preview(ph.samples)}, the genotypes ${preview(genoSamples)}${cov ? `, the covariates ${preview(cov.sampleIds)}` : ''} (check FID_IID vs IID, suffixes, case)`,
      },
    );
  if (keep.length < ph.samples.length || keep.length < genoSamples.length)
    warn(`using the ${keep.length} samples shared by ${described.replace(/^the /, '')}`);
  const n = keep.length;
  const k = cov ? cov.names.length : 0;
  const covValues = new Float64Array(n * k);
  if (cov)
    keep.forEach(([s], i) =>
      covValues.set(cov.values.subarray(cIndex!.get(s)! * k, (cIndex!.get(s)! + 1) * k), i * k),
    );
  const residualizer = Residualizer.of(n, covValues, k, cov?.names);
  if (residualizer.dropped.length)
    warn(
      `covariates linearly dependent on the intercept and earlier covariates: ${residualizer.dropped.join(', ')} (projected out once; the df still counts ${k} covariates, as FastQTL and tensorQTL do)`,
    );
  const nPh = ph.phenotypeId.length;
  const values = new Float64Array(nPh * n);
  for (let i = 0; i < nPh; i++)
    keep.forEach(([, j], c) => (values[i * n + c] = ph.values[i * ph.samples.length + j]));
  for (let i = 0; i < nPh; i++)
    for (let c = 0; c < n; c++)
      if (!Number.isFinite(values[i * n + c]))
        throw new InputError('phenotype value is missing or not a number', {
          file: files.phenotypes,
          sample: keep[c][0],
          hint: `phenotype ${ph.phenotypeId[i]}: impute or remove missing values before mapping`,
        });
  return {
    keep,
    counts,
    genotypeIndex: Int32Array.from(keep.map(([s]) => gIndex.get(s)!)),
    k,
    covariates: covValues,
    residualizer,
    values,
  };
}
