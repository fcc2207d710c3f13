/**
 * Decodes a .tbi index into plain data, so an index we wrote can be compared with the one htslib's `tabix`
 * writes for the same file: same sequences, bins, chunks and linear windows (bins in numeric order; htslib
 * writes them in hash order, which carries no meaning).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export interface TbiIndex {
  format: number;
  columns: [number, number, number];
  meta: string;
  skip: number;
  names: string[];
  sequences: { bins: Record<number, string[]>; linear: string[] }[];
  noCoordinates: string | undefined;
}

export function readTbi(path: string): TbiIndex {
  const b = gunzipSync(readFileSync(path));
  if (b.toString('latin1', 0, 4) !== 'TBI\x01') throw new Error(`${path}: not a .tbi`);
  let o = 4;
  const i32 = () => ((o += 4), b.readInt32LE(o - 4));
  const u64 = () => ((o += 8), b.readBigUInt64LE(o - 8).toString(16));
  const nRef = i32();
  const format = i32();
  const columns: [number, number, number] = [i32(), i32(), i32()];
  const meta = String.fromCharCode(i32());
  const skip = i32();
  const lNm = i32();
  const names = b
    .toString('utf8', o, o + lNm)
    .split('\0')
    .slice(0, -1);
  o += lNm;
  const sequences: TbiIndex['sequences'] = [];
  for (let r = 0; r < nRef; r++) {
    const bins: Record<number, string[]> = {};
    const nBin = i32();
    for (let k = 0; k < nBin; k++) {
      const bin = b.readUInt32LE(o);
      o += 4;
      const n = i32();
      const chunks: string[] = [];
      for (let c = 0; c < n; c++) chunks.push(`${u64()}-${u64()}`);
      bins[bin] = chunks;
    }
    const nIntv = i32();
    const linear: string[] = [];
    for (let k = 0; k < nIntv; k++) linear.push(u64());
    sequences.push({ bins, linear });
  }
  const noCoordinates = o + 8 <= b.length ? u64() : undefined;
  return { format, columns, meta, skip, names, sequences, noCoordinates };
}
