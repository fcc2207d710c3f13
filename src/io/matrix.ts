/**
 * Readers for expression / count matrices at the edge of the pipeline: QTLtools/FastQTL BED(.gz),
 * a gene × sample TSV(.gz), or a qtlflow counts / phenotypes Parquet. Every value is checked on the
 * way in; a problem is reported with file, line and column, never passed on as NaN.
 */
import { InputError } from './errors.js';
import { readLines } from './text.js';
import { openParquet, toFloat64, toInt32, toStrings } from './parquet.js';

export type MatrixFormat = 'bed' | 'tsv' | 'parquet';

export interface ExpressionInput {
  file: string;
  format: MatrixFormat;
  phenotypeId: string[];
  /** Positions, present for BED and phenotypes Parquet inputs. */
  chr?: string[];
  start?: Int32Array;
  end?: Int32Array;
  strand?: string[];
  groupId?: string[];
  /** Feature lengths (bp) for TPM, from a `length` column when the input has one. */
  length?: Float64Array;
  samples: string[];
  /** Genes × samples, row-major. */
  values: Float64Array;
}

/** Guesses the format from the name; Parquet is recognised by its magic bytes by the caller when ambiguous. */
export function guessMatrixFormat(path: string): MatrixFormat {
  const p = path.toLowerCase().replace(/\.(gz|bgz)$/, '');
  if (p.endsWith('.parquet') || p.endsWith('.pq')) return 'parquet';
  if (p.endsWith('.bed')) return 'bed';
  return 'tsv';
}

/** Column names recognised as per-feature annotation, not samples, after the ID column(s). */
const BED_META = new Set(['length', 'strand', 'gid', 'pid', 'group_id', 'info', 'score']);
const TSV_META = new Set(['length', 'description', 'strand', 'gene_name', 'symbol']);

/** Growable row-major matrix buffer. */
class RowBuffer {
  private data: Float64Array;
  rows = 0;
  constructor(private readonly width: number) {
    this.data = new Float64Array(Math.max(1, width) * 1024);
  }
  next(): number {
    const need = (this.rows + 1) * this.width;
    if (need > this.data.length) {
      const grown = new Float64Array(Math.max(need, this.data.length * 2));
      grown.set(this.data);
      this.data = grown;
    }
    return this.rows++ * this.width;
  }
  set(i: number, v: number): void {
    this.data[i] = v;
  }
  finish(): Float64Array {
    return this.data.slice(0, this.rows * this.width);
  }
}

