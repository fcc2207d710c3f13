/**
 * The Parquet contracts of ARCHITECTURE.md §4 that are matrices: phenotypes, counts and covariates.
 * Column names follow tensorQTL / QTLtools BED so downstream code keeps working.
 */
import { InputError } from './errors.js';
import { compareChrom } from './genome.js';
import { openParquet, toFloat64, toInt32, toStrings, writeTable } from './parquet.js';
import type { ColumnSpec, ColumnData, ParquetTable, TableMeta } from './parquet.js';

export const PHENOTYPES_SCHEMA = 'phenotypes/1';
export const COUNTS_SCHEMA = 'counts/1';
export const COVARIATES_SCHEMA = 'covariates/1';

/** Phenotypes × samples, values row-major (phenotype i, sample j at i·nSamples + j). BED semantics. */
export interface PhenotypeMatrix {
  chr: string[];
  /** 0-based start (TSS for + strand). */
  start: Int32Array;
  end: Int32Array;
  phenotypeId: string[];
  groupId?: string[];
  strand?: string[];
  samples: string[];
  values: Float64Array;
}

/** Genes × samples counts, row-major. */
export interface CountMatrix {
  phenotypeId: string[];
  length?: Float64Array;
  samples: string[];
  values: Float64Array;
}

/** Samples × covariates, row-major (sample i, covariate j at i·nCovariates + j). */
export interface CovariateMatrix {
  sampleIds: string[];
  names: string[];
  values: Float64Array;
}

/** Column j of a row-major matrix as its own array (one sample across phenotypes). */
function matrixColumn(values: Float64Array, nRows: number, nCols: number, j: number): Float64Array {
  const out = new Float64Array(nRows);
  for (let i = 0; i < nRows; i++) out[i] = values[i * nCols + j];
  return out;
}

/**
 * Writes a row-major matrix as leading key columns plus one float64 column per matrix column (samples for
 * phenotypes and counts, covariates for covariates). Row groups of 5,000 rows keep region reads small.
 */
function writeWideMatrix(
  path: string,
  keySpecs: ColumnSpec[],
  keyCols: ColumnData[],
  columnNames: string[],
  values: Float64Array,
  nRows: number,
  meta: TableMeta,
): void {
  const specs = [...keySpecs];
  const cols = [...keyCols];
  columnNames.forEach((name, j) => {
    specs.push({ name, type: 'float64' });
    cols.push(matrixColumn(values, nRows, columnNames.length, j));
  });
  writeTable(path, specs, cols, meta, { rowGroupSize: 5000 });
}

function checkUniqueSamples(samples: string[], file: string): void {
  const seen = new Set<string>();
  for (const s of samples) {
    if (seen.has(s)) throw new InputError('duplicate sample ID', { file, sample: s });
    seen.add(s);
  }
}

/** Returns the permutation that sorts phenotypes by chr (natural order), then start, then ID. */
export function phenotypeOrder(p: Pick<PhenotypeMatrix, 'chr' | 'start' | 'phenotypeId'>): Int32Array {
  const idx = Int32Array.from({ length: p.chr.length }, (_, i) => i);
  idx.sort(
    (a, b) =>
      compareChrom(p.chr[a], p.chr[b]) ||
      p.start[a] - p.start[b] ||
      (p.phenotypeId[a] < p.phenotypeId[b] ? -1 : p.phenotypeId[a] > p.phenotypeId[b] ? 1 : 0),
  );
  return idx;
}

export function writePhenotypes(path: string, p: PhenotypeMatrix, params: Record<string, unknown>): void {
  const n = p.phenotypeId.length;
  const specs: ColumnSpec[] = [
    { name: 'chr', type: 'string', statistics: true },
    { name: 'start', type: 'int32' },
    { name: 'end', type: 'int32' },
    { name: 'phenotype_id', type: 'string', statistics: true },
  ];
  const cols: ColumnData[] = [p.chr, p.start, p.end, p.phenotypeId];
  if (p.groupId) {
    specs.push({ name: 'group_id', type: 'string' });
    cols.push(p.groupId);
  }
  if (p.strand) {
    specs.push({ name: 'strand', type: 'string' });
    cols.push(p.strand);
  }
  writeWideMatrix(path, specs, cols, p.samples, p.values, n, {
    schema: PHENOTYPES_SCHEMA,
    params,
    extra: { samples: p.samples },
  });
}

/** Reads the named float64 columns into one row-major matrix (rows × columns). */
async function readSampleColumns(t: ParquetTable, samples: string[], nRows: number): Promise<Float64Array> {
  const m = samples.length;
  const values = new Float64Array(nRows * m);
  for (let j = 0; j < m; j++) {
    const col = toFloat64(await t.column(samples[j]));
    for (let i = 0; i < nRows; i++) values[i * m + j] = col[i];
  }
  return values;
}

const PHENOTYPE_META = ['chr', 'start', 'end', 'phenotype_id', 'group_id', 'strand'];

export async function readPhenotypes(path: string): Promise<PhenotypeMatrix> {
  const t = await openParquet(path);
  for (const c of ['chr', 'start', 'end', 'phenotype_id']) {
    if (!t.columnNames.includes(c)) {
      throw new InputError(`phenotypes file has no '${c}' column`, {
        file: path,
        expected:
          'columns chr, start, end, phenotype_id, then one column per sample (qtlflow phenotypes contract)',
      });
    }
  }
  const samples = t.columnNames.filter((c) => !PHENOTYPE_META.includes(c));
  checkUniqueSamples(samples, path);
  const n = t.numRows;
  return {
    chr: toStrings(await t.column('chr')),
    start: toInt32(await t.column('start')),
    end: toInt32(await t.column('end')),
    phenotypeId: toStrings(await t.column('phenotype_id')),
    groupId: t.columnNames.includes('group_id') ? toStrings(await t.column('group_id')) : undefined,
    strand: t.columnNames.includes('strand') ? toStrings(await t.column('strand')) : undefined,
    samples,
    values: await readSampleColumns(t, samples, n),
  };
}

export function writeCounts(path: string, c: CountMatrix, params: Record<string, unknown>): void {
  const n = c.phenotypeId.length;
  const specs: ColumnSpec[] = [{ name: 'phenotype_id', type: 'string' }];
  const cols: ColumnData[] = [c.phenotypeId];
  if (c.length) {
    specs.push({ name: 'length', type: 'float64' });
    cols.push(c.length);
  }
  writeWideMatrix(path, specs, cols, c.samples, c.values, n, {
    schema: COUNTS_SCHEMA,
    params,
    extra: { samples: c.samples },
  });
}

export function writeCovariates(path: string, c: CovariateMatrix, params: Record<string, unknown>): void {
  writeWideMatrix(
    path,
    [{ name: 'sample_id', type: 'string' }],
    [c.sampleIds],
    c.names,
    c.values,
    c.sampleIds.length,
    {
      schema: COVARIATES_SCHEMA,
      params,
    },
  );
}

export async function readCovariates(path: string): Promise<CovariateMatrix> {
  const t = await openParquet(path);
  if (!t.columnNames.includes('sample_id')) {
    throw new InputError("covariates file has no 'sample_id' column", {
      file: path,
      expected: 'sample_id, then one float64 column per covariate',
    });
  }
  const sampleIds = toStrings(await t.column('sample_id'));
  checkUniqueSamples(sampleIds, path);
  const names = t.columnNames.filter((c) => c !== 'sample_id');
  const values = await readSampleColumns(t, names, sampleIds.length);
  return { sampleIds, names, values };
}
