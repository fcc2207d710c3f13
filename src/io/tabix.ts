/**
 * Tabix (.tbi) index writer and reader for position-sorted, BGZF-compressed text (VCF, BED).
 *
 * The layout is the tabix format (htslib `tabix.pdf`): the UCSC binning scheme (reg2bin over 16 kb … 512 Mb
 * bins, 5 levels), a linear index of 16 kb windows, and the pseudo-bin 37450 holding each sequence's first and
 * last offsets and its record count. Records are pushed in file order with the virtual offsets of their starts
 * and ends, exactly as htslib's `tbx_index`/`hts_idx_push` walk a file, and the finishing steps follow
 * `hts_idx_finish` (small bins folded into their parents, chunks starting in the same BGZF block merged, empty
 * linear windows filled from the next one), so an index built here lists the same bins, chunks and windows
 * as `tabix -p vcf|bed` on the same file. No npm package writes .tbi (@gmod/tabix only reads), hence this module.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { InputError } from './errors.js';
import { BgzfWriter, bgzfCompress, blockOffset, readBgzfBlocks } from './bgzf.js';

/** Column configuration, as tabix's `-p` presets (`tbx_conf_t`). Columns are 1-based; 0 = none. */
export interface TabixPreset {
  /** 0 generic, 1 SAM, 2 VCF; | 0x10000 when the begin column is 0-based (UCSC BED). */
  format: number;
  seqCol: number;
  begCol: number;
  endCol: number;
  /** Lines starting with this character are header/comments. */
  meta: string;
  /** Leading lines to skip. */
  skip: number;
}

export const TABIX_VCF: TabixPreset = { format: 2, seqCol: 1, begCol: 2, endCol: 0, meta: '#', skip: 0 };
export const TABIX_BED: TabixPreset = {
  format: 0x10000,
  seqCol: 1,
  begCol: 2,
  endCol: 3,
  meta: '#',
  skip: 0,
};

const FORMAT_VCF = 2;
const UCSC = 0x10000;
const MIN_SHIFT = 14;
const N_LEVELS = 5;
/** Bins of the 5-level scheme: ((1 << 18) − 1) / 7. */
const N_BINS = 37449;
/** The pseudo-bin with per-sequence offsets and counts. */
export const META_BIN = N_BINS + 1;
/** Largest coordinate a .tbi can address (2^29). */
export const TBI_MAX_POS = 2 ** (MIN_SHIFT + 3 * N_LEVELS);
/** Bins whose chunks span less than this many compressed bytes are folded into their parent (htslib). */
const MIN_MARKER_DIST = 0x10000;
const UNSET = -1;

/** UCSC bin of the 0-based half-open interval [beg, end) (SAM spec §5.3, htslib `hts_reg2bin`). */
export function reg2bin(beg: number, end: number): number {
  end -= 1;
  if (beg >> 14 === end >> 14) return ((1 << 15) - 1) / 7 + (beg >> 14);
  if (beg >> 17 === end >> 17) return ((1 << 12) - 1) / 7 + (beg >> 17);
  if (beg >> 20 === end >> 20) return ((1 << 9) - 1) / 7 + (beg >> 20);
  if (beg >> 23 === end >> 23) return ((1 << 6) - 1) / 7 + (beg >> 23);
  if (beg >> 26 === end >> 26) return ((1 << 3) - 1) / 7 + (beg >> 26);
  return 0;
}

/** First bin number of level l (0 = the whole sequence … 5 = 16 kb bins). */
function binFirst(level: number): number {
  return ((1 << (3 * level)) - 1) / 7;
}

interface SequenceIndex {
  /** bin → flat list of chunk pairs [beg0, end0, beg1, end1, …] (virtual offsets). */
  bins: Map<number, number[]>;
  /** 16 kb window → virtual offset of the first record overlapping it (UNSET until one does). */
  linear: number[];
}

/** Sorts a flat pair list by chunk start (htslib sorts with `pair64_lt`, on `u` alone). */
function sortChunks(list: number[]): number[] {
  const pairs: [number, number][] = [];
  for (let i = 0; i < list.length; i += 2) pairs.push([list[i], list[i + 1]]);
  pairs.sort((a, b) => a[0] - b[0]);
  return pairs.flat();
}

/**
 * Builds a .tbi index from records pushed in file order. Each record comes with the virtual offset just past
 * it (the next record starts there), as `bgzf_tell` gives after reading a line.
 */
