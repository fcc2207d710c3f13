/**
 * BGZF (SAM/BAM specification §4.1): a series of gzip members of at most 64 KiB each, every one carrying the
 * 'BC' extra subfield with its own size (BSIZE = member size − 1), ending with the 28-byte empty member as an
 * end-of-file marker. Any gzip reader decompresses it; tabix and htslib seek into it by virtual offset
 * (compressed offset of a member << 16 | offset inside its uncompressed data).
 *
 * Written with node:zlib (deflateRawSync per block, zlib.crc32), as STACK.md measured: no npm BGZF writer is
 * maintained, and the format is a thin frame around raw deflate.
 */
import { closeSync, openSync, readSync, writeSync, fstatSync } from 'node:fs';
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import { InputError } from './errors.js';

/** Uncompressed bytes per block: htslib's BGZF_BLOCK_SIZE (0xff00), so even incompressible data fits in 64 KiB. */
export const BGZF_BLOCK_DATA = 0xff00;
/** Largest BGZF member (BSIZE is a uint16 holding size − 1). */
export const BGZF_MAX_BLOCK = 0x10000;
const HEADER_BYTES = 18;
const FOOTER_BYTES = 8;
/** The empty member every BGZF file ends with (SAM spec §4.1.2). */
export const BGZF_EOF = Buffer.from('1f8b08040000000000ff0600424302001b0003000000000000000000', 'hex');

/**
 * Virtual offsets are kept as JS numbers (coffset · 65536 + uoffset): exact while the compressed offset is
 * below 2^37 bytes (128 GiB), far beyond any file this project writes; the writer refuses to go past it.
 */
const MAX_COFFSET = 2 ** 37;

/** Compressed-block offset of a virtual offset (`voffset >> 16`). */
export function blockOffset(voffset: number): number {
  return Math.floor(voffset / 65536);
}

/** One BGZF member holding `data` (at most BGZF_BLOCK_DATA bytes). */
export function bgzfBlock(data: Uint8Array, level = 6): Buffer {
  let deflated = deflateRawSync(data, { level });
  if (deflated.length + HEADER_BYTES + FOOTER_BYTES > BGZF_MAX_BLOCK)
    deflated = deflateRawSync(data, { level: 0 });
  const size = deflated.length + HEADER_BYTES + FOOTER_BYTES;
  if (size > BGZF_MAX_BLOCK) throw new Error(`BGZF block of ${data.length} bytes does not fit in 64 KiB`);
  const block = Buffer.allocUnsafe(size);
  block.writeUInt32LE(0x04088b1f, 0); // ID1 ID2 CM=deflate FLG=FEXTRA
  block.writeUInt32LE(0, 4); // MTIME
  block[8] = 0; // XFL
  block[9] = 0xff; // OS unknown
  block.writeUInt16LE(6, 10); // XLEN
  block[12] = 66; // 'B'
  block[13] = 67; // 'C'
  block.writeUInt16LE(2, 14); // SLEN
  block.writeUInt16LE(size - 1, 16); // BSIZE
  deflated.copy(block, HEADER_BYTES);
  block.writeUInt32LE(crc32(data), size - 8);
  block.writeUInt32LE(data.length, size - 4);
  return block;
}

/**
 * A streaming BGZF writer. `virtualOffset` is the offset of the next byte written, so an index (tabix) can be
 * built while writing. It writes to exactly the path it is given: callers pass an OutputSet temporary name and
 * the set renames it when the stage succeeds.
 */
export class BgzfWriter {
  private fd: number | undefined;
  private readonly block = Buffer.allocUnsafe(BGZF_BLOCK_DATA);
  private used = 0;
  /** Compressed blocks waiting for one write call. */
  private readonly pending = Buffer.allocUnsafe(1 << 20);
  private pendingBytes = 0;
  /** Compressed bytes handed to the file so far. */
  private flushed = 0;
  private uncompressed = 0;
  private readonly level: number;

