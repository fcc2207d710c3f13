/**
 * PLINK 1 binary fileset reader (.bed/.bim/.fam, SNP-major). The ALT dosage is the count of the .bim's
 * allele 1 (column 5), which plink2 writes as the VCF ALT (REF is column 6): codes 00 = 2, 10 = 1, 11 = 0,
 * 01 = missing. The .bim is read whole (it is small); .bed rows are read per variant from their offset, so a
 * region read touches only its variants' bytes.
 */
import { openSync, readSync, closeSync, statSync, existsSync } from 'node:fs';
import { InputError } from '../errors.js';
import { readLines } from '../text.js';
import { all, inRegions } from './filters.js';
import type { Filter } from './filters.js';
import { BlockBuilder } from './types.js';
import type { GenotypeBlock, GenotypeReader } from './types.js';

interface Bim {
  chr: string[];
  pos: Int32Array;
  id: string[];
  a1: string[];
  a2: string[];
}

/** The .bed prefix from any of the fileset's names. */
export function plinkPrefix(path: string): string {
  return path.replace(/\.(bed|bim|fam)$/, '');
}

/** Dosage lookup: one entry per packed byte, four samples each. */
const BYTE_DOSAGES = (() => {
  const code = [2, NaN, 1, 0]; // 00, 01, 10, 11 (two bits, low bits first)
  const t = new Float32Array(256 * 4);
  for (let b = 0; b < 256; b++) for (let k = 0; k < 4; k++) t[b * 4 + k] = code[(b >> (2 * k)) & 3];
  return t;
})();

export class PlinkReader implements GenotypeReader {
  readonly format = 'plink1' as const;
  readonly path: string;
  private readonly prefix: string;
  private fam: string[] | undefined;
  private bim: Bim | undefined;

  constructor(path: string) {
    this.prefix = plinkPrefix(path);
    this.path = `${this.prefix}.bed`;
  }

  async samples(): Promise<string[]> {
    if (this.fam) return this.fam;
    const file = `${this.prefix}.fam`;
    if (!existsSync(file)) throw new InputError('the .fam file of the PLINK fileset is missing', { file });
    const ids: string[] = [];
    for await (const { lineNo, text } of readLines(file)) {
      if (text.trim().length === 0) continue;
      const f = text.trim().split(/\s+/);
      if (f.length < 6)
        throw new InputError(`.fam line has ${f.length} fields`, {
          file,
          line: lineNo,
          expected: 'FID IID father mother sex phenotype',
        });
      ids.push(f[1]);
    }
    this.fam = ids;
    return ids;
  }

  private async readBim(): Promise<Bim> {
    if (this.bim) return this.bim;
    const file = `${this.prefix}.bim`;
    if (!existsSync(file)) throw new InputError('the .bim file of the PLINK fileset is missing', { file });
    const b = {
      chr: [] as string[],
      pos: [] as number[],
      id: [] as string[],
      a1: [] as string[],
      a2: [] as string[],
    };
    for await (const { lineNo, text } of readLines(file)) {
      if (text.trim().length === 0) continue;
      const f = text.split(/\s+/);
      const pos = Number(f[3]);
      if (f.length < 6 || !Number.isInteger(pos))
        throw new InputError('malformed .bim line', { file, line: lineNo, expected: 'chr id cM pos A1 A2' });
      b.chr.push(f[0]);
      b.pos.push(pos);
      b.id.push(f[1]);
      b.a1.push(f[4]);
      b.a2.push(f[5]);
    }
    this.bim = { ...b, pos: Int32Array.from(b.pos) };
    return this.bim;
  }

