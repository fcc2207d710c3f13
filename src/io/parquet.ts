/**
 * Parquet I/O for every qtlflow table. hyparquet / hyparquet-writer were chosen after measurement
 * (docs/parquet-engine.md, bench/parquet.ts): pure JS, typed-array columns out, lowest write RSS, row-group
 * pruning by min/max statistics; zstd level 3 through the native zstd-napi binding.
 */
import { ParquetWriter, fileWriter } from 'hyparquet-writer';
import { asyncBufferFromFile, parquetMetadataAsync, parquetScan, parquetSchema } from 'hyparquet';
import type { FileMetaData, SchemaElement, DecodedArray } from 'hyparquet';
import * as zstd from 'zstd-napi';
import { VERSION } from '../version.js';
import { InputError } from './errors.js';
import { requireFile } from './text.js';

export type ColumnType = 'string' | 'int32' | 'float64' | 'float32' | 'bool' | 'bytes';

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  /**
   * Write min/max statistics (row-group pruning). Default: on for integers and booleans (positions),
   * off for floats and strings: string and float statistics cost about 40% of a results-table write
   * (measured in bench/parquet.ts). Turn them on for keys that queries filter on (chr, phenotype_id).
   */
  statistics?: boolean;
}

export type ColumnData =
  string[] | Int32Array | Float64Array | Float32Array | boolean[] | Uint8Array[] | ArrayLike<unknown>;

/** The `qtlflow.*` key-value metadata every file carries (ARCHITECTURE.md §4). */
export interface TableMeta {
  /** Contract name and version, e.g. `phenotypes/1`. */
  schema: string;
  /** The producing stage's parameters. */
  params: Record<string, unknown>;
  /** Additional `qtlflow.<key>` entries (values JSON-encoded when not strings). */
  extra?: Record<string, unknown>;
}

export interface ReadMeta {
  schema: string | undefined;
  version: string | undefined;
  params: Record<string, unknown> | undefined;
  /** All key-value metadata as strings. */
  kv: Record<string, string>;
}

export const ZSTD_LEVEL = 3;

const writeCompressors = {
  ZSTD: (input: Uint8Array): Uint8Array => zstd.compress(input, { compressionLevel: ZSTD_LEVEL }),
};

/**
 * Decompressors: native zstd (several times faster than the wasm one), hyparquet-compressors for the rest
 * (loaded with the first file read: its tables take a while to initialize, and a writer never needs them).
 */
let readCompressorsP:
  Promise<Record<string, (input: Uint8Array, outputLength: number) => Uint8Array>> | undefined;
function readCompressors() {
  readCompressorsP ??= import('hyparquet-compressors').then(({ compressors }) => ({
    ...compressors,
    ZSTD: (input: Uint8Array): Uint8Array => zstd.decompress(input),
  }));
  return readCompressorsP;
}

