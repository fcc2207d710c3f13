/**
 * ATAC fragment files (10x Genomics / ArchR / snapATAC2 convention): tab-separated `chrom start end barcode
 * [count …]`, 0-based half-open, `#` header lines, plain, gzip or BGZF. The count column (PCR duplicates) is
 * ignored: every row is one fragment, as ArchR, snapATAC2 and Signac count them. Also the side tables the
 * coverage stage reads: barcode → group, chromosome sizes, and region lists (BED or `chr:start-end`).
 */
import { existsSync, statSync } from 'node:fs';
import { InputError } from './errors.js';
import { readLineBatches, readLines, requireFile } from './text.js';

/** One batch of parsed fragment rows; arrays are reused between batches (copy what you keep). */
export interface FragmentBatch {
  count: number;
  /** Index into `FragmentReader.chroms` (order of first appearance). */
  chrom: Int32Array;
  start: Float64Array;
  end: Float64Array;
  /** Value of the barcode in the lookup map given to the reader, −1 when the barcode is not in it. */
  barcode: Int32Array;
  /** 1-based line number of each row. */
  line: Float64Array;
}

const TAB = 9;
const HASH = 35;

/**
 * Streams a fragment file as typed-array batches. Parsing works on the inflated bytes (no string per line
 * except the barcode, which is looked up in `barcodes`), since fragment files have tens of millions of rows.
 */
export class FragmentReader {
  /** Chromosome names in order of first appearance. */
  readonly chroms: string[] = [];
  private readonly chromIndex = new Map<string, number>();
  /** Rows read (header lines excluded), after the last batch. */
  rows = 0;
  private cap = 0;
  private batch!: FragmentBatch;

  constructor(
    readonly path: string,
    private readonly barcodes: ReadonlyMap<string, number>,
  ) {
    requireFile(path, 'fragment file');
  }

  private ensure(n: number): void {
    if (n <= this.cap) return;
    this.cap = Math.max(n, this.cap * 2, 4096);
    this.batch = {
      count: 0,
      chrom: new Int32Array(this.cap),
      start: new Float64Array(this.cap),
      end: new Float64Array(this.cap),
      barcode: new Int32Array(this.cap),
      line: new Float64Array(this.cap),
    };
  }

  async *batches(onBytes?: (read: number, total: number) => void): AsyncGenerator<FragmentBatch> {
    let lastChromBuf: Buffer | undefined;
    let lastChrom = -1;
    for await (const lb of readLineBatches(this.path, onBytes)) {
      this.ensure(lb.count);
      const out = this.batch;
      const buf = lb.buf;
      let n = 0;
      for (let i = 0; i < lb.count; i++) {
        const s = lb.starts[i];
        const e = lb.ends[i];
        if (e === s || buf[s] === HASH) continue;
        const lineNo = lb.firstLineNo + i;
        // chrom
        const p = buf.indexOf(TAB, s);
        if (p < 0 || p >= e) this.fail(lineNo, 1, 'a tab-separated row with at least 4 columns');
        let chrom: number;
        if (
          lastChromBuf !== undefined &&
          p - s === lastChromBuf.length &&
          buf.compare(lastChromBuf, 0, lastChromBuf.length, s, p) === 0
        ) {
          chrom = lastChrom;
        } else {
          const name = buf.toString('latin1', s, p);
          let id = this.chromIndex.get(name);
          if (id === undefined) {
            id = this.chroms.length;
            this.chroms.push(name);
            this.chromIndex.set(name, id);
          }
          chrom = lastChrom = id;
          lastChromBuf = Buffer.from(buf.subarray(s, p));
        }
        // start, end: non-negative integers
        let q = p + 1;
        let start = 0;
        let digits = 0;
        for (; q < e; q++) {
          const c = buf[q] - 48;
          if (c < 0 || c > 9) break;
          start = start * 10 + c;
          digits++;
        }
        if (digits === 0 || q >= e || buf[q] !== TAB)
          this.fail(lineNo, 2, 'a non-negative integer start', buf, p + 1, e);
        q++;
        const endStart = q;
        let end = 0;
        digits = 0;
        for (; q < e; q++) {
          const c = buf[q] - 48;
          if (c < 0 || c > 9) break;
          end = end * 10 + c;
          digits++;
        }
        if (digits === 0 || q >= e || buf[q] !== TAB)
          this.fail(lineNo, 3, 'a non-negative integer end followed by the barcode column', buf, endStart, e);
        if (end <= start)
          throw new InputError(`fragment end ${end} is not after its start ${start}`, {
            file: this.path,
            line: lineNo,
            column: 3,
            expected: 'start < end (0-based, half-open coordinates)',
          });
        q++;
        let be = buf.indexOf(TAB, q);
        if (be < 0 || be > e) be = e;
        if (be === q) this.fail(lineNo, 4, 'a non-empty barcode');
        out.chrom[n] = chrom;
        out.start[n] = start;
        out.end[n] = end;
        out.barcode[n] = this.barcodes.get(buf.toString('latin1', q, be)) ?? -1;
        out.line[n] = lineNo;
        n++;
      }
      this.rows += n;
      if (n === 0) continue;
      out.count = n;
      yield out;
    }
  }

