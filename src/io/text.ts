import { createReadStream, openSync, readSync, closeSync, existsSync, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { StringDecoder } from 'node:string_decoder';
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

/**
 * Streams the lines of a text file, gzip/BGZF- or zstd-compressed or plain (detected by magic bytes, not by
 * extension). A truncated or corrupt gzip stream is reported as an InputError naming the file and the
 * last line that was read intact, instead of silently ending early.
 */
export async function* readLines(
  path: string,
  onBytes?: (bytesRead: number, totalBytes: number) => void,
): AsyncGenerator<TextLine> {
  requireFile(path);
  const gz = isGzip(path);
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  if (onBytes) {
    const total = statSync(path).size;
    raw.on('data', () => onBytes(raw.bytesRead, total));
  }
  let stream: Readable = raw;
  if (gz) {
    const gunzip = createGunzip();
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
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let lineNo = 0;
  try {
    for await (const chunk of stream) {
      const text = rest + decoder.write(chunk as Buffer);
      let start = 0;
      let nl = text.indexOf('\n', start);
      while (nl !== -1) {
        lineNo++;
        const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        yield { lineNo, text: text.slice(start, end) };
        start = nl + 1;
        nl = text.indexOf('\n', start);
      }
      rest = text.slice(start);
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
  rest += decoder.end();
  if (rest.length > 0) {
    lineNo++;
    yield { lineNo, text: rest.endsWith('\r') ? rest.slice(0, -1) : rest };
  }
}