export class TabixIndexBuilder {
  private readonly names: string[] = [];
  private readonly tidOf = new Map<string, number>();
  private readonly seqs: SequenceIndex[] = [];
  private started = false;
  // htslib's hts_idx_t.z state, same names
  private lastTid = -1;
  private lastBin = UNSET;
  private saveBin = UNSET;
  private saveTid = -1;
  private lastCoor = -1;
  private lastOff = 0;
  private saveOff = 0;
  private offBeg = 0;
  private nMapped = 0;
  private lastLine = 0;
  private nRecords = 0;
  /** The last column the preset reads (8 for VCF: INFO may hold END). */
  readonly columnsNeeded: number;

  /** `file` names the indexed file in error messages. */
  constructor(
    readonly preset: TabixPreset,
    readonly file: string,
  ) {
    this.columnsNeeded =
      preset.format === FORMAT_VCF ? 8 : Math.max(preset.seqCol, preset.begCol, preset.endCol);
  }

  /** Number of records pushed so far. */
  get records(): number {
    return this.nRecords;
  }

  /** A header line ends at `endOffset` (only lines before the first record move the data start). */
  addHeader(endOffset: number): void {
    if (!this.started) this.lastOff = this.saveOff = this.offBeg = endOffset;
  }

  /** One line of the file (without its newline), its 1-based number, and the virtual offset past its newline. */
  addLine(line: string, lineNo: number, endOffset: number): void {
    if (lineNo <= this.preset.skip || line.startsWith(this.preset.meta)) return this.addHeader(endOffset);
    const { chr, beg, end } = this.parse(line, lineNo);
    this.addRecord(chr, beg, end, endOffset, lineNo);
  }

  /** The sequence name and 0-based half-open interval of a data line, as htslib's `tbx_parse1`. */
  parse(line: string, lineNo: number): { chr: string; beg: number; end: number } {
    const p = this.preset;
    const vcf = (p.format & 0xffff) === FORMAT_VCF;
    let chr: string | undefined;
    let beg = -1;
    let end = -1;
    let start = 0;
    for (let col = 1; col <= this.columnsNeeded; col++) {
      const tab = line.indexOf('\t', start);
      const stop = tab < 0 ? line.length : tab;
      if (col === p.seqCol) chr = line.slice(start, stop);
      else if (col === p.begCol) {
        const v = leadingInteger(line, start, stop);
        if (v === undefined) this.fail(`column ${col} is not an integer position`, lineNo, 'an integer');
        beg = end = v;
        if (p.format & UCSC) end++;
        else beg--;
        if (beg < 0) beg = 0;
        if (end < 1) end = 1;
      } else if (!vcf && (p.format & 0xffff) === 0 && col === p.endCol) {
        const v = leadingInteger(line, start, stop);
        if (v === undefined) this.fail(`column ${col} is not an integer end position`, lineNo, 'an integer');
        end = v;
      } else if (vcf && col === 4) {
        if (stop > start) end = beg + (stop - start); // REF length
      } else if (vcf && col === 8) {
        // INFO/END, when present and after POS, sets the end (htslib ignores one at or before POS)
        const info = line.slice(start, stop);
        const at = info.startsWith('END=') ? 4 : info.indexOf(';END=') >= 0 ? info.indexOf(';END=') + 5 : -1;
        if (at >= 0 && info[at] !== '.') {
          const v = leadingInteger(info, at, info.length);
          if (v !== undefined && v > beg) end = v;
        }
      }
      if (tab < 0) break;
      start = tab + 1;
    }
    if (chr === undefined || beg < 0 || end < 0) {
      this.fail(
        line.length === 0 ? 'empty line' : `too few columns for the ${vcf ? 'VCF' : 'BED'} preset`,
        lineNo,
        `tab-separated columns with the sequence in column ${p.seqCol} and the position in column ${p.begCol}`,
      );
    }
    return { chr, beg, end };
  }

  private fail(message: string, lineNo: number | undefined, expected?: string, hint?: string): never {
    throw new InputError(message, { file: this.file, line: lineNo, expected, hint });
  }