function schemaElement(spec: ColumnSpec): SchemaElement {
  switch (spec.type) {
    case 'string':
      return { name: spec.name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' };
    case 'int32':
      return { name: spec.name, type: 'INT32', repetition_type: 'REQUIRED' };
    case 'float64':
      // REQUIRED: missing values are NaN, never null, so readers get dense float columns.
      return { name: spec.name, type: 'DOUBLE', repetition_type: 'REQUIRED' };
    case 'float32':
      return { name: spec.name, type: 'FLOAT', repetition_type: 'REQUIRED' };
    case 'bool':
      return { name: spec.name, type: 'BOOLEAN', repetition_type: 'REQUIRED' };
    case 'bytes':
      return { name: spec.name, type: 'BYTE_ARRAY', repetition_type: 'REQUIRED' };
  }
}

function kvMetadata(meta: TableMeta): { key: string; value: string }[] {
  const kv = [
    { key: 'qtlflow.schema', value: meta.schema },
    { key: 'qtlflow.version', value: VERSION },
    { key: 'qtlflow.params', value: JSON.stringify(meta.params) },
  ];
  for (const [k, v] of Object.entries(meta.extra ?? {})) {
    kv.push({ key: `qtlflow.${k}`, value: typeof v === 'string' ? v : JSON.stringify(v) });
  }
  return kv;
}

export interface WriterOptions {
  /** Rows per row group (default 100,000; matrices use fewer rows per group). */
  rowGroupSize?: number;
}

/**
 * Streaming writer for a table with a fixed schema: batches are buffered into row groups and encoded
 * as they fill, so memory is bounded by one row group, not by the file.
 */
export class ParquetTableWriter {
  private readonly writer: ParquetWriter;
  private readonly specs: ColumnSpec[];
  private readonly rowGroupSize: number;
  private buffered: ColumnData[][] = [];
  private bufferedRows = 0;
  private rows = 0;

  constructor(path: string, specs: ColumnSpec[], meta: TableMeta, options: WriterOptions = {}) {
    const names = new Set<string>();
    for (const s of specs) {
      if (names.has(s.name)) throw new Error(`duplicate column name '${s.name}' in ${meta.schema}`);
      names.add(s.name);
    }
    this.specs = specs;
    this.rowGroupSize = options.rowGroupSize ?? 100_000;
    this.writer = new ParquetWriter({
      writer: fileWriter(path),
      schema: [{ name: 'root', num_children: specs.length }, ...specs.map(schemaElement)],
      codec: 'ZSTD',
      compressors: writeCompressors,
      kvMetadata: kvMetadata(meta),
      createdBy: `qtlflow version ${VERSION}`,
    });
  }

  get rowsWritten(): number {
    return this.rows + this.bufferedRows;
  }

  /** Appends rows; `columns` is in schema order and every array has the same length. */
  write(columns: ColumnData[]): void {
    if (columns.length !== this.specs.length) throw new Error('column count does not match the schema');
    const n = columns[0]?.length ?? 0;
    for (let i = 0; i < columns.length; i++) {
      if (columns[i].length !== n)
        throw new Error(`column '${this.specs[i].name}' has ${columns[i].length} rows, expected ${n}`);
    }
    if (n === 0) return;
    this.buffered.push(columns);
    this.bufferedRows += n;
    while (this.bufferedRows >= this.rowGroupSize) this.flushRows(this.rowGroupSize);
  }

  private flushRows(count: number): void {
    const take: ColumnData[] = this.specs.map((s) => emptyColumn(s.type, count));
    let filled = 0;
    while (filled < count) {
      const batch = this.buffered[0];
      const avail = batch[0].length;
      const k = Math.min(avail, count - filled);
      for (let c = 0; c < this.specs.length; c++) copyInto(take[c], batch[c], filled, 0, k);
      filled += k;
      if (k === avail) this.buffered.shift();
      else this.buffered[0] = batch.map((col) => sliceColumn(col, k, avail));
    }
    this.bufferedRows -= count;
    this.rows += count;
    this.writer.write({
      columnData: this.specs.map((s, c) => ({
        name: s.name,
        data: take[c] as DecodedArray,
        statistics: s.statistics ?? (s.type === 'int32' || s.type === 'bool'),
        // Floats and opaque bytes (genotype rows): PLAIN, no dictionary attempt. BYTE_STREAM_SPLIT made results 14% smaller after zstd but
        // writes 40% slower (hyparquet-writer's JS kernel; bench/parquet.ts, docs/parquet-engine.md).
        ...(isFloat(s.type) || s.type === 'bytes' ? { encoding: 'PLAIN' as const } : {}),
      })),
      rowGroupSize: count,
    });
  }

  /** Flushes the last row group and writes the footer. */
  close(): void {
    if (this.bufferedRows > 0) this.flushRows(this.bufferedRows);
    this.writer.finish();
  }
}

function isFloat(t: ColumnType): boolean {
  return t === 'float64' || t === 'float32';
}

function emptyColumn(type: ColumnType, n: number): ColumnData {
  switch (type) {
    case 'int32':
      return new Int32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'float32':
      return new Float32Array(n);
    default:
      return new Array(n);
  }
}

function copyInto(dst: ColumnData, src: ColumnData, dstOff: number, srcOff: number, k: number): void {
  if (ArrayBuffer.isView(dst) && ArrayBuffer.isView(src)) {
    (dst as Float64Array).set((src as Float64Array).subarray(srcOff, srcOff + k), dstOff);
  } else {
    const d = dst as unknown[];
    const s = src as ArrayLike<unknown>;
    for (let i = 0; i < k; i++) d[dstOff + i] = s[srcOff + i];
  }
}

function sliceColumn(col: ColumnData, from: number, to: number): ColumnData {
  if (ArrayBuffer.isView(col)) return (col as Float64Array).subarray(from, to);
  return Array.prototype.slice.call(col, from, to) as unknown[];
}

/** Writes a whole table at once. */
export function writeTable(
  path: string,
  specs: ColumnSpec[],
  columns: ColumnData[],
  meta: TableMeta,
  options: WriterOptions = {},
): void {
  const w = new ParquetTableWriter(path, specs, meta, options);
  w.write(columns);
  w.close();
}

export interface ParquetTable {
  path: string;
  numRows: number;
  columnNames: string[];
  meta: ReadMeta;
  fileSize: number;
  /** Bytes read from the file so far (footer included). */
  bytesRead(): number;
  /** Per row group: the min/max statistics of a column (undefined where the writer stored none). */
  groupStats(column: string): ({ min: unknown; max: unknown } | undefined)[];
  /** Physical row ranges of the row groups, in file order. */
  rowGroups: { rowStart: number; rowEnd: number }[];
  /** Reads one whole column (numbers as typed arrays where the physical type allows). */
  column(name: string): Promise<DecodedArray>;
  /** Reads rows [rowStart, rowEnd) of one column. */
  columnRange(name: string, rowStart: number, rowEnd: number): Promise<DecodedArray>;
}

function parseMeta(md: FileMetaData): ReadMeta {
  const kv: Record<string, string> = {};
  for (const { key, value } of md.key_value_metadata ?? []) kv[key] = value ?? '';
  let params: Record<string, unknown> | undefined;
  if (kv['qtlflow.params']) {
    try {
      params = JSON.parse(kv['qtlflow.params']) as Record<string, unknown>;
    } catch {
      params = undefined;
    }
  }
  return { schema: kv['qtlflow.schema'], version: kv['qtlflow.version'], params, kv };
}

/** Opens a Parquet file: reads the footer once; columns are decoded on request. */
export async function openParquet(path: string): Promise<ParquetTable> {
  requireFile(path, 'Parquet file');
  const raw = await asyncBufferFromFile(path);
  // Counts the bytes actually read, so tests and benchmarks can show row-group pruning at work.
  let bytesRead = 0;
  const file = {
    byteLength: raw.byteLength,
    slice(start: number, end?: number) {
      bytesRead += (end ?? raw.byteLength) - start;
      return raw.slice(start, end);
    },
  };
  let md: FileMetaData;
  try {
    // 64 KiB first fetch (hyparquet's default is 512 KiB): enough for most footers, and a small file is not
    // read half-way just to find its footer.
    md = await parquetMetadataAsync(file, { initialFetchSize: 1 << 16 });
  } catch (e) {
    throw new InputError(`not a readable Parquet file (${(e as Error).message})`, {
      file: path,
      expected: "a Parquet file (magic 'PAR1' at both ends)",
    });
  }
  const columnNames = parquetSchema(md).children.map((c) => c.element.name);
  const numRows = Number(md.num_rows);
  // utf8: false keeps unannotated BYTE_ARRAY columns (genotype dosages) as bytes; UTF8 columns stay strings.
  const scan = await parquetScan({ file, metadata: md, compressors: await readCompressors(), utf8: false });
  const columnRange = async (name: string, rowStart: number, rowEnd: number): Promise<DecodedArray> => {
    if (!columnNames.includes(name)) {
      throw new InputError(`column '${name}' not found`, {
        file: path,
        expected: `one of ${columnNames.slice(0, 12).join(', ')}`,
      });
    }
    if (rowEnd <= rowStart) return [];
    // A scan reads within one row group at a time: read each overlapping group and join the pieces.
    const pieces: DecodedArray[] = [];
    for (const r of scan.ranges) {
      const a = Math.max(r.rowStart, rowStart);
      const b = Math.min(r.rowEnd, rowEnd);
      if (a < b) pieces.push(await scan.readColumn({ column: name, rowStart: a, rowEnd: b }));
    }
    return concatDecoded(pieces);
  };
  return {
    path,
    numRows,
    rowGroups: scan.ranges.map((r) => ({ rowStart: r.rowStart, rowEnd: r.rowEnd })),
    fileSize: raw.byteLength,
    groupStats: (column) =>
      md.row_groups.map((rg) => {
        const st = rg.columns.find((c) => c.meta_data?.path_in_schema[0] === column)?.meta_data?.statistics;
        return st && st.min_value !== undefined && st.max_value !== undefined
          ? { min: st.min_value, max: st.max_value }
          : undefined;
      }),
    bytesRead: () => bytesRead,
    columnNames,
    meta: parseMeta(md),
    column: (name) => columnRange(name, 0, numRows),
    columnRange,
  };
}

function concatDecoded(pieces: DecodedArray[]): DecodedArray {
  if (pieces.length === 1) return pieces[0];
  const total = pieces.reduce((s, p) => s + p.length, 0);
  const first = pieces[0];
  if (ArrayBuffer.isView(first) && pieces.every((p) => p.constructor === first.constructor)) {
    const Ctor = first.constructor as new (n: number) => Float64Array;
    const out = new Ctor(total);
    let off = 0;
    for (const p of pieces) {
      out.set(p as Float64Array, off);
      off += p.length;
    }
    return out as DecodedArray;
  }
  const out: unknown[] = [];
  for (const p of pieces) for (let i = 0; i < p.length; i++) out.push((p as ArrayLike<unknown>)[i]);
  return out as DecodedArray;
}

/** Converts a decoded numeric column (typed array, bigint array or array with nulls) to Float64Array, null → NaN. */
export function toFloat64(a: DecodedArray): Float64Array {
  if (a instanceof Float64Array) return a;
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const v = (a as ArrayLike<unknown>)[i];
    out[i] = v === null || v === undefined ? NaN : Number(v);
  }
  return out;
}

/** Converts a decoded integer column to Int32Array (positions). */
export function toInt32(a: DecodedArray): Int32Array {
  if (a instanceof Int32Array) return a;
  const out = new Int32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = Number((a as ArrayLike<unknown>)[i]);
  return out;
}

export function toStrings(a: DecodedArray): string[] {
  const out = new Array<string>(a.length);
  for (let i = 0; i < a.length; i++) {
    const v = (a as ArrayLike<unknown>)[i];
    out[i] = v === null || v === undefined ? '' : String(v);
  }
  return out;
}
