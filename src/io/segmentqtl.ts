/**
 * SegmentQTL's input files (CSV, as pandas writes them; gzip accepted), read into typed arrays:
 * - allele-specific genotypes, per chromosome `chr<N>_ALTlr.csv` and `chr<N>_REFlr.csv`: header `ID,sample…`,
 *   then one row per variant `chr:pos:ref:alt,values…` (log-ratio dosages; empty/NA/NaN = missing). The two files
 *   must list the same variants in the same order and the same samples;
 * - quantifications: `chr,start,end,gene_id,sample…`;
 * - per-gene sample matrices (copy number, a phenotype covariate): `gene_id,sample…`;
 * - sample covariates: a header of sample IDs (optionally after a leading name field), then `name,values…`;
 * - segmentation: `sample,chr,startpos,endpos` (1-based inclusive), segments of one sample and chromosome must
 *   not overlap.
 * Every problem is an InputError naming the file, line and column or sample.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from './errors.js';
import { canonicalChrom } from './genome.js';
import { readLines, requireFile } from './text.js';

const MISSING = new Set(['', 'NA', 'NaN', 'nan', 'NAN', 'na', 'null', 'None']);

function fields(text: string): string[] {
  const f = text.split(',');
  for (let i = 0; i < f.length; i++) {
    const v = f[i];
    if (v.length >= 2 && v[0] === '"' && v[v.length - 1] === '"') f[i] = v.slice(1, -1);
  }
  return f;
}

function parseValue(v: string, file: string, line: number, column: string): number {
  const t = v.trim();
  if (MISSING.has(t)) return NaN;
  const x = Number(t);
  if (!Number.isFinite(x))
    throw new InputError(`'${v}' is not a number`, {
      file,
      line,
      column,
      expected: 'a number, or empty / NA for a missing value',
    });
  return x;
}

interface CsvMatrix {
  /** Row IDs (first column). */
  ids: string[];
  /** Leading text columns before the values (quantifications: chr, start, end). */
  lead: string[][];
  samples: string[];
  /** rows × samples, row-major. */
  values: Float64Array;
  lines: Int32Array;
}

/**
 * Reads a CSV whose first `leadColumns` columns are text, then the ID column at `idColumn`, then one numeric
 * column per sample.
 */
async function readCsvMatrix(file: string, leadColumns: number, what: string): Promise<CsvMatrix> {
  requireFile(file, what);
  let header: string[] | undefined;
  const ids: string[] = [];
  const lead: string[][] = [];
  const lines: number[] = [];
  let chunks: Float64Array[] = [];
  let n = 0;
  for await (const { lineNo, text } of readLines(file)) {
    if (text.trim() === '') continue;
    const f = fields(text);
    if (!header) {
      header = f;
      n = f.length - leadColumns - 1;
      if (n < 1)
        throw new InputError(`the header has no sample columns`, {
          file,
          line: lineNo,
          expected: `${what}: ${leadColumns ? 'chr,start,end,' : ''}ID column, then one column per sample`,
        });
      continue;
    }
    if (f.length !== header.length)
      throw new InputError(`${f.length} fields, the header has ${header.length}`, {
        file,
        line: lineNo,
        expected: `${header.length} comma-separated fields`,
      });
    lead.push(f.slice(0, leadColumns));
    ids.push(f[leadColumns]);
    lines.push(lineNo);
    const row = new Float64Array(n);
    for (let j = 0; j < n; j++)
      row[j] = parseValue(f[leadColumns + 1 + j], file, lineNo, header[leadColumns + 1 + j]);
    chunks.push(row);
  }
  if (!header || ids.length === 0)
    throw new InputError('no data rows', { file, expected: `${what} with a header and at least one row` });
  const values = new Float64Array(ids.length * n);
  chunks.forEach((r, i) => values.set(r, i * n));
  chunks = [];
  const samples = header.slice(leadColumns + 1);
  checkUnique(samples, file, 'sample column', 1);
  return { ids, lead, samples, values, lines: Int32Array.from(lines) };
}

function checkUnique(ids: string[], file: string, what: string, line?: number): void {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id))
      throw new InputError(`duplicate ${what} '${id}'`, { file, line, expected: `each ${what} once` });
    seen.add(id);
  }
}

export interface Quantifications {
  file: string;
  chr: string[];
  start: Int32Array;
  end: Int32Array;
  geneId: string[];
  samples: string[];
  /** genes × samples, row-major. */
  values: Float64Array;
}

