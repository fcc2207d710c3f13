/**
 * bigWig writer following the UCSC bbi layout (Kent et al. 2010; kent/src/inc/bbiFile.h, bwgInternal.h),
 * written by hand because no maintained npm package writes bigWig (the readers, @gmod/bbi and pyBigWig, are
 * what the tests check it against). Layout, all little-endian:
 *
 *   header (64 B) · zoom headers (24 B each) · total summary (40 B) · chromosome B+ tree ·
 *   section count (u64) · zlib-compressed bedGraph sections (≤ itemsPerSlot items, one chromosome each) ·
 *   R-tree index of the sections · per zoom level: record count (u32), zlib-compressed summary blocks, R-tree ·
 *   trailing magic.
 *
 * Items are streamed in per chromosome; sections are written as they fill, so memory holds one section and
 * the index entries only. Zoom levels are computed in the same pass (every level at once, windows aligned to
 * multiples of the reduction) and their compressed blocks go to scratch files beside the output, appended
 * after the main index when the file is closed. Chromosome IDs follow the byte order of the names, as
 * bedGraphToBigWig assigns them; data may arrive in any chromosome order because the R-tree is built from
 * the sorted section list.
 */
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { endianness } from 'node:os';
import type { TrackWriter } from './bedgraph.js';

const BIGWIG_MAGIC = 0x888ffc26;
const BPT_MAGIC = 0x78ca8c91;
const CIRTREE_MAGIC = 0x2468ace0;
const BBI_VERSION = 4;
const SECTION_HEADER = 24;
const ITEM = 12;
const SUMMARY = 32;
/**
 * zlib level 1 for sections and zoom blocks: float32 runs compress only ~3% better at the default level 6, for
 * ~40% more CPU (measured on 2 M simulated fragments). Compression stays synchronous: moving it to the thread
 * pool cost more CPU and memory than it saved on this 2-core machine.
 */
const DEFLATE = { level: 1 };
if (endianness() !== 'LE') throw new Error('the bigWig writer needs a little-endian host');

export interface BigWigOptions {
  /** Zoom reductions in bases, ascending (each level's windows are this wide). */
  zoomReductions: number[];
  /** Items per data section and summaries per zoom block (bedGraphToBigWig: 1024). */
  itemsPerSlot?: number;
  /** Children per R-tree / B+ tree node (bedGraphToBigWig: 256). */
  blockSize?: number;
}

/** Zoom reductions for bins of `binSize`: 4·binSize, then ×4, while a window fits the largest chromosome (≤ 10). */
export function zoomReductionsFor(binSize: number, maxChromSize: number): number[] {
  const out: number[] = [];
  for (let r = Math.max(4 * binSize, 4); out.length < 10 && (r <= maxChromSize || out.length === 0); r *= 4)
    out.push(r);
  return out;
}

/** Appends to a file descriptor through a 1 MiB buffer (sections are a few KiB each). */
class BufferedFile {
  private readonly buf = Buffer.alloc(1 << 20);
  private n = 0;
  constructor(readonly fd: number) {}
  write(b: Buffer): void {
    if (this.n + b.length > this.buf.length) this.flush();
    if (b.length > this.buf.length) writeSync(this.fd, b);
    else {
      b.copy(this.buf, this.n);
      this.n += b.length;
    }
  }
  flush(): void {
    if (this.n) writeSync(this.fd, this.buf, 0, this.n);
    this.n = 0;
  }
}

interface BlockEntry {
  chromId: number;
  start: number;
  end: number;
  offset: number;
  size: number;
}

/** Running min/max/sum/sum² over covered bases (UCSC bbiSummary). */
class SummaryAcc {
  valid = 0;
  min = Infinity;
  max = -Infinity;
  sum = 0;
  sumSq = 0;
  add(v: number, bases: number): void {
    this.valid += bases;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    this.sum += v * bases;
    this.sumSq += v * v * bases;
  }
  reset(): void {
    this.valid = 0;
    this.min = Infinity;
    this.max = -Infinity;
    this.sum = 0;
    this.sumSq = 0;
  }
  merge(valid: number, min: number, max: number, sum: number, sumSq: number): void {
    this.valid += valid;
    if (min < this.min) this.min = min;
    if (max > this.max) this.max = max;
    this.sum += sum;
    this.sumSq += sumSq;
  }
}

