/**
 * Known covariates for the `factors` stage (sex, batch, age, RIN, …): numeric or categorical columns, from
 * - a TSV/text table (tab-separated, or whitespace when the header has no tab; gzip or plain) in either
 *   orientation: one row per sample (`sample_id  sex  batch …`) or one row per covariate (the FastQTL /
 *   tensorQTL layout `id  sample1 sample2 …`); the orientation whose IDs match the phenotype samples wins;
 * - a Parquet table with a `sample_id` column (the covariates contract, or any table whose string and
 *   boolean columns are categorical).
 * A column is categorical when any value is not a number, or when it is named in `categorical`. Missing values
 * (`NA`, `NaN`, `.`, empty, null) are errors naming the sample and the covariate: qtlflow does not impute them.
 */
import { InputError } from './errors.js';
import { openParquet, toStrings } from './parquet.js';
import { readLines, requireFile } from './text.js';

export interface KnownCovariate {
  name: string;
  categorical: boolean;
  /** Per sample (in `sampleIds` order): the value as text (categorical) or number. */
  text: string[];
  numeric: Float64Array;
  /** Line of each value in a text file (for messages). */
  lines?: Int32Array;
}

export interface KnownCovariateTable {
  file: string;
  sampleIds: string[];
  covariates: KnownCovariate[];
}

const MISSING = new Set(['', 'NA', 'NaN', 'nan', 'NAN', 'na', '.', 'null', 'NULL']);

function isNumber(v: string): boolean {
  return v.trim() === v && v.length > 0 && Number.isFinite(Number(v));
}

function missingValue(file: string, sample: string, name: string, line?: number): InputError {
  return new InputError(`covariate '${name}' is missing`, {
    file,
    line,
    sample,
    column: name,
    hint: 'Known covariates may not have missing values: impute them (e.g. the mean or a level "unknown") or drop the covariate or sample',
  });
}

function checkUnique(ids: string[], file: string, what: string, line?: number): void {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id))
      throw new InputError(`duplicate ${what} '${id}'`, {
        file,
        line,
        sample: what === 'sample ID' ? id : undefined,
        hint: `Each ${what} must appear once`,
      });
    seen.add(id);
  }
}

function makeCovariate(
  name: string,
  text: string[],
  sampleIds: string[],
  forceCategorical: Set<string>,
  file: string,
  lines?: Int32Array,
): KnownCovariate {
  text.forEach((v, i) => {
    if (MISSING.has(v.trim())) throw missingValue(file, sampleIds[i], name, lines?.[i]);
  });
  const categorical = forceCategorical.has(name) || !text.every(isNumber);
  return {
    name,
    categorical,
    text,
    numeric: categorical ? new Float64Array(0) : Float64Array.from(text, Number),
    lines,
  };
}

async function readText(
  path: string,
  phenotypeSamples: Set<string>,
  forceCategorical: Set<string>,
): Promise<KnownCovariateTable> {
  const rows: { lineNo: number; fields: string[] }[] = [];
  let sep: RegExp | string | undefined;
  for await (const { lineNo, text } of readLines(path)) {
    if (text.trim().length === 0) continue;
    if (!sep) sep = text.includes('\t') ? '\t' : /\s+/;
    rows.push({ lineNo, fields: (sep === '\t' ? text : text.trim()).split(sep) });
  }
  if (rows.length < 2)
    throw new InputError('the known covariates file has no data rows', {
      file: path,
      expected: 'a header and one row per sample (sample_id covariate…) or per covariate (id sample…)',
    });
  const header = rows[0].fields;
  for (const r of rows.slice(1))
    if (r.fields.length !== header.length)
      throw new InputError(`row has ${r.fields.length} fields, the header has ${header.length}`, {
        file: path,
        line: r.lineNo,
        expected: `${header.length} ${sep === '\t' ? 'tab-separated ' : ''}fields per row, as the header`,
      });
  const headerHits = header.slice(1).filter((s) => phenotypeSamples.has(s)).length;
  const columnHits = rows.slice(1).filter((r) => phenotypeSamples.has(r.fields[0])).length;
  if (headerHits > columnHits) {
    // one row per covariate: id sample1 sample2 …
    const sampleIds = header.slice(1);
    checkUnique(sampleIds, path, 'sample ID', rows[0].lineNo);
    const names = rows.slice(1).map((r) => r.fields[0]);
    checkUnique(names, path, 'covariate name');
    return {
      file: path,
      sampleIds,
      covariates: rows
        .slice(1)
        .map((r) =>
          makeCovariate(
            r.fields[0],
            r.fields.slice(1),
            sampleIds,
            forceCategorical,
            path,
            new Int32Array(sampleIds.length).fill(r.lineNo),
          ),
        ),
    };
  }
  // one row per sample: sample_id covariate1 covariate2 …
  const sampleIds = rows.slice(1).map((r) => r.fields[0]);
  checkUnique(sampleIds, path, 'sample ID');
  const names = header.slice(1);
  checkUnique(names, path, 'covariate name', rows[0].lineNo);
  const lines = Int32Array.from(rows.slice(1), (r) => r.lineNo);
  return {
    file: path,
    sampleIds,
    covariates: names.map((name, c) =>
      makeCovariate(
        name,
        rows.slice(1).map((r) => r.fields[c + 1]),
        sampleIds,
        forceCategorical,
        path,
        lines,
      ),
    ),
  };
}

async function readParquetTable(path: string, forceCategorical: Set<string>): Promise<KnownCovariateTable> {
  const t = await openParquet(path);
  if (!t.columnNames.includes('sample_id'))
    throw new InputError("known covariates table has no 'sample_id' column", {
      file: path,
      expected: 'sample_id, then one column per covariate (numbers, or strings for categories)',
    });
  const sampleIds = toStrings(await t.column('sample_id'));
  checkUnique(sampleIds, path, 'sample ID');
  const covariates: KnownCovariate[] = [];
  for (const name of t.columnNames) {
    if (name === 'sample_id') continue;
    const raw = (await t.column(name)) as ArrayLike<unknown>;
    const text: string[] = [];
    let numericColumn = !forceCategorical.has(name);
    for (let i = 0; i < raw.length; i++) {
      const v = raw[i];
      if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v)))
        throw missingValue(path, sampleIds[i], name);
      if (typeof v !== 'number' && typeof v !== 'bigint') numericColumn = false;
      text.push(String(v));
    }
    covariates.push(
      numericColumn
        ? { name, categorical: false, text, numeric: Float64Array.from(text, Number) }
        : makeCovariate(name, text, sampleIds, new Set([name]), path),
    );
  }
  return { file: path, sampleIds, covariates };
}

export async function readKnownCovariates(
  path: string,
  phenotypeSamples: string[],
  categorical: string[] = [],
): Promise<KnownCovariateTable> {
  requireFile(path, 'known covariates file');
  const force = new Set(categorical);
  const table = /\.parquet$/i.test(path)
    ? await readParquetTable(path, force)
    : await readText(path, new Set(phenotypeSamples), force);
  const names = new Set(table.covariates.map((c) => c.name));
  for (const c of categorical)
    if (!names.has(c))
      throw new InputError(`--categorical names '${c}', which is not a covariate of the file`, {
        file: path,
        expected: `one of ${[...names].slice(0, 10).join(', ')}`,
      });
  return table;
}