  private fail(line: number, column: number, expected: string, buf?: Buffer, s?: number, e?: number): never {
    let found = '';
    if (buf && s !== undefined && e !== undefined) {
      let t = buf.indexOf(TAB, s);
      if (t < 0 || t > e) t = e;
      found = `: found '${buf.toString('latin1', s, Math.min(t, s + 40))}'`;
    }
    throw new InputError(`not a fragment row${found}`, {
      file: this.path,
      line,
      column,
      expected: `${expected} (chrom, start, end, barcode[, count])`,
    });
  }
}

/** Barcode → group table, groups in order of first appearance. */
export interface GroupTable {
  /** Barcode → index into `groups`. */
  barcodeGroup: Map<string, number>;
  groups: string[];
  /** Barcodes per group. */
  barcodesPerGroup: number[];
}

const HEADER_FIRST_FIELDS = new Set([
  'barcode',
  'barcodes',
  'cell',
  'cell_id',
  'cellid',
  'cell_barcode',
  'cb',
]);

/**
 * Reads a barcode-to-group table: whitespace-separated, barcode in the first column and group in the second
 * (further columns ignored), `#` lines skipped, and a first line whose first field is a column name such as
 * `barcode` or `cell` taken as a header. A barcode listed twice is an error even with the same group.
 */
export async function readGroupTable(path: string): Promise<GroupTable> {
  requireFile(path, 'groups table');
  const barcodeGroup = new Map<string, number>();
  const firstLine = new Map<string, number>();
  const groups: string[] = [];
  const groupIndex = new Map<string, number>();
  const barcodesPerGroup: number[] = [];
  let first = true;
  for await (const { lineNo, text } of readLines(path)) {
    if (text.trim() === '' || text.startsWith('#')) continue;
    const f = text.trim().split(/\s+/);
    if (first) {
      first = false;
      if (HEADER_FIRST_FIELDS.has(f[0].toLowerCase())) continue;
    }
    if (f.length < 2)
      throw new InputError('row has no group column', {
        file: path,
        line: lineNo,
        expected: 'barcode<TAB>group',
      });
    const [barcode, group] = f;
    const seen = firstLine.get(barcode);
    if (seen !== undefined)
      throw new InputError(`barcode '${barcode}' is listed twice (lines ${seen} and ${lineNo})`, {
        file: path,
        line: lineNo,
        column: 1,
        expected: 'each barcode once',
        hint: 'A barcode belongs to one group: remove the duplicate rows (e.g. `sort -u -k1,1`)',
      });
    firstLine.set(barcode, lineNo);
    let g = groupIndex.get(group);
    if (g === undefined) {
      g = groups.length;
      groups.push(group);
      groupIndex.set(group, g);
      barcodesPerGroup.push(0);
    }
    barcodeGroup.set(barcode, g);
    barcodesPerGroup[g]++;
  }
  if (groups.length === 0)
    throw new InputError('groups table has no rows', { file: path, expected: 'barcode<TAB>group rows' });
  return { barcodeGroup, groups, barcodesPerGroup };
}

/** UCSC chrom.sizes: `name<TAB>size` per line (further columns ignored, `#` lines skipped); order is kept. */
export async function readChromSizes(path: string): Promise<Map<string, number>> {
  requireFile(path, 'chromosome sizes file');
  const sizes = new Map<string, number>();
  for await (const { lineNo, text } of readLines(path)) {
    if (text.trim() === '' || text.startsWith('#')) continue;
    const f = text.trim().split(/\s+/);
    const size = Number(f[1]);
    if (f.length < 2 || !Number.isInteger(size) || size <= 0 || size >= 2 ** 32)
      throw new InputError('not a chromosome size row', {
        file: path,
        line: lineNo,
        column: 2,
        expected: 'name<TAB>size with a positive integer size below 2^32',
      });
    if (sizes.has(f[0]))
      throw new InputError(`chromosome '${f[0]}' is listed twice`, { file: path, line: lineNo, column: 1 });
    sizes.set(f[0], size);
  }
  if (sizes.size === 0) throw new InputError('chromosome sizes file has no rows', { file: path });
  return sizes;
}

