/**
 * Covariates for association: the covariates Parquet contract (`sample_id` + one column per covariate), or
 * the text layout FastQTL, QTLtools and tensorQTL read (gzip or plain, tab/space separated: a header
 * `id <samples…>`, then one row per covariate). Values must be numeric; a missing value is an error naming the
 * covariate and the sample (qtlflow does not impute covariates).
 */
import { readCovariates } from './contracts.js';
import type { CovariateMatrix } from './contracts.js';
import { InputError } from './errors.js';
import { readLines } from './text.js';

function isParquet(path: string): boolean {
  return /\.parquet$/i.test(path);
}

export async function readCovariatesAny(path: string): Promise<CovariateMatrix> {
  const c = isParquet(path) ? await readCovariates(path) : await readCovariateText(path);
  const k = c.names.length;
  for (let i = 0; i < c.sampleIds.length; i++)
    for (let j = 0; j < k; j++)
      if (!Number.isFinite(c.values[i * k + j]))
        throw new InputError(`covariate '${c.names[j]}' is missing or not a number`, {
          file: path,
          sample: c.sampleIds[i],
          column: c.names[j],
          hint: 'Covariates may not have missing values: impute them (e.g. the mean) or drop the covariate or sample',
        });
  return c;
}

async function readCovariateText(path: string): Promise<CovariateMatrix> {
  let samples: string[] | undefined;
  const names: string[] = [];
  const rows: number[][] = [];
  for await (const { lineNo, text } of readLines(path)) {
    if (text.trim().length === 0) continue;
    const f = text.trim().split(/\s+/);
    if (!samples) {
      samples = f.slice(1);
      const seen = new Set<string>();
      for (const s of samples) {
        if (seen.has(s))
          throw new InputError(`duplicate sample ID '${s}' in the covariates header`, {
            file: path,
            line: lineNo,
            sample: s,
          });
        seen.add(s);
      }
      continue;
    }
    if (f.length !== samples.length + 1)
      throw new InputError(`covariate row has ${f.length - 1} values for ${samples.length} samples`, {
        file: path,
        line: lineNo,
        expected: 'id <one value per sample>, as the header',
      });
    names.push(f[0]);
    rows.push(
      f.slice(1).map((v) => (v === 'NA' || v === 'nan' || v === 'NaN' || v === '.' ? NaN : Number(v))),
    );
  }
  if (!samples)
    throw new InputError('covariates file is empty', { file: path, expected: 'a header id <samples…>' });
  const k = names.length;
  const values = new Float64Array(samples.length * k);
  rows.forEach((r, j) => r.forEach((v, i) => (values[i * k + j] = v)));
  return { sampleIds: samples, names, values };
}