  /** Opens the .bed, checking the magic bytes and that its size matches .bim × .fam. */
  private async openBed(): Promise<{ fd: number; bytesPerVariant: number; nSamples: number; bim: Bim }> {
    const nSamples = (await this.samples()).length;
    const bim = await this.readBim();
    if (!existsSync(this.path))
      throw new InputError('the .bed file of the PLINK fileset is missing', { file: this.path });
    const bytesPerVariant = Math.ceil(nSamples / 4);
    const expected = 3 + bytesPerVariant * bim.id.length;
    const size = statSync(this.path).size;
    const fd = openSync(this.path, 'r');
    const magic = Buffer.alloc(3);
    readSync(fd, magic, 0, 3, 0);
    if (magic[0] !== 0x6c || magic[1] !== 0x1b || magic[2] !== 0x01) {
      closeSync(fd);
      throw new InputError('not a SNP-major PLINK 1 .bed file', {
        file: this.path,
        expected: 'magic bytes 6c 1b 01',
      });
    }
    if (size !== expected) {
      closeSync(fd);
      throw new InputError(
        `.bed has ${size} bytes; ${bim.id.length} variants (.bim) × ${nSamples} samples (.fam) need ${expected}`,
        { file: this.path, hint: 'The .bim or .fam does not belong to this .bed (or the .bed is truncated)' },
      );
    }
    return { fd, bytesPerVariant, nSamples, bim };
  }

  async *iterBlocks(options: { size?: number; filter?: Filter } = {}): AsyncGenerator<GenotypeBlock> {
    const { fd, bytesPerVariant, nSamples, bim } = await this.openBed();
    const filter = options.filter ?? all();
    try {
      const out = new BlockBuilder(nSamples, options.size ?? 10_000);
      const chunk = 4096;
      const buf = Buffer.alloc(bytesPerVariant * chunk);
      for (let v0 = 0; v0 < bim.id.length; v0 += chunk) {
        const n = Math.min(chunk, bim.id.length - v0);
        readSync(fd, buf, 0, n * bytesPerVariant, 3 + v0 * bytesPerVariant);
        for (let k = 0; k < n; k++) {
          const v = v0 + k;
          if (!this.passesRecord(bim, v, filter)) continue;
          this.decodeInto(buf, k * bytesPerVariant, nSamples, out, bim, v, filter);
          if (out.full) yield out.take();
        }
      }
      if (out.count > 0) yield out.take();
    } finally {
      closeSync(fd);
    }
  }

  async *iterRegions(filters: Filter[]): AsyncGenerator<GenotypeBlock> {
    const { fd, bytesPerVariant, nSamples, bim } = await this.openBed();
    try {
      const buf = Buffer.alloc(bytesPerVariant);
      for (const filter of filters) {
        const out = new BlockBuilder(nSamples, 1024);
        for (let v = 0; v < bim.id.length; v++) {
          if (!this.passesRecord(bim, v, filter)) continue;
          readSync(fd, buf, 0, bytesPerVariant, 3 + v * bytesPerVariant);
          this.decodeInto(buf, 0, nSamples, out, bim, v, filter);
        }
        yield out.take();
      }
    } finally {
      closeSync(fd);
    }
  }

  private passesRecord(bim: Bim, v: number, filter: Filter): boolean {
    if (!inRegions(filter.regions, bim.chr[v], bim.pos[v])) return false;
    return (
      !filter.variant ||
      filter.variant({ chr: bim.chr[v], pos: bim.pos[v], id: bim.id[v], ref: bim.a2[v], alt: bim.a1[v] })
    );
  }

  private decodeInto(
    buf: Buffer,
    off: number,
    nSamples: number,
    out: BlockBuilder,
    bim: Bim,
    v: number,
    filter: Filter,
  ): void {
    const slot = out.slot();
    const full = nSamples >> 2;
    for (let b = 0; b < full; b++) {
      const t = buf[off + b] * 4;
      const j = b * 4;
      slot[j] = BYTE_DOSAGES[t];
      slot[j + 1] = BYTE_DOSAGES[t + 1];
      slot[j + 2] = BYTE_DOSAGES[t + 2];
      slot[j + 3] = BYTE_DOSAGES[t + 3];
    }
    for (let j = full * 4; j < nSamples; j++) slot[j] = BYTE_DOSAGES[buf[off + (j >> 2)] * 4 + (j & 3)];
    if (filter.dosage && !filter.dosage(slot)) return;
    out.commit(bim.chr[v], bim.pos[v], bim.id[v], bim.a2[v], bim.a1[v]);
  }

  async close(): Promise<void> {}
}