/**
 * A set of genomic intervals per chromosome, merged and sorted, for overlap tests (blacklist, regions that
 * count for normalization). Chromosome names are matched exactly.
 */
export class RegionSet {
  private readonly byChrom = new Map<string, { starts: Float64Array; ends: Float64Array }>();
  readonly size: number;

  constructor(intervals: Map<string, [number, number][]>) {
    let total = 0;
    for (const [chrom, list] of intervals) {
      list.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      const starts: number[] = [];
      const ends: number[] = [];
      for (const [s, e] of list) {
        if (ends.length && s <= ends[ends.length - 1])
          ends[ends.length - 1] = Math.max(ends[ends.length - 1], e);
        else {
          starts.push(s);
          ends.push(e);
        }
      }
      total += starts.length;
      this.byChrom.set(chrom, { starts: Float64Array.from(starts), ends: Float64Array.from(ends) });
    }
    this.size = total;
  }

  /** Lookup table for one chromosome (undefined when the set has nothing there). */
  chrom(name: string): { starts: Float64Array; ends: Float64Array } | undefined {
    return this.byChrom.get(name);
  }
}

/** True when [s, e) overlaps an interval of `r` (merged, sorted): binary search for the first end > s. */
export function overlapsAny(
  r: { starts: Float64Array; ends: Float64Array } | undefined,
  s: number,
  e: number,
): boolean {
  if (r === undefined) return false;
  const ends = r.ends;
  let lo = 0;
  let hi = ends.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ends[mid] <= s) lo = mid + 1;
    else hi = mid;
  }
  return lo < ends.length && r.starts[lo] < e;
}

/** BED file (chrom, start, end, …; `#`, `track` and `browser` lines skipped) as a RegionSet. */
export async function readBedRegions(path: string, what = 'BED file'): Promise<RegionSet> {
  requireFile(path, what);
  const m = new Map<string, [number, number][]>();
  for await (const { lineNo, text } of readLines(path)) {
    if (text.trim() === '' || text.startsWith('#') || /^(track|browser)\b/.test(text)) continue;
    const f = text.split('\t');
    const s = Number(f[1]);
    const e = Number(f[2]);
    if (f.length < 3 || !Number.isInteger(s) || !Number.isInteger(e) || s < 0 || e < s)
      throw new InputError('not a BED interval', {
        file: path,
        line: lineNo,
        expected: 'chrom<TAB>start<TAB>end with 0 ≤ start ≤ end (0-based, half-open)',
      });
    let list = m.get(f[0]);
    if (!list) m.set(f[0], (list = []));
    list.push([s, e]);
  }
  return new RegionSet(m);
}

/**
 * `--include-for-norm` / `--exclude-for-norm` values: an existing file is a BED; otherwise a comma-separated
 * list of `chrom:start-end` (0-based half-open, as snapATAC2 parses region strings) or bare `chrom` (the whole
 * chromosome, e.g. `chrM`).
 */
export async function readRegionsArg(value: string, flag: string): Promise<RegionSet> {
  if (existsSync(value) && statSync(value).isFile()) return readBedRegions(value, `${flag} BED file`);
  const m = new Map<string, [number, number][]>();
  for (const item of value.split(',').map((s) => s.trim())) {
    if (!item) continue;
    const r = /^([^:\s]+)(?::([\d,_]+)-([\d,_]+))?$/.exec(item);
    if (!r)
      throw new InputError(`${flag}: '${item}' is neither a file nor a region`, {
        expected: 'a BED file, or regions like chr1:1000-2000,chrM',
      });
    const s = r[2] === undefined ? 0 : Number(r[2].replace(/[,_]/g, ''));
    const e = r[3] === undefined ? Infinity : Number(r[3].replace(/[,_]/g, ''));
    if (!(e > s))
      throw new InputError(`${flag}: region '${item}' is empty`, {
        expected: 'start < end (0-based, half-open)',
      });
    let list = m.get(r[1]);
    if (!list) m.set(r[1], (list = []));
    list.push([s, e]);
  }
  return new RegionSet(m);
}