  /**
   * One record on sequence `chr` covering the 0-based half-open [beg, end), ending at virtual offset
   * `endOffset`. Records must come sorted by position within each sequence, each sequence in one block.
   */
  addRecord(chr: string, beg: number, end: number, endOffset: number, lineNo?: number): void {
    this.started = true;
    let tid = this.tidOf.get(chr);
    if (tid === undefined) {
      tid = this.names.length;
      this.names.push(chr);
      this.tidOf.set(chr, tid);
    }
    if (beg > TBI_MAX_POS || end > TBI_MAX_POS) {
      this.fail(
        `position ${Math.max(beg, end)} on '${chr}' is beyond what a .tbi index can address (2^29)`,
        lineNo,
        undefined,
        'Index it with `tabix --csi` instead',
      );
    }
    if (tid !== this.lastTid) {
      if (this.seqs[tid]) {
        this.fail(
          `sequence '${chr}' appears again after '${this.names[this.lastTid]}': the file is not sorted`,
          lineNo,
          'all records of a sequence together',
          'Sort it first (`bcftools sort`, or `sort -k1,1 -k2,2n` for BED)',
        );
      }
      this.lastTid = tid;
      this.lastBin = UNSET;
    } else if (this.lastCoor > beg) {
      this.fail(
        `position ${beg + 1} on '${chr}' comes after ${this.lastCoor + 1}${this.lastLine ? ` (line ${this.lastLine})` : ''}: the file is not sorted`,
        lineNo,
        'positions in increasing order within each sequence',
        'Sort it first (`bcftools sort`, or `sort -k1,1 -k2,2n` for BED)',
      );
    }
    if (end < beg) this.fail(`end ${end} is before start ${beg + 1}`, lineNo, 'end ≥ start');
    const seq = (this.seqs[tid] ??= { bins: new Map(), linear: [] });
    // [-1, 0) (VCF POS = 0) goes into the first bottom-level bin, as htslib does
    if (beg < 0) beg = 0;
    if (end <= 0) end = 1;
    this.insertLinear(seq, beg, end, this.lastOff);
    const bin = reg2bin(beg, end);
    if (this.lastBin !== bin) {
      if (this.saveBin !== UNSET) this.insertChunk(this.saveTid, this.saveBin, this.saveOff, this.lastOff);
      if (this.lastBin === UNSET && this.saveBin !== UNSET) {
        // a new sequence starts: close the previous one's pseudo-bin
        this.insertChunk(this.saveTid, META_BIN, this.offBeg, this.lastOff);
        this.insertChunk(this.saveTid, META_BIN, this.nMapped, 0);
        this.nMapped = 0;
        this.offBeg = this.lastOff;
      }
      this.saveOff = this.lastOff;
      this.saveBin = this.lastBin = bin;
      this.saveTid = tid;
    }
    this.nMapped++;
    this.nRecords++;
    this.lastOff = endOffset;
    this.lastCoor = beg;
    this.lastLine = lineNo ?? 0;
  }

  private insertLinear(seq: SequenceIndex, beg: number, end: number, offset: number): void {
    const first = beg >> MIN_SHIFT;
    const last = (end - 1) >> MIN_SHIFT;
    while (seq.linear.length < last + 1) seq.linear.push(UNSET);
    for (let w = first; w <= last; w++) if (seq.linear[w] === UNSET) seq.linear[w] = offset;
  }

  private insertChunk(tid: number, bin: number, beg: number, end: number): void {
    const bins = this.seqs[tid].bins;
    let list = bins.get(bin);
    if (!list) bins.set(bin, (list = []));
    list.push(beg, end);
  }

  /** Finishes the index; `finalOffset` is the virtual offset at the end of the data. Returns the .tbi bytes (uncompressed). */
  finish(finalOffset: number): Buffer {
    if (this.saveTid >= 0) {
      this.insertChunk(this.saveTid, this.saveBin, this.saveOff, finalOffset);
      this.insertChunk(this.saveTid, META_BIN, this.offBeg, finalOffset);
      this.insertChunk(this.saveTid, META_BIN, this.nMapped, 0);
      this.saveTid = -1;
    }
    for (const seq of this.seqs) {
      fillLinear(seq.linear);
      compressBinning(seq.bins);
    }
    return this.serialize();
  }