/** One zoom level: the open window, a block of encoded records, and the scratch file of compressed blocks. */
class ZoomLevel {
  readonly block: Buffer;
  // little-endian typed views of the block (x86/ARM hosts are little-endian, as the format is)
  private readonly u32: Uint32Array;
  private readonly f32: Float32Array;
  private inBlock = 0;
  private blockStart = 0;
  private blockEnd = 0;
  records = 0;
  readonly entries: BlockEntry[] = [];
  private fileOffset = 0;
  private readonly file: BufferedFile;
  /** The next coarser level, fed with this level's closed windows (windows nest: reductions grow ×4). */
  next?: ZoomLevel;
  // open window
  private wChrom = -1;
  private wStart = 0;
  private wEnd = 0;
  private acc = new SummaryAcc();

  constructor(
    readonly reduction: number,
    readonly scratchPath: string,
    private readonly itemsPerSlot: number,
  ) {
    const ab = new ArrayBuffer(itemsPerSlot * SUMMARY);
    this.block = Buffer.from(ab);
    this.u32 = new Uint32Array(ab);
    this.f32 = new Float32Array(ab);
    this.file = new BufferedFile(openSync(scratchPath, 'w'));
  }

  /** A closed window of the finer level below (it lies inside one window of this level). */
  addSummary(chromId: number, chromSize: number, start: number, a: SummaryAcc): void {
    if (this.wChrom !== chromId || start >= this.wEnd) {
      this.closeWindow(chromSize);
      this.wChrom = chromId;
      this.wStart = start - (start % this.reduction);
      this.wEnd = Math.min(this.wStart + this.reduction, chromSize);
    }
    this.acc.merge(a.valid, a.min, a.max, a.sum, a.sumSq);
  }

  add(chromId: number, chromSize: number, start: number, end: number, v: number): void {
    const r = this.reduction;
    while (start < end) {
      if (this.wChrom !== chromId || start >= this.wEnd) {
        this.closeWindow(chromSize);
        this.wChrom = chromId;
        this.wStart = start - (start % r);
        this.wEnd = Math.min(this.wStart + r, chromSize);
      }
      const e = Math.min(end, this.wEnd);
      this.acc.add(v, e - start);
      start = e;
    }
  }

  private closeWindow(chromSize: number): void {
    if (this.wChrom < 0 || this.acc.valid === 0) return;
    this.next?.addSummary(this.wChrom, chromSize, this.wStart, this.acc);
    if (this.inBlock === this.itemsPerSlot) this.flushBlock();
    const o = this.inBlock * 8;
    const a = this.acc;
    this.u32[o] = this.wChrom;
    this.u32[o + 1] = this.wStart;
    this.u32[o + 2] = this.wEnd;
    this.u32[o + 3] = a.valid;
    this.f32[o + 4] = a.min;
    this.f32[o + 5] = a.max;
    this.f32[o + 6] = a.sum;
    this.f32[o + 7] = a.sumSq;
    if (this.inBlock === 0) this.blockStart = this.wStart;
    this.blockEnd = this.wEnd;
    this.inBlock++;
    this.records++;
    a.reset();
    this.wChrom = -1;
  }

  /** Ends the chromosome: the open window and the block (blocks hold one chromosome); then the next level. */
  endChrom(chromId: number, chromSize: number): void {
    this.closeWindow(chromSize);
    if (this.inBlock > 0) this.flushBlock(chromId);
    this.next?.endChrom(chromId, chromSize);
  }

  private flushBlock(chromId = this.u32[0]): void {
    const z = deflateSync(this.block.subarray(0, this.inBlock * SUMMARY), DEFLATE);
    this.file.write(z);
    this.entries.push({
      chromId,
      start: this.blockStart,
      end: this.blockEnd,
      offset: this.fileOffset,
      size: z.length,
    });
    this.fileOffset += z.length;
    this.inBlock = 0;
  }