  constructor(
    readonly path: string,
    options: { level?: number } = {},
  ) {
    this.level = options.level ?? 6; // zlib's default, as bgzip
    this.fd = openSync(path, 'w');
  }

  /** Virtual offset of the next byte written: (compressed offset of the current block) << 16 | offset in it. */
  get virtualOffset(): number {
    return (this.flushed + this.pendingBytes) * 65536 + this.used;
  }

  /** Uncompressed bytes written so far. */
  get bytesIn(): number {
    return this.uncompressed + this.used;
  }

  /** Compressed bytes so far (the file's size once closed, less the EOF marker). */
  get bytesOut(): number {
    return this.flushed + this.pendingBytes;
  }

  write(data: Uint8Array | string): void {
    if (typeof data === 'string') {
      // most lines fit the current block: encode straight into it, no intermediate Buffer
      if (data.length * 3 <= BGZF_BLOCK_DATA - this.used) {
        this.used += this.block.write(data, this.used, 'utf8');
        if (this.used === BGZF_BLOCK_DATA) this.endBlock();
        return;
      }
      data = Buffer.from(data, 'utf8');
    }
    let from = 0;
    while (from < data.length) {
      const n = Math.min(data.length - from, BGZF_BLOCK_DATA - this.used);
      this.block.set(data.subarray(from, from + n), this.used);
      this.used += n;
      from += n;
      if (this.used === BGZF_BLOCK_DATA) this.endBlock();
    }
  }

  /** Ends the current block (if it holds anything); the next byte starts a new one. */
  endBlock(): void {
    if (this.used === 0) return;
    const block = bgzfBlock(this.block.subarray(0, this.used), this.level);
    this.uncompressed += this.used;
    this.used = 0;
    this.append(block);
  }

  private append(bytes: Buffer): void {
    if (this.pendingBytes + bytes.length > this.pending.length) this.flushPending();
    bytes.copy(this.pending, this.pendingBytes);
    this.pendingBytes += bytes.length;
    if (this.flushed + this.pendingBytes >= MAX_COFFSET)
      throw new Error(`${this.path}: BGZF output beyond 128 GiB is not supported`);
  }

  private flushPending(): void {
    if (this.fd === undefined) throw new Error(`${this.path}: BGZF writer is closed`);
    let off = 0;
    while (off < this.pendingBytes) off += writeSync(this.fd, this.pending, off, this.pendingBytes - off);
    this.flushed += this.pendingBytes;
    this.pendingBytes = 0;
  }

  /** Writes the last block and the EOF marker and closes the file. */
  close(): void {
    if (this.fd === undefined) return;
    this.endBlock();
    this.append(BGZF_EOF);
    this.flushPending();
    closeSync(this.fd);
    this.fd = undefined;
  }