  private serialize(): Buffer {
    const names = this.names.map((n) => Buffer.from(`${n}\0`, 'utf8'));
    const namesBytes = names.reduce((s, b) => s + b.length, 0);
    let size = 4 + 4 + 28 + namesBytes + 8;
    for (const seq of this.seqs) {
      size += 4 + 4 + seq.linear.length * 8;
      for (const list of seq.bins.values()) size += 8 + list.length * 8;
    }
    const out = Buffer.alloc(size);
    let o = out.write('TBI\x01', 0, 'latin1');
    const i32 = (v: number) => (o = out.writeInt32LE(v, o));
    // offsets are unsigned 64-bit; an unset linear window is written as all ones, as htslib does
    const u64 = (v: number) => (o = out.writeBigUInt64LE(v < 0 ? 0xffffffffffffffffn : BigInt(v), o));
    const p = this.preset;
    i32(this.names.length);
    i32(p.format);
    i32(p.seqCol);
    i32(p.begCol);
    i32(p.endCol);
    i32(p.meta.charCodeAt(0));
    i32(p.skip);
    i32(namesBytes);
    for (const b of names) o += b.copy(out, o);
    for (const seq of this.seqs) {
      i32(seq.bins.size);
      for (const bin of [...seq.bins.keys()].sort((a, b) => a - b)) {
        const list = seq.bins.get(bin)!;
        o = out.writeUInt32LE(bin, o);
        i32(list.length / 2);
        for (const v of list) u64(v);
      }
      i32(seq.linear.length);
      for (const v of seq.linear) u64(v);
    }
    u64(0); // records without coordinates
    return out;
  }
}

/** Linear windows no record starts in take the next window's offset (htslib `update_loff`). */
function fillLinear(linear: number[]): void {
  for (let w = linear.length - 2; w >= 0; w--) if (linear[w] === UNSET) linear[w] = linear[w + 1];
}

/**
 * htslib's `compress_binning`: from the bottom level up, a bin whose chunks span less than 64 KiB of compressed
 * data is folded into its parent bin (when that exists), then chunks that start in the block where the previous
 * one ends are merged. Levels are processed in order, so the result does not depend on the bins' order.
 */
function compressBinning(bins: Map<number, number[]>): void {
  for (let level = N_LEVELS; level > 0; level--) {
    const first = binFirst(level);
    for (const [bin, list0] of bins) {
      if (bin >= N_BINS || bin < first) continue;
      let list = list0;
      if (level < N_LEVELS && list.length > 2) bins.set(bin, (list = sortChunks(list)));
      if (blockOffset(list[list.length - 1]) - blockOffset(list[0]) < MIN_MARKER_DIST) {
        const parent = bins.get((bin - 1) >> 3);
        if (!parent) continue;
        parent.push(...list);
        bins.delete(bin);
      }
    }
  }
  const top = bins.get(0);
  if (top) bins.set(0, sortChunks(top));
  for (const [bin, list] of bins) {
    if (bin >= N_BINS) continue;
    let m = 0;
    for (let l = 2; l < list.length; l += 2) {
      if (blockOffset(list[m + 1]) >= blockOffset(list[l])) {
        if (list[m + 1] < list[l + 1]) list[m + 1] = list[l + 1];
      } else {
        m += 2;
        list[m] = list[l];
        list[m + 1] = list[l + 1];
      }
    }
    list.length = m + 2;
  }
}