  close(): void {
    this.file.flush();
    closeSync(this.file.fd);
  }
}

/** Streams bedGraph intervals into a bigWig file. */
export class BigWigWriter implements TrackWriter {
  private readonly fd: number;
  private readonly itemsPerSlot: number;
  private readonly blockSize: number;
  private readonly chromIds = new Map<string, number>();
  private readonly sortedChroms: { name: string; size: number }[];
  private readonly zooms: ZoomLevel[];
  private readonly headerSize: number;
  private readonly dataOffset: number;
  private pos: number;
  private readonly sections: BlockEntry[] = [];
  private readonly section: Buffer;
  private readonly sectionView: DataView;
  private inSection = 0;
  private maxSectionBytes = 0;
  private chromId = -1;
  private chromSize = 0;
  private lastEnd = 0;
  private readonly total = new SummaryAcc();
  private readonly seen = new Set<number>();
  private closed = false;

  /**
   * @param path file to write (truncated)
   * @param chroms every chromosome of the assembly with its size (the B+ tree lists them all)
   * @param scratchPrefix path prefix for the zoom scratch files (removed on close or abort)
   */
  constructor(
    readonly path: string,
    chroms: { name: string; size: number }[],
    private readonly scratchPrefix: string,
    opts: BigWigOptions,
  ) {
    this.itemsPerSlot = opts.itemsPerSlot ?? 1024;
    this.blockSize = opts.blockSize ?? 256;
    // byte order of the names, as UCSC's B+ tree lookups (memcmp) need
    this.sortedChroms = [...chroms].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
    this.sortedChroms.forEach((c, i) => this.chromIds.set(c.name, i));
    this.zooms = opts.zoomReductions.map(
      (r, i) => new ZoomLevel(r, `${scratchPrefix}.zoom${i}`, this.itemsPerSlot),
    );
    this.zooms.forEach((z, i) => {
      if (i > 0 && z.reduction % this.zooms[i - 1].reduction !== 0)
        throw new Error('bigWig: each zoom reduction must be a multiple of the previous one');
      if (i > 0) this.zooms[i - 1].next = z;
    });
    this.section = Buffer.alloc(SECTION_HEADER + this.itemsPerSlot * ITEM);
    this.sectionView = new DataView(this.section.buffer, this.section.byteOffset, this.section.length);
    this.headerSize = 64 + 24 * this.zooms.length;
    const tree = this.chromTree(this.headerSize + 40);
    this.fd = openSync(path, 'w');
    writeSync(this.fd, Buffer.alloc(this.headerSize + 40)); // header, zoom headers, total summary: rewritten on close
    writeSync(this.fd, tree);
    this.dataOffset = this.headerSize + 40 + tree.length;
    writeSync(this.fd, Buffer.alloc(8)); // section count, rewritten on close
    this.pos = this.dataOffset + 8;
  }

  /** Starts a chromosome (each at most once, any order). */
  beginChrom(name: string): void {
    const id = this.chromIds.get(name);
    if (id === undefined) throw new Error(`bigWig: chromosome ${name} is not in the chromosome list`);
    if (this.seen.has(id)) throw new Error(`bigWig: chromosome ${name} written twice`);
    this.seen.add(id);
    this.chromId = id;
    this.chromSize = this.sortedChroms[id].size;
    this.lastEnd = 0;
  }

  /** Adds [start, end) = value; intervals must be sorted and non-overlapping within the chromosome. */
  add(start: number, end: number, value: number): void {
    if (start < this.lastEnd || end <= start || end > this.chromSize)
      throw new Error(`bigWig: interval ${start}-${end} is unsorted, empty or beyond the chromosome end`);
    this.lastEnd = end;
    const v = Math.fround(value);
    if (this.inSection === this.itemsPerSlot) this.flushSection();
    const o = SECTION_HEADER + this.inSection * ITEM;
    const dv = this.sectionView;
    if (this.inSection === 0) dv.setUint32(4, start, true);
    dv.setUint32(8, end, true);
    dv.setUint32(o, start, true);
    dv.setUint32(o + 4, end, true);
    dv.setFloat32(o + 8, v, true);
    this.inSection++;
    this.total.add(v, end - start);
    this.zooms[0]?.add(this.chromId, this.chromSize, start, end, v);
  }