export async function readQuantifications(file: string): Promise<Quantifications> {
  const m = await readCsvMatrix(file, 3, 'quantifications (chr,start,end,gene_id,samples…)');
  checkUnique(m.ids, file, 'gene_id');
  const start = new Int32Array(m.ids.length);
  const end = new Int32Array(m.ids.length);
  m.lead.forEach((l, i) => {
    const s = Number(l[1]);
    const e = Number(l[2]);
    if (!Number.isInteger(s) || !Number.isInteger(e) || e < s)
      throw new InputError(`gene '${m.ids[i]}' has start ${l[1]} and end ${l[2]}`, {
        file,
        line: m.lines[i],
        expected: 'integer start ≤ end',
      });
    start[i] = s;
    end[i] = e;
  });
  return {
    file,
    chr: m.lead.map((l) => l[0]),
    start,
    end,
    geneId: m.ids,
    samples: m.samples,
    values: m.values,
  };
}

/** A per-gene sample matrix (copy number, phenotype covariate), aligned to `samples`; genes not listed get NaN rows. */
export interface GeneMatrix {
  file: string;
  /** gene → row of `values` (samples in the order asked for). */
  rows: Map<string, number>;
  values: Float64Array;
}

export async function readGeneMatrix(file: string, samples: string[], what: string): Promise<GeneMatrix> {
  const m = await readCsvMatrix(file, 0, `${what} (gene_id,samples…)`);
  checkUnique(m.ids, file, 'gene_id');
  const col = alignSamples(m.samples, samples, file);
  const n = samples.length;
  const values = new Float64Array(m.ids.length * n);
  for (let i = 0; i < m.ids.length; i++)
    for (let j = 0; j < n; j++) values[i * n + j] = m.values[i * m.samples.length + col[j]];
  return { file, rows: new Map(m.ids.map((g, i) => [g, i])), values };
}

/** Column of each wanted sample in `have`; a sample missing from the file is an input error. */
function alignSamples(have: string[], want: string[], file: string): Int32Array {
  const idx = new Map(have.map((s, i) => [s, i]));
  const missing = want.filter((s) => !idx.has(s));
  if (missing.length)
    throw new InputError(
      `${missing.length} sample${missing.length > 1 ? 's' : ''} of the quantifications missing (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''})`,
      {
        file,
        line: 1,
        sample: missing[0],
        expected: 'a column for every sample of the quantifications',
        hint: `The file has ${have.slice(0, 3).join(', ')}…: sample IDs must be identical`,
      },
    );
  return Int32Array.from(want, (s) => idx.get(s)!);
}

export interface SampleCovariates {
  names: string[];
  /** samples × covariates, row-major, in the order asked for. */
  values: Float64Array;
}

/** SegmentQTL's covariates CSV: row 1 the sample IDs (with or without a leading name field), then `name,values…`. */
export async function readSampleCovariates(file: string, samples: string[]): Promise<SampleCovariates> {
  requireFile(file, 'covariates');
  let header: string[] | undefined;
  const names: string[] = [];
  const rows: { line: number; f: string[] }[] = [];
  for await (const { lineNo, text } of readLines(file)) {
    if (text.trim() === '') continue;
    const f = fields(text);
    if (!header) header = f;
    else rows.push({ line: lineNo, f });
  }
  if (!header || rows.length === 0)
    throw new InputError('no covariate rows', {
      file,
      expected: 'a header of sample IDs, then name,values… rows',
    });
  // pandas: a header one field shorter than the rows makes the first column the index
  const ids = rows[0].f.length === header.length + 1 ? header : header.slice(1);
  checkUnique(ids, file, 'sample column', 1);
  const col = alignSamples(ids, samples, file);
  const k = rows.length;
  const values = new Float64Array(samples.length * k);
  rows.forEach(({ line, f }, c) => {
    if (f.length !== ids.length + 1)
      throw new InputError(`${f.length} fields, expected ${ids.length + 1}`, {
        file,
        line,
        expected: 'the covariate name, then one value per sample',
      });
    names.push(f[0]);
    for (let j = 0; j < samples.length; j++)
      values[j * k + c] = parseValue(f[1 + col[j]], file, line, samples[j]);
  });
  checkUnique(names, file, 'covariate');
  return { names, values };
}

export interface Segment {
  start: number;
  end: number;
}

/** Segments by sample and canonical chromosome, sorted by start. */
export type Segmentation = Map<string, Map<string, Segment[]>>;