/** The integer at the start of s[from, to) (optional sign, decimal digits), or undefined. */
function leadingInteger(s: string, from: number, to: number): number | undefined {
  let i = from;
  while (i < to && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
  let sign = 1;
  if (i < to && (s[i] === '-' || s[i] === '+')) sign = s[i++] === '-' ? -1 : 1;
  let v = 0;
  const digits = i;
  for (; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
  }
  return i > digits ? sign * v : undefined;
}

/** Writes index bytes from `finish` BGZF-compressed, as tabix does. */
export function writeTabixIndex(indexPath: string, index: Uint8Array): void {
  writeFileSync(indexPath, bgzfCompress(index));
}

/**
 * Indexes an existing BGZF file (e.g. one bgzip wrote) the way `tabix -p vcf|bed` does, writing `indexPath`.
 * Unsorted or malformed lines are InputErrors naming the file and line.
 */
export function indexBgzfFile(path: string, preset: TabixPreset, indexPath: string): void {
  const builder = new TabixIndexBuilder(preset, path);
  let lineNo = 0;
  let carry: Buffer[] = [];
  // file offset of the block after the last one holding data: where bgzf_tell stands at the end of the data
  // (htslib reports the start of the EOF marker there)
  let next = 0;
  for (const { coffset, data, size } of readBgzfBlocks(path)) {
    if (data.length === 0) continue;
    next = coffset + size;
    let s = 0;
    for (let nl = data.indexOf(10, s); nl >= 0; nl = data.indexOf(10, s)) {
      const piece = data.subarray(s, nl);
      const line = carry.length ? Buffer.concat([...carry, piece]) : piece;
      carry = [];
      // a line ending at its block's last byte ends at the start of the next block, as bgzf_tell reports
      const end = nl + 1 === data.length ? next * 65536 : coffset * 65536 + nl + 1;
      builder.addLine(lineText(line, builder), ++lineNo, end);
      s = nl + 1;
    }
    if (s < data.length) carry.push(data.subarray(s));
  }
  if (carry.length) builder.addLine(lineText(Buffer.concat(carry), builder), ++lineNo, next * 65536);
  writeTabixIndex(indexPath, builder.finish(next * 65536));
}

/** The part of a line the preset reads (the columns up to the last one it needs), as text. */
function lineText(line: Buffer, builder: TabixIndexBuilder): string {
  const need = builder.columnsNeeded;
  let end = -1;
  for (let k = 0; k < need; k++) {
    end = line.indexOf(9, end + 1);
    if (end < 0) break;
  }
  let stop = end < 0 ? line.length : end;
  if (stop > 0 && line[stop - 1] === 13) stop--; // CRLF files
  return line.toString('utf8', 0, stop);
}

/**
 * Writes position-sorted text lines (header lines starting with the preset's meta character) as BGZF with its
 * .tbi, e.g. a phenotype BED as .bed.gz. Both paths are written as given (OutputSet temporary names);
 * `label` names the output in error messages.
 */
export function writeIndexedText(
  path: string,
  indexPath: string,
  lines: Iterable<string> | string,
  options: { preset?: TabixPreset; label?: string; level?: number } = {},
): { records: number } {
  const preset = options.preset ?? TABIX_BED;
  const out = new BgzfWriter(path, { level: options.level });
  const builder = new TabixIndexBuilder(preset, options.label ?? path);
  try {
    let lineNo = 0;
    const source = typeof lines === 'string' ? textLines(lines) : lines;
    for (const line of source) {
      out.write(line);
      out.write('\n');
      builder.addLine(line, ++lineNo, out.virtualOffset);
    }
    out.endBlock();
    const index = builder.finish(out.virtualOffset);
    out.close();
    writeTabixIndex(indexPath, index);
    return { records: builder.records };
  } catch (e) {
    out.abort();
    throw e;
  }
}

/** Position-sorted BED text as .bed.gz + .tbi (tabix's bed preset: 0-based start in column 2, end in 3). */
export function writeIndexedBed(
  path: string,
  indexPath: string,
  lines: Iterable<string> | string,
  options: { label?: string; level?: number } = {},
): { records: number } {
  return writeIndexedText(path, indexPath, lines, { ...options, preset: TABIX_BED });
}

function* textLines(text: string): Generator<string> {
  let s = 0;
  while (s < text.length) {
    let nl = text.indexOf('\n', s);
    if (nl < 0) nl = text.length;
    yield text.slice(s, nl > s && text[nl - 1] === '\r' ? nl - 1 : nl);
    s = nl + 1;
  }
}

/** bins overlapping the 0-based half-open [beg, end) (SAM spec §5.3, htslib `reg2bins`), every level. */
export function reg2bins(beg: number, end: number): number[] {
  const out = [0];
  end -= 1;
  for (let level = 1; level <= N_LEVELS; level++) {
    const shift = MIN_SHIFT + 3 * (N_LEVELS - level);
    const first = binFirst(level);
    for (let b = first + (beg >> shift); b <= first + (end >> shift); b++) out.push(b);
  }
  return out;
}

/**
 * A .tbi index read back (the layout `TabixIndexBuilder.finish` writes), answering region queries with the
 * chunks of virtual offsets to read, as htslib's `hts_itr_query` does: the chunks of every bin overlapping the
 * region, less those ending before the linear index's offset for its start, sorted and merged. Region reads
 * go through this rather than @gmod/tabix, which inflates in WebAssembly (loaded through a data: URL fetch,
 * i.e. Node's whole fetch stack, in every worker thread) and hands each record back as a JS string that the
 * byte-level genotype decoder would have to encode again.
 */
export class TabixIndexReader {
  readonly names: string[];
  readonly preset: TabixPreset;
  private readonly seqs: { bins: Map<number, number[]>; linear: number[] }[] = [];
  private readonly tid: Map<string, number>;

  private constructor(
    readonly path: string,
    b: Buffer,
  ) {
    let o = 0;
    const bad = (what: string): never => {
      throw new InputError(`not a tabix index: ${what}`, {
        file: path,
        hint: 'Re-create it with `tabix -f -p vcf FILE` (or -p bed)',
      });
    };
    const need = (k: number) => {
      if (o + k > b.length) bad(`truncated at byte ${o}`);
    };
    const i32 = () => {
      need(4);
      const v = b.readInt32LE(o);
      o += 4;
      return v;
    };
    const u64 = () => {
      need(8);
      const lo = b.readUInt32LE(o);
      const hi = b.readUInt32LE(o + 4);
      o += 8;
      if (hi >= 2 ** 21) bad('a virtual offset beyond 128 GiB of compressed data');
      return hi * 2 ** 32 + lo;
    };
    if (b.length < 4 || b.toString('latin1', 0, 4) !== 'TBI\x01') bad("no 'TBI\\1' magic");
    o = 4;
    const nRef = i32();
    const format = i32();
    const seqCol = i32();
    const begCol = i32();
    const endCol = i32();
    const meta = String.fromCharCode(i32());
    const skip = i32();
    this.preset = { format, seqCol, begCol, endCol, meta, skip };
    const lNames = i32();
    need(lNames);
    this.names = b
      .toString('latin1', o, o + lNames)
      .split('\0')
      .slice(0, nRef);
    o += lNames;
    if (this.names.length !== nRef) bad(`${nRef} sequences but ${this.names.length} names`);
    for (let r = 0; r < nRef; r++) {
      const bins = new Map<number, number[]>();
      const nBin = i32();
      for (let k = 0; k < nBin; k++) {
        need(4);
        const bin = b.readUInt32LE(o);
        o += 4;
        const nChunk = i32();
        const list: number[] = [];
        for (let c = 0; c < nChunk; c++) list.push(u64(), u64());
        bins.set(bin, list);
      }
      const nIntv = i32();
      const linear: number[] = [];
      for (let k = 0; k < nIntv; k++) linear.push(u64());
      this.seqs.push({ bins, linear });
    }
    this.tid = new Map(this.names.map((n, i) => [n, i]));
  }

  /** Reads and parses a .tbi (BGZF-compressed, as tabix writes it). */
  static open(path: string): TabixIndexReader {
    let raw: Buffer;
    try {
      raw = gunzipSync(readFileSync(path));
    } catch (e) {
      throw new InputError(`cannot read the tabix index (${(e as Error).message})`, {
        file: path,
        hint: 'Re-create it with `tabix -f -p vcf FILE` (or -p bed)',
      });
    }
    return new TabixIndexReader(path, raw);
  }

  /**
   * The chunks [beg, end) of virtual offsets that hold every record of `name` overlapping the 0-based
   * half-open region [beg, end), sorted and non-overlapping (empty when the sequence is not indexed).
   */
  chunks(name: string, beg: number, end: number): [number, number][] {
    const t = this.tid.get(name);
    if (t === undefined) return [];
    const seq = this.seqs[t];
    beg = Math.max(0, beg);
    end = Math.min(TBI_MAX_POS, end);
    if (end <= beg) return [];
    const lin = seq.linear;
    const minOff = lin.length ? lin[Math.min(beg >> MIN_SHIFT, lin.length - 1)] : 0;
    const found: [number, number][] = [];
    for (const bin of reg2bins(beg, end)) {
      const list = seq.bins.get(bin);
      if (!list) continue;
      for (let i = 0; i < list.length; i += 2) if (list[i + 1] > minOff) found.push([list[i], list[i + 1]]);
    }
    found.sort((a, b) => a[0] - b[0]);
    const out: [number, number][] = [];
    for (const c of found) {
      const last = out[out.length - 1];
      if (last && c[0] <= last[1]) last[1] = Math.max(last[1], c[1]);
      else out.push([Math.max(c[0], minOff), c[1]]);
    }
    return out;
  }
}
