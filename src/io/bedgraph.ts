/**
 * bedGraph track writer: `chrom<TAB>start<TAB>end<TAB>value` lines (0-based, half-open), plain, gzip
 * (node:zlib) or Zstandard (zstd-napi), streamed with backpressure. Values are written in JavaScript's
 * shortest round-trip form, so reading a line back gives the exact double that was computed.
 */
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import type { Writable } from 'node:stream';

export type TrackCompression = 'none' | 'gzip' | 'zstd';

/** What the coverage stage writes a track through (bedGraph and bigWig alike). */
export interface TrackWriter {
  beginChrom(name: string): void;
  /** [start, end) = value; sorted, non-overlapping within a chromosome. */
  add(start: number, end: number, value: number): void;
  endChrom(): void;
  /** Resolves when buffered output has been taken by the file (call between input batches). */
  drain(): Promise<void>;
  close(): Promise<void>;
  abort(): void;
}

const CHUNK = 1 << 20;

/** Writes a non-negative integer's decimal digits at `pos`; returns the new position. */
function writeUint(buf: Buffer, pos: number, v: number): number {
  if (v < 10) {
    buf[pos] = 48 + v;
    return pos + 1;
  }
  let digits = 1;
  for (let t = v; t >= 10; t = Math.floor(t / 10)) digits++;
  let p = pos + digits;
  for (let t = v; p > pos; t = Math.floor(t / 10)) buf[--p] = 48 + (t % 10);
  return pos + digits;
}

export class BedGraphWriter implements TrackWriter {
  private readonly file: WriteStream;
  private readonly head: Writable;
  private chrom: Buffer = Buffer.alloc(0);
  // lines are formatted straight into byte chunks (building strings made garbage collection the main cost)
  private buf = Buffer.allocUnsafe(CHUNK);
  private pos = 0;
  private pendingDrain = false;
  private failed: Error | undefined;

  constructor(
    readonly path: string,
    compression: TrackCompression,
    level?: number,
  ) {
    this.file = createWriteStream(path);
    this.file.on('error', (e) => (this.failed = e));
    if (compression === 'gzip') {
      const gz = createGzip(level === undefined ? {} : { level });
      gz.on('error', (e) => (this.failed = e));
      gz.pipe(this.file);
      this.head = gz;
    } else if (compression === 'zstd') {
      this.head = zstdStream(level);
      this.head.on('error', (e) => (this.failed = e));
      this.head.pipe(this.file);
    } else {
      this.head = this.file;
    }
  }

  beginChrom(name: string): void {
    this.chrom = Buffer.from(name + '\t', 'latin1');
  }

  add(start: number, end: number, value: number): void {
    if (this.pos + this.chrom.length + 64 > CHUNK) this.flush();
    const b = this.buf;
    let p = this.pos + this.chrom.copy(b, this.pos);
    p = writeUint(b, p, start);
    b[p++] = 9;
    p = writeUint(b, p, end);
    b[p++] = 9;
    // integers (raw counts) as digits; other values in JavaScript's shortest round-trip form
    if (Number.isSafeInteger(value) && value >= 0) p = writeUint(b, p, value);
    else p += b.write(String(value), p, 'latin1');
    b[p++] = 10;
    this.pos = p;
  }

  endChrom(): void {
    this.flush();
  }

  private flush(): void {
    if (this.pos === 0) return;
    if (!this.head.write(this.buf.subarray(0, this.pos))) this.pendingDrain = true;
    this.buf = Buffer.allocUnsafe(CHUNK);
    this.pos = 0;
  }

  async drain(): Promise<void> {
    if (this.failed) throw this.failed;
    if (this.pendingDrain) {
      this.pendingDrain = false;
      await once(this.head, 'drain');
    }
  }

  async close(): Promise<void> {
    this.flush();
    const done = once(this.file, 'close');
    this.head.end();
    await done;
    if (this.failed) throw this.failed;
  }

  abort(): void {
    this.head.destroy();
    this.file.destroy();
  }
}

let ZstdCompressStream: (new (opts?: { compressionLevel?: number }) => Writable) | undefined;

/** Loads zstd-napi once (it is a native module; only zstd output needs it). */
export async function loadZstd(): Promise<void> {
  if (ZstdCompressStream) return;
  const m = (await import('zstd-napi')) as unknown as {
    CompressStream: new (opts?: { compressionLevel?: number }) => Writable;
  };
  ZstdCompressStream = m.CompressStream;
}

function zstdStream(level?: number): Writable {
  if (!ZstdCompressStream) throw new Error('loadZstd() must be awaited before writing zstd');
  return new ZstdCompressStream(level === undefined ? {} : { compressionLevel: level });
}