export async function readSegmentation(file: string): Promise<Segmentation> {
  requireFile(file, 'segmentation');
  const out: Segmentation = new Map();
  const lineOf = new Map<Segment, number>();
  let cols: { sample: number; chr: number; start: number; end: number } | undefined;
  for await (const { lineNo, text } of readLines(file)) {
    if (text.trim() === '') continue;
    const f = fields(text);
    if (!cols) {
      const at = (name: string) => f.indexOf(name);
      cols = { sample: 0, chr: at('chr'), start: at('startpos'), end: at('endpos') };
      if (cols.chr < 0 || cols.start < 0 || cols.end < 0)
        throw new InputError(`header '${text}' lacks chr, startpos or endpos`, {
          file,
          line: lineNo,
          expected: 'sample,chr,startpos,endpos (ASCAT segments)',
        });
      continue;
    }
    const sample = f[cols.sample];
    const start = Number(f[cols.start]);
    const end = Number(f[cols.end]);
    if (!Number.isInteger(start) || !Number.isInteger(end) || end < start)
      throw new InputError(`segment ${f[cols.start]}–${f[cols.end]} is not an interval`, {
        file,
        line: lineNo,
        sample,
        expected: 'integer startpos ≤ endpos',
      });
    const chr = canonicalChrom(f[cols.chr]);
    let bySample = out.get(sample);
    if (!bySample) out.set(sample, (bySample = new Map()));
    let list = bySample.get(chr);
    if (!list) bySample.set(chr, (list = []));
    const seg = { start, end };
    lineOf.set(seg, lineNo);
    list.push(seg);
  }
  for (const [sample, bySample] of out)
    for (const [chr, list] of bySample) {
      list.sort((a, b) => a.start - b.start);
      for (let i = 1; i < list.length; i++)
        if (list[i].start <= list[i - 1].end)
          throw new InputError(
            `segments ${list[i - 1].start}–${list[i - 1].end} and ${list[i].start}–${list[i].end} of chromosome ${chr} overlap`,
            {
              file,
              line: Math.max(lineOf.get(list[i])!, lineOf.get(list[i - 1])!),
              sample,
              expected: 'non-overlapping segments per sample and chromosome (1-based, inclusive ends)',
              hint: 'Each position must be on at most one segment of a sample: merge or trim the overlapping segments',
            },
          );
    }
  return out;
}

export interface AlleleGenotypes {
  chr: string;
  variantId: string[];
  pos: Int32Array;
  /** variants × samples (quantification sample order), row-major. */
  alt: Float64Array;
  ref: Float64Array;
}

export function genotypeFiles(dir: string, chr: string): { alt: string; ref: string } {
  const name = chr.startsWith('chr') ? chr : `chr${chr}`;
  const pick = (suffix: string) => {
    const plain = join(dir, `${name}_${suffix}.csv`);
    return existsSync(plain) || !existsSync(`${plain}.gz`) ? plain : `${plain}.gz`;
  };
  return { alt: pick('ALTlr'), ref: pick('REFlr') };
}

/** Reads the ALTlr/REFlr pair of one chromosome; the two files must agree on variants and samples. */
export async function readAlleleGenotypes(
  dir: string,
  chr: string,
  samples: string[],
): Promise<AlleleGenotypes> {
  const files = genotypeFiles(dir, chr);
  const alt = await readCsvMatrix(files.alt, 0, 'ALTlr genotypes (ID,samples…)');
  const ref = await readCsvMatrix(files.ref, 0, 'REFlr genotypes (ID,samples…)');
  if (alt.ids.length !== ref.ids.length)
    throw new InputError(`${ref.ids.length} variants, but ${files.alt} has ${alt.ids.length}`, {
      file: files.ref,
      expected: 'the same variants as the ALTlr file, in the same order',
      hint: 'Write ALTlr and REFlr from the same variant list',
    });
  for (let i = 0; i < alt.ids.length; i++)
    if (alt.ids[i] !== ref.ids[i])
      throw new InputError(`variant '${ref.ids[i]}' where ${files.alt} has '${alt.ids[i]}'`, {
        file: files.ref,
        line: ref.lines[i],
        column: 1,
        expected: 'the same variant IDs as the ALTlr file, in the same order',
        hint: 'Write ALTlr and REFlr from the same variant list',
      });
  const pos = new Int32Array(alt.ids.length);
  alt.ids.forEach((id, i) => {
    const p = id.split(':');
    const x = Number(p[1]);
    if (p.length < 2 || !Number.isInteger(x))
      throw new InputError(`variant ID '${id}' has no position`, {
        file: files.alt,
        line: alt.lines[i],
        column: 1,
        expected: 'IDs chr:pos:ref:alt',
      });
    if (i > 0 && x < pos[i - 1])
      throw new InputError(`variant '${id}' comes after position ${pos[i - 1]}`, {
        file: files.alt,
        line: alt.lines[i],
        expected: 'variants sorted by position',
      });
    pos[i] = x;
  });
  const ca = alignSamples(alt.samples, samples, files.alt);
  const cr = alignSamples(ref.samples, samples, files.ref);
  const n = samples.length;
  const V = alt.ids.length;
  const a = new Float64Array(V * n);
  const r = new Float64Array(V * n);
  for (let v = 0; v < V; v++)
    for (let j = 0; j < n; j++) {
      a[v * n + j] = alt.values[v * alt.samples.length + ca[j]];
      r[v * n + j] = ref.values[v * ref.samples.length + cr[j]];
    }
  return { chr, variantId: alt.ids, pos, alt: a, ref: r };
}
