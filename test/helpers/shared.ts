/**
 * Reference data and reference-tool outputs live outside the project, in a shared folder found through
 * QTLFLOW_SHARED (default: ../shared beside the checkout). They are read in place, never copied in.
 * A missing folder fails the tests: conformance tests must run, not skip.
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED = resolve(REPO_ROOT, process.env.QTLFLOW_SHARED ?? '../shared');

export function sharedPath(...parts: string[]): string {
  const p = join(SHARED, ...parts);
  if (!existsSync(p)) {
    throw new Error(
      `shared reference file not found: ${p} (set QTLFLOW_SHARED to the folder holding data/ and refs/)`,
    );
  }
  return p;
}

/** Reads a (gzipped) TSV with a header into rows of strings. */
export function readTsv(path: string): { header: string[]; rows: string[][] } {
  const buf = readFileSync(path);
  const text = (buf[0] === 0x1f && buf[1] === 0x8b ? gunzipSync(buf) : buf).toString('utf8');
  const lines = text.split('\n').filter((l) => l.length > 0);
  return { header: lines[0].split('\t'), rows: lines.slice(1).map((l) => l.split('\t')) };
}

/** Largest |a−b|/|b| (|a−b| where b = 0). */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    const r = b[i] === 0 ? d : d / Math.abs(b[i]);
    if (!(r <= m)) m = r;
  }
  return m;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = d;
  }
  return m;
}

/** Opens a Parquet file and reads the named columns. */
export async function readColumns(path: string, names: string[]) {
  const { openParquet } = await import('../../src/io/parquet.js');
  const t = await openParquet(path);
  const o: Record<string, ArrayLike<unknown>> = {};
  for (const n of names) o[n] = (await t.column(n)) as ArrayLike<unknown>;
  return { t, o };
}