  /** Closes the file without finishing it (the caller's OutputSet removes it). */
  abort(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

/** BGZF-compresses a whole buffer (with the EOF marker): for small outputs such as a .tbi index. */
export function bgzfCompress(data: Uint8Array, level = 6): Buffer {
  const parts: Buffer[] = [];
  for (let from = 0; from < data.length; from += BGZF_BLOCK_DATA)
    parts.push(bgzfBlock(data.subarray(from, Math.min(data.length, from + BGZF_BLOCK_DATA)), level));
  parts.push(BGZF_EOF);
  return Buffer.concat(parts);
}

export interface BgzfBlock {
  /** File offset of the member. */
  coffset: number;
  /** Its size in the file (BSIZE + 1). */
  size: number;
  /** Its uncompressed data. */
  data: Buffer;
}

/**
 * Reads a BGZF file member by member (each one's file offset and data), streaming: for indexing a file that
 * was bgzipped elsewhere. Anything that is not a BGZF member (plain gzip, a cut file, a bad CRC) is an
 * InputError naming the file and the offset.
 */
export function* readBgzfBlocks(path: string): Generator<BgzfBlock> {
  const fd = openSync(path, 'r');
  try {
    yield* bgzfBlocksOf(fd, path, 0, Infinity);
  } finally {
    closeSync(fd);
  }
}

/** The members of an open BGZF file from the one at file offset `from` through the one at `through`. */
function* bgzfBlocksOf(fd: number, path: string, from: number, through: number): Generator<BgzfBlock> {
  const size = fstatSync(fd).size;
  const header = Buffer.alloc(HEADER_BYTES);
  let coffset = from;
  const bad = (what: string): never => {
    throw new InputError(`not a BGZF file: ${what} at byte ${coffset}`, {
      file: path,
      expected: 'gzip members with the BC extra field (bgzip output)',
      hint: 'Recompress with `bgzip` (plain gzip cannot be indexed)',
    });
  };
  while (coffset < size && coffset <= through) {
    if (readSync(fd, header, 0, HEADER_BYTES, coffset) !== HEADER_BYTES) bad('truncated block header');
    if (header[0] !== 0x1f || header[1] !== 0x8b || header[2] !== 8 || (header[3] & 4) === 0)
      bad('no gzip member with an extra field');
    const xlen = header.readUInt16LE(10);
    // the BC subfield is the first one in every writer we know; look through the others if not
    let bsize = -1;
    if (xlen === 6 && header[12] === 66 && header[13] === 67 && header.readUInt16LE(14) === 2)
      bsize = header.readUInt16LE(16) + 1;
    else {
      const extra = Buffer.alloc(xlen);
      if (readSync(fd, extra, 0, xlen, coffset + 12) !== xlen) bad('truncated extra field');
      for (let p = 0; p + 4 <= xlen;) {
        const slen = extra.readUInt16LE(p + 2);
        if (extra[p] === 66 && extra[p + 1] === 67 && slen === 2) bsize = extra.readUInt16LE(p + 4) + 1;
        p += 4 + slen;
      }
    }
    if (bsize < 0) bad('no BC subfield');
    const block = Buffer.allocUnsafe(bsize);
    if (readSync(fd, block, 0, bsize, coffset) !== bsize) bad('truncated block');
    const cdata = block.subarray(12 + xlen, bsize - FOOTER_BYTES);
    let data: Buffer;
    try {
      data = inflateRawSync(cdata);
    } catch (e) {
      return bad(`corrupt deflate data (${(e as Error).message})`);
    }
    if (data.length !== block.readUInt32LE(bsize - 4) || crc32(data) !== block.readUInt32LE(bsize - 8))
      bad('CRC or size mismatch');
    yield { coffset, size: bsize, data };
    coffset += bsize;
  }
}

/**
 * The uncompressed bytes between two virtual offsets of an open BGZF file, [beg, end) (an index chunk), member
 * by member (inflated with node:zlib), each with the compressed bytes read for it.
 */
export function* bgzfRangePieces(
  fd: number,
  path: string,
  beg: number,
  end: number,
): Generator<{ data: Buffer; compressed: number }> {
  const first = blockOffset(beg);
  const last = blockOffset(end);
  for (const b of bgzfBlocksOf(fd, path, first, last)) {
    const from = b.coffset === first ? beg - first * 65536 : 0;
    const to = b.coffset === last ? end - last * 65536 : b.data.length;
    yield { data: b.data.subarray(from, Math.max(from, to)), compressed: b.size };
  }
}

/** `bgzfRangePieces` in one buffer, and the compressed bytes read. */
export function readBgzfRange(
  fd: number,
  path: string,
  beg: number,
  end: number,
): { data: Buffer; compressed: number } {
  const parts: Buffer[] = [];
  let compressed = 0;
  for (const p of bgzfRangePieces(fd, path, beg, end)) {
    compressed += p.compressed;
    if (p.data.length) parts.push(p.data);
  }
  return { data: parts.length === 1 ? parts[0] : Buffer.concat(parts), compressed };
}