  endChrom(): void {
    if (this.inSection > 0) this.flushSection();
    this.zooms[0]?.endChrom(this.chromId, this.chromSize);
    this.chromId = -1;
  }

  private flushSection(): void {
    const dv = this.sectionView;
    dv.setUint32(0, this.chromId, true);
    dv.setUint32(12, 0, true); // itemStep
    dv.setUint32(16, 0, true); // itemSpan
    dv.setUint8(20, 1); // type: bedGraph
    dv.setUint8(21, 0);
    dv.setUint16(22, this.inSection, true);
    const raw = this.section.subarray(0, SECTION_HEADER + this.inSection * ITEM);
    if (raw.length > this.maxSectionBytes) this.maxSectionBytes = raw.length;
    const z = deflateSync(raw, DEFLATE);
    writeSync(this.fd, z);
    this.sections.push({
      chromId: this.chromId,
      start: dv.getUint32(4, true),
      end: dv.getUint32(8, true),
      offset: this.pos,
      size: z.length,
    });
    this.pos += z.length;
    this.inSection = 0;
  }

  async drain(): Promise<void> {
    // sections are written synchronously as they fill
  }

  async close(): Promise<void> {
    this.finish();
  }

  /** Writes the index, the zoom levels, the header and the total summary; removes the scratch files. */
  finish(): void {
    if (this.chromId >= 0) this.endChrom();
    const fd = this.fd;
    const sectionCount = this.sections.length;
    const indexOffset = this.pos;
    const index = cirTree(this.sortByPosition(this.sections), this.blockSize, indexOffset, indexOffset);
    writeSync(fd, index);
    this.pos += index.length;

    const zoomHeaders: { reduction: number; dataOffset: number; indexOffset: number }[] = [];
    const chunk = Buffer.alloc(1 << 20);
    for (const z of this.zooms) {
      z.close();
      const dataOffset = this.pos;
      const count = Buffer.alloc(4);
      count.writeUInt32LE(z.records, 0);
      writeSync(fd, count);
      this.pos += 4;
      const src = openSync(z.scratchPath, 'r');
      for (;;) {
        const n = readSync(src, chunk, 0, chunk.length, null);
        if (n <= 0) break;
        writeSync(fd, chunk, 0, n);
        this.pos += n;
      }
      closeSync(src);
      rmSync(z.scratchPath, { force: true });
      const entries = z.entries.map((e) => ({ ...e, offset: e.offset + dataOffset + 4 }));
      const zIndexOffset = this.pos;
      const zIndex = cirTree(this.sortByPosition(entries), this.blockSize, zIndexOffset, zIndexOffset);
      writeSync(fd, zIndex);
      this.pos += zIndex.length;
      zoomHeaders.push({ reduction: z.reduction, dataOffset, indexOffset: zIndexOffset });
    }
    const tail = Buffer.alloc(4);
    tail.writeUInt32LE(BIGWIG_MAGIC, 0);
    writeSync(fd, tail);

    const uncompressBufSize = Math.max(this.maxSectionBytes, this.itemsPerSlot * SUMMARY);
    const h = Buffer.alloc(this.headerSize + 40);
    h.writeUInt32LE(BIGWIG_MAGIC, 0);
    h.writeUInt16LE(BBI_VERSION, 4);
    h.writeUInt16LE(this.zooms.length, 6);
    h.writeBigUInt64LE(BigInt(this.headerSize + 40), 8); // chromosome tree
    h.writeBigUInt64LE(BigInt(this.dataOffset), 16);
    h.writeBigUInt64LE(BigInt(indexOffset), 24);
    h.writeUInt16LE(0, 32); // fieldCount
    h.writeUInt16LE(0, 34); // definedFieldCount
    h.writeBigUInt64LE(0n, 36); // autoSqlOffset
    h.writeBigUInt64LE(BigInt(this.headerSize), 44); // totalSummaryOffset
    h.writeUInt32LE(uncompressBufSize, 52);
    h.writeBigUInt64LE(0n, 56); // extensionOffset
    zoomHeaders.forEach((z, i) => {
      const o = 64 + 24 * i;
      h.writeUInt32LE(z.reduction, o);
      h.writeUInt32LE(0, o + 4);
      h.writeBigUInt64LE(BigInt(z.dataOffset), o + 8);
      h.writeBigUInt64LE(BigInt(z.indexOffset), o + 16);
    });
    const t = this.total;
    const o = this.headerSize;
    h.writeBigUInt64LE(BigInt(t.valid), o);
    h.writeDoubleLE(t.valid ? t.min : 0, o + 8);
    h.writeDoubleLE(t.valid ? t.max : 0, o + 16);
    h.writeDoubleLE(t.sum, o + 24);
    h.writeDoubleLE(t.sumSq, o + 32);
    writeSync(fd, h, 0, h.length, 0);
    const sc = Buffer.alloc(8);
    sc.writeBigUInt64LE(BigInt(sectionCount), 0);
    writeSync(fd, sc, 0, 8, this.dataOffset);
    closeSync(fd);
    this.closed = true;
  }

