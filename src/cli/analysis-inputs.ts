/**
 * Reads the three inputs of an association stage that tests genes against genotypes with covariates (`rare`,
 * `trans`): phenotypes with positions, the genotype reader, the covariates, and their shared samples
 * (alignAnalysisSamples, as cis and finemap); fails when no residual degree of freedom is left.
 */
import { readCovariatesAny } from '../io/covariates.js';
import { InputError } from '../io/errors.js';
import { openGenotypes } from '../io/genotypes/index.js';
import type { GenotypeReader } from '../io/genotypes/types.js';
import { readExpressionMatrix } from '../io/matrix.js';
import { alignAnalysisSamples } from '../stages/cis/inputs.js';
import type { AnalysisInputs } from '../stages/cis/inputs.js';

export interface AssociationInputs {
  phenotypes: {
    chr: string[];
    start: Int32Array;
    end: Int32Array;
    phenotypeId: string[];
    values: Float64Array;
  };
  reader: GenotypeReader;
  inputs: AnalysisInputs;
}

export async function readAssociationInputs(
  a: { genotypes: string; phenotypes: string; covariates?: string; 'min-samples': number },
  warn: (message: string) => void,
): Promise<AssociationInputs> {
  const ph = await readExpressionMatrix(a.phenotypes, undefined, undefined, true);
  if (!ph.chr || !ph.start || !ph.end)
    throw new InputError('phenotypes have no positions', {
      file: a.phenotypes,
      expected: 'a BED (#chr start end id samples…) or a phenotypes Parquet with chr, start, end',
    });
  const reader = await openGenotypes(a.genotypes);
  const cov = a.covariates ? await readCovariatesAny(a.covariates) : undefined;
  const inputs = alignAnalysisSamples(
    ph,
    await reader.samples(),
    cov,
    { phenotypes: a.phenotypes, covariates: a.covariates },
    a['min-samples'],
    warn,
  );
  const n = inputs.keep.length;
  if (n - 2 - inputs.k < 1)
    throw new InputError(`${n} samples leave no residual degrees of freedom with ${inputs.k} covariates`, {
      file: a.covariates,
    });
  return {
    phenotypes: {
      chr: ph.chr,
      start: ph.start,
      end: ph.end,
      phenotypeId: ph.phenotypeId,
      values: inputs.values,
    },
    reader,
    inputs,
  };
}
