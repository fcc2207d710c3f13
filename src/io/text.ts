import { createReadStream, openSync, readSync, closeSync, existsSync, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { InputError } from './errors.js';

function magic(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(4);
    const n = readSync(fd, buf, 0, 4, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** True when the file starts with the gzip magic bytes (plain gzip or BGZF). */
export function isGzip(path: string): boolean {
  const b = magic(path);
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** True when the file starts with the Zstandard frame magic (as plink2's .pvar.zst). */
export function isZstd(path: string): boolean {
  const b = magic(path);
  return b.length === 4 && b.readUInt32LE(0) === 0xfd2fb528;
}

/** Throws an InputError naming the file when it does not exist or is not a regular file. */
export function requireFile(path: string, what = 'input file'): void {
  if (!existsSync(path)) throw new InputError(`${what} does not exist`, { file: path });
  if (!statSync(path).isFile()) throw new InputError(`${what} is not a regular file`, { file: path });
}

export interface TextLine {
  /** 1-based line number. */
  lineNo: number;
  /** Line text without the trailing newline (and without a trailing '\r'). */
  text: string;
}

/** Lines of a chunk of a text file as byte ranges: line i is buf[starts[i], ends[i]) (no newline, no '\r'). */
export interface LineBatch {
  buf: Buffer;
  starts: Int32Array;
  ends: Int32Array;
  count: number;
  /** 1-based line number of the batch's first line. */
  firstLineNo: number;
}

/**
 * Streams the lines of a text file in batches of byte ranges, gzip/BGZF- or zstd-compressed or plain
 * (detected by magic bytes, not by extension). Hot parsers (VCF genotypes) read the bytes directly, with no
 * string per line. A truncated or corrupt gzip stream is reported as an InputError naming the file and the
 * last line that was read intact, instead of silently ending early.
 */
export async function* readLineBatches(
  path: string,
  onBytes?: (bytesRead: number, totalBytes: number) => void,
): AsyncGenerator<LineBatch> {
  requireFile(path);
  const gz = isGzip(path);
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  if (onBytes) {
    const total = statSync(path).size;
    raw.on('data', () => onBytes(raw.bytesRead, total));
  }
  let stream: Readable = raw;
  if (gz) {
    const gunzip = createGunzip({ chunkSize: 1 << 20 }); // large output chunks: fewer thread-pool round trips
    raw.on('error', (e) => gunzip.destroy(e));
    raw.pipe(gunzip);
    stream = gunzip;
  } else if (isZstd(path)) {
    const { DecompressStream } = await import('zstd-napi');
    const unzstd = new DecompressStream();
    raw.on('error', (e) => unzstd.destroy(e));
    raw.pipe(unzstd);
    stream = unzstd;
  }
  let carry: Buffer = Buffer.alloc(0);
  let lineNo = 0;
  let starts = new Int32Array(1024);
  let ends = new Int32Array(1024);
  const split = (buf: Buffer, last: boolean): LineBatch => {
    let count = 0;
    let s = 0;
    for (;;) {
      let nl = buf.indexOf(10, s);
      if (nl < 0) {
        if (!last || s >= buf.length) break;
        nl = buf.length;
      }
      if (count === starts.length) {
        const grow = (a: Int32Array) => {
          const b = new Int32Array(a.length * 2);
          b.set(a);
          return b;
        };
        starts = grow(starts);
        ends = grow(ends);
      }
      starts[count] = s;
      ends[count++] = nl > s && buf[nl - 1] === 13 ? nl - 1 : nl;
      s = nl + 1;
    }
    carry = s < buf.length ? buf.subarray(s) : Buffer.alloc(0);
    const batch = {
      buf,
      starts: starts.slice(0, count),
      ends: ends.slice(0, count),
      count,
      firstLineNo: lineNo + 1,
    };
    lineNo += count;
    return batch;
  };
  try {
    for await (const chunk of stream) {
      const batch = split(carry.length ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer), false);
      if (batch.count > 0) yield batch;
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (
      gz &&
      (err.code === 'Z_BUF_ERROR' ||
        err.code === 'Z_DATA_ERROR' ||
        /unexpected end|incorrect/i.test(err.message))
    ) {
      throw new InputError(`gzip stream is truncated or corrupt after line ${lineNo} (${err.message})`, {
        file: path,
        line: lineNo + 1,
        hint: 'The file was probably cut short while copying or writing; re-create it and check it with `gzip -t`',
      });
    }
    throw e;
  }
  if (carry.length > 0) yield split(carry, true);
}

/** Streams the lines of a text file as strings (UTF-8), compressed or not, as `readLineBatches`. */
export async function* readLines(
  path: string,
  onBytes?: (bytesRead: number, totalBytes: number) => void,
): AsyncGenerator<TextLine> {
  for await (const b of readLineBatches(path, onBytes))
    for (let i = 0; i < b.count; i++)
      yield { lineNo: b.firstLineNo + i, text: b.buf.toString('utf8', b.starts[i], b.ends[i]) };
}