  /** Removes scratch files after a failure (the output itself is the caller's temporary). */
  abort(): void {
    if (this.closed) return;
    for (const z of this.zooms) {
      try {
        z.close();
      } catch {
        // already closed
      }
      rmSync(z.scratchPath, { force: true });
    }
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    this.closed = true;
  }

  /** Bases covered, min, max, sum, sum of squares (the file's total summary). */
  summary(): { basesCovered: number; min: number; max: number; sum: number; sumSquares: number } {
    const t = this.total;
    return { basesCovered: t.valid, min: t.min, max: t.max, sum: t.sum, sumSquares: t.sumSq };
  }

  private sortByPosition(e: BlockEntry[]): BlockEntry[] {
    return e.sort((a, b) => a.chromId - b.chromId || a.start - b.start);
  }

  /** Chromosome B+ tree (bPlusTree.c bulk layout: nodes padded to blockSize items, root level first). */
  private chromTree(offset: number): Buffer {
    const items = this.sortedChroms;
    const n = items.length;
    const keySize = Math.max(1, ...items.map((c) => Buffer.byteLength(c.name)));
    const blockSize = Math.max(2, Math.min(this.blockSize, n));
    const itemSize = keySize + 8;
    const nodeSize = 4 + blockSize * itemSize;
    // level sizes, leaves first
    const levels: number[] = [Math.max(1, Math.ceil(n / blockSize))];
    while (levels[levels.length - 1] > 1) levels.push(Math.ceil(levels[levels.length - 1] / blockSize));
    const top = levels.length - 1;
    const levelOffset: number[] = new Array(levels.length);
    let off = offset + 32;
    for (let l = top; l >= 0; l--) {
      levelOffset[l] = off;
      off += levels[l] * nodeSize;
    }
    const buf = Buffer.alloc(off - offset);
    buf.writeUInt32LE(BPT_MAGIC, 0);
    buf.writeUInt32LE(blockSize, 4);
    buf.writeUInt32LE(keySize, 8);
    buf.writeUInt32LE(8, 12);
    buf.writeBigUInt64LE(BigInt(n), 16);
    // items covered by one node at level l: blockSize^(l+1)
    for (let l = top; l >= 0; l--) {
      const span = blockSize ** (l + 1);
      const childSpan = blockSize ** l;
      for (let k = 0; k < levels[l]; k++) {
        const first = k * span;
        const nodeOff = levelOffset[l] + k * nodeSize - offset;
        const count =
          l === 0 ? Math.min(blockSize, n - first) : Math.min(blockSize, Math.ceil((n - first) / childSpan));
        buf.writeUInt8(l === 0 ? 1 : 0, nodeOff);
        buf.writeUInt16LE(Math.max(0, count), nodeOff + 2);
        for (let j = 0; j < count; j++) {
          const io = nodeOff + 4 + j * itemSize;
          const itemIndex = first + j * childSpan;
          buf.write(items[itemIndex].name, io, 'utf8');
          if (l === 0) {
            buf.writeUInt32LE(itemIndex, io + keySize);
            buf.writeUInt32LE(items[itemIndex].size, io + keySize + 4);
          } else {
            const child = levelOffset[l - 1] + (k * blockSize + j) * nodeSize;
            buf.writeBigUInt64LE(BigInt(child), io + keySize);
          }
        }
      }
    }
    return buf;
  }
}