/** The characters String.prototype.trim removes (ECMAScript WhiteSpace and LineTerminator). */
function isSpace(c: number): boolean {
  if (c <= 32) return true;
  if (c < 160) return false;
  return (
    c === 160 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * Parses a count/quantification value: finite and ≥ 0 (any finite number for `signed` phenotypes), or an
 * InputError naming line and column.
 */
function parseValue(field: string, file: string, line: number, column: string, signed = false): number {
  // Number() accepts surrounding whitespace; a field with any is rejected (its two ends checked, no trim copy)
  const last = field.length - 1;
  const v = last < 0 || isSpace(field.charCodeAt(0)) || isSpace(field.charCodeAt(last)) ? NaN : Number(field);
  if (!Number.isFinite(v)) {
    throw new InputError(`non-numeric value '${field.length > 32 ? field.slice(0, 32) + '…' : field}'`, {
      file,
      line,
      column,
      expected: signed
        ? 'a finite number (impute missing phenotype values before mapping)'
        : 'a finite, non-negative number (missing values are not allowed in a count matrix)',
    });
  }
  if (v < 0 && !signed) {
    throw new InputError(`negative value ${field}`, {
      file,
      line,
      column,
      expected: 'a non-negative count or quantification',
    });
  }
  return v;
}

function parseCoordinate(field: string, file: string, line: number, column: string): number {
  const v = Number(field);
  if (field.length === 0 || !Number.isInteger(v) || v < 0 || v > 2 ** 31 - 1) {
    throw new InputError(`invalid coordinate '${field}'`, {
      file,
      line,
      column,
      expected: 'a non-negative integer',
    });
  }
  return v;
}

function checkHeaderSamples(samples: string[], firstSampleCol: number, file: string): void {
  const seen = new Map<string, number>();
  samples.forEach((s, j) => {
    const col = firstSampleCol + j + 1;
    if (s.length === 0) throw new InputError('empty sample ID in the header', { file, line: 1, column: col });
    const prev = seen.get(s);
    if (prev !== undefined) {
      throw new InputError(`duplicate sample ID '${s}' (header columns ${prev} and ${col})`, {
        file,
        line: 1,
        column: col,
        sample: s,
        hint: 'Each sample must appear once; rename or remove the duplicate column',
      });
    }
    seen.set(s, col);
  });
}

/** Reads a BED or TSV text matrix. */
/** Progress callback: bytes of the (possibly compressed) file read so far, and its size. */
export type ByteProgress = (bytesRead: number, totalBytes: number) => void;

async function readTextMatrix(
  file: string,
  format: 'bed' | 'tsv',
  onBytes?: ByteProgress,
  signed = false,
): Promise<ExpressionInput> {
  let header: string[] | undefined;
  let nMeta = 0;
  let metaNames: string[] = [];
  let samples: string[] = [];
  let buf: RowBuffer | undefined;
  const ids: string[] = [];
  const chr: string[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const strand: string[] = [];
  const group: string[] = [];
  const lengths: number[] = [];
  const firstLine = new Map<string, number>();
  let gctPreamble = false;

  for await (const { lineNo, text } of readLines(file, onBytes)) {
    if (text.length === 0) continue;
    if (!header) {
      // GCT: a '#1.2' version line, then a 'rows<TAB>columns' line, then the header
      if (format === 'tsv' && /^#1\.\d/.test(text)) {
        gctPreamble = true;
        continue;
      }
      if (gctPreamble && /^\d+\t\d+$/.test(text)) continue;
      header = text.split('\t');
      if (format === 'bed') {
        if (!header[0].startsWith('#') || header.length < 5) {
          throw new InputError('BED matrix header not recognised', {
            file,
            line: lineNo,
            expected: "a tab-separated header '#chr start end id [length|gid strand] sample1 sample2 …'",
          });
        }
        nMeta = 4;
        while (nMeta < header.length && BED_META.has(header[nMeta].toLowerCase())) nMeta++;
      } else {
        nMeta = 1;
        while (nMeta < header.length && TSV_META.has(header[nMeta].toLowerCase())) nMeta++;
      }
      metaNames = header.slice(0, nMeta).map((h) => h.toLowerCase());
      samples = header.slice(nMeta);
      if (samples.length === 0) {
        throw new InputError('the header names no sample columns', {
          file,
          line: lineNo,
          expected:
            format === 'bed'
              ? 'sample columns after #chr, start, end, id'
              : 'sample columns after the gene ID column',
          hint: header.length === 1 && /\s/.test(text) ? 'The file does not look tab-separated' : undefined,
        });
      }
      checkHeaderSamples(samples, nMeta, file);
      buf = new RowBuffer(samples.length);
      continue;
    }
    const f = text.split('\t');
    if (f.length !== header.length) {
      throw new InputError(`row has ${f.length} tab-separated fields, the header has ${header.length}`, {
        file,
        line: lineNo,
        expected: `${header.length} fields per row (ragged matrix)`,
      });
    }
    const idCol = format === 'bed' ? 3 : 0;
    const id = f[idCol];
    if (id.length === 0)
      throw new InputError('empty feature ID', { file, line: lineNo, column: header[idCol] });
    const prev = firstLine.get(id);
    if (prev !== undefined) {
      throw new InputError(`duplicate feature ID '${id}' (first seen on line ${prev})`, {
        file,
        line: lineNo,
        column: header[idCol],
        hint: 'Feature IDs must be unique; aggregate or rename duplicates before normalizing',
      });
    }
    firstLine.set(id, lineNo);
    ids.push(id);
    if (format === 'bed') {
      chr.push(f[0]);
      const s = parseCoordinate(f[1], file, lineNo, header[1]);
      const e = parseCoordinate(f[2], file, lineNo, header[2]);
      if (e < s)
        throw new InputError(`end ${e} is before start ${s}`, { file, line: lineNo, column: header[2] });
      starts.push(s);
      ends.push(e);
    }
    for (let c = idCol === 0 ? 1 : 4; c < nMeta; c++) {
      const name = metaNames[c];
      if (name === 'length') {
        const v = Number(f[c]);
        if (!Number.isFinite(v) || v <= 0) {
          throw new InputError(`invalid feature length '${f[c]}'`, {
            file,
            line: lineNo,
            column: header[c],
            expected: 'a positive number',
          });
        }
        lengths.push(v);
      } else if (name === 'strand') strand.push(f[c]);
      else if (name === 'gid' || name === 'group_id') group.push(f[c]);
    }
    const off = buf!.next();
    for (let j = 0; j < samples.length; j++)
      buf!.set(off + j, parseValue(f[nMeta + j], file, lineNo, samples[j], signed));
  }
  if (!header) throw new InputError('empty matrix: the file has no header and no rows', { file });
  if (ids.length === 0)
    throw new InputError('empty matrix: the header is followed by no data rows', { file, line: 2 });
  const out: ExpressionInput = { file, format, phenotypeId: ids, samples, values: buf!.finish() };
  if (format === 'bed') {
    out.chr = chr;
    out.start = Int32Array.from(starts);
    out.end = Int32Array.from(ends);
  }
  if (metaNames.includes('strand')) out.strand = strand;
  if (metaNames.includes('gid') || metaNames.includes('group_id')) out.groupId = group;
  if (metaNames.includes('length')) out.length = Float64Array.from(lengths);
  return out;
}

/** Reads a counts or phenotypes Parquet, validating values like the text readers. */
async function readParquetMatrix(file: string, signed = false): Promise<ExpressionInput> {
  const t = await openParquet(file);
  if (!t.columnNames.includes('phenotype_id')) {
    throw new InputError("no 'phenotype_id' column", {
      file,
      expected: 'a qtlflow counts or phenotypes Parquet',
    });
  }
  const meta = new Set(['chr', 'start', 'end', 'phenotype_id', 'group_id', 'strand', 'length']);
  const samples = t.columnNames.filter((c) => !meta.has(c));
  if (samples.length === 0 || t.numRows === 0)
    throw new InputError('empty matrix', {
      file,
      expected: 'at least one feature row and one sample column',
    });
  checkHeaderSamples(samples, t.columnNames.length - samples.length, file);
  const ids = toStrings(await t.column('phenotype_id'));
  const seen = new Map<string, number>();
  ids.forEach((id, i) => {
    const prev = seen.get(id);
    if (prev !== undefined)
      throw new InputError(`duplicate feature ID '${id}' (first seen in row ${prev})`, {
        file,
        line: i + 1,
        column: 'phenotype_id',
      });
    seen.set(id, i + 1);
  });
  const n = ids.length;
  const m = samples.length;
  const values = new Float64Array(n * m);
  for (let j = 0; j < m; j++) {
    const col = toFloat64(await t.column(samples[j]));
    for (let i = 0; i < n; i++) {
      const v = col[i];
      if (!Number.isFinite(v) || (v < 0 && !signed)) {
        throw new InputError(`${Number.isFinite(v) ? 'negative' : 'missing or non-finite'} value ${v}`, {
          file,
          line: i + 1,
          column: samples[j],
          expected: 'a finite, non-negative number',
        });
      }
      values[i * m + j] = v;
    }
  }
  const out: ExpressionInput = { file, format: 'parquet', phenotypeId: ids, samples, values };
  if (t.columnNames.includes('chr')) {
    out.chr = toStrings(await t.column('chr'));
    out.start = toInt32(await t.column('start'));
    out.end = toInt32(await t.column('end'));
  }
  if (t.columnNames.includes('strand')) out.strand = toStrings(await t.column('strand'));
  if (t.columnNames.includes('group_id')) out.groupId = toStrings(await t.column('group_id'));
  if (t.columnNames.includes('length')) out.length = toFloat64(await t.column('length'));
  return out;
}

/** Reads a matrix; `signed`: phenotypes (any finite value) rather than counts (≥ 0). */
export async function readExpressionMatrix(
  file: string,
  format: MatrixFormat = guessMatrixFormat(file),
  onBytes?: ByteProgress,
  signed = false,
): Promise<ExpressionInput> {
  return format === 'parquet'
    ? readParquetMatrix(file, signed)
    : readTextMatrix(file, format, onBytes, signed);
}

/** Reads a two-column `gene_id<TAB>length` table (header optional) for TPM. */
export async function readLengths(file: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const { lineNo, text } of readLines(file)) {
    if (text.length === 0 || text.startsWith('#')) continue;
    const f = text.split('\t');
    if (f.length < 2)
      throw new InputError('expected two tab-separated fields', {
        file,
        line: lineNo,
        expected: 'gene_id<TAB>length',
      });
    const v = Number(f[1]);
    if (!Number.isFinite(v) || v <= 0) {
      if (lineNo === 1) continue; // header
      throw new InputError(`invalid length '${f[1]}'`, {
        file,
        line: lineNo,
        column: 2,
        expected: 'a positive number of bases',
      });
    }
    out.set(f[0], v);
  }
  return out;
}