/**
 * R-tree index over sorted blocks (cirTree.c bulk layout with one block per leaf item): a 48-byte header,
 * then nodes from the root level down, each padded to blockSize items.
 */
function cirTree(
  entries: BlockEntry[],
  blockSize: number,
  fileOffset: number,
  endFileOffset: number,
): Buffer {
  const n = entries.length;
  const levels: number[] = [Math.max(1, Math.ceil(n / blockSize))];
  while (levels[levels.length - 1] > 1) levels.push(Math.ceil(levels[levels.length - 1] / blockSize));
  const top = levels.length - 1;
  const leafSize = 4 + blockSize * 32;
  const nodeSize = 4 + blockSize * 24;
  const levelOffset: number[] = new Array(levels.length);
  let off = fileOffset + 48;
  for (let l = top; l >= 0; l--) {
    levelOffset[l] = off;
    off += levels[l] * (l === 0 ? leafSize : nodeSize);
  }
  const buf = Buffer.alloc(off - fileOffset);
  // bounds of entries [i, j): first start, last (chromId, end) — entries are sorted and do not overlap
  const bounds = (i: number, j: number): [number, number, number, number] => {
    let ec = entries[i].chromId;
    let ee = entries[i].end;
    for (let k = i + 1; k < j; k++) {
      const e = entries[k];
      if (e.chromId > ec || (e.chromId === ec && e.end > ee)) {
        ec = e.chromId;
        ee = e.end;
      }
    }
    return [entries[i].chromId, entries[i].start, ec, ee];
  };
  buf.writeUInt32LE(CIRTREE_MAGIC, 0);
  buf.writeUInt32LE(blockSize, 4);
  buf.writeBigUInt64LE(BigInt(n), 8);
  const root = n ? bounds(0, n) : [0, 0, 0, 0];
  buf.writeUInt32LE(root[0], 16);
  buf.writeUInt32LE(root[1], 20);
  buf.writeUInt32LE(root[2], 24);
  buf.writeUInt32LE(root[3], 28);
  buf.writeBigUInt64LE(BigInt(endFileOffset), 32);
  buf.writeUInt32LE(1, 40); // itemsPerSlot: one block per leaf item
  buf.writeUInt32LE(0, 44);
  for (let l = top; l >= 0; l--) {
    const span = blockSize ** (l + 1);
    const childSpan = blockSize ** l;
    const size = l === 0 ? leafSize : nodeSize;
    for (let k = 0; k < levels[l]; k++) {
      const first = k * span;
      const nodeOff = levelOffset[l] + k * size - fileOffset;
      const count = n === 0 ? 0 : Math.min(blockSize, Math.ceil((n - first) / childSpan));
      buf.writeUInt8(l === 0 ? 1 : 0, nodeOff);
      buf.writeUInt16LE(count, nodeOff + 2);
      for (let j = 0; j < count; j++) {
        const i0 = first + j * childSpan;
        const i1 = Math.min(n, i0 + childSpan);
        const [sc, sb, ec, eb] = bounds(i0, i1);
        const io = nodeOff + 4 + j * (l === 0 ? 32 : 24);
        buf.writeUInt32LE(sc, io);
        buf.writeUInt32LE(sb, io + 4);
        buf.writeUInt32LE(ec, io + 8);
        buf.writeUInt32LE(eb, io + 12);
        if (l === 0) {
          buf.writeBigUInt64LE(BigInt(entries[i0].offset), io + 16);
          buf.writeBigUInt64LE(BigInt(entries[i0].size), io + 24);
        } else {
          const child = levelOffset[l - 1] + (k * blockSize + j) * (l - 1 === 0 ? leafSize : nodeSize);
          buf.writeBigUInt64LE(BigInt(child), io + 16);
        }
      }
    }
  }
  return buf;
}
