/**
 * BGEN reader (v1.1 layout 1; v1.2/1.3 layout 2 with 1–32 bit probabilities, zlib or zstd, phased and unphased,
 * any ploidy and allele count), following the BGEN specification. The dosage is the expected number of
 * non-first alleles: with `ref-first` files (plink2's default for export) that is the ALT dosage, and for
 * biallelic variants it is the usual P(AB) + 2·P(BB). Samples come from the file's sample-identifier block, or
 * from the `.sample` file beside it (ID_2 when present, else ID_1). Variant blocks are read one at a time;
 * genotype blocks outside a requested region are skipped without being decompressed.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync, readFileSync, statSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import * as zstd from 'zstd-napi';
import { InputError } from '../errors.js';
import { canonicalChrom } from '../genome.js';
import { all, inRegions } from './filters.js';
import type { Filter, Region } from './filters.js';
import { BlockBuilder } from './types.js';
import type { GenotypeBlock, GenotypeReader } from './types.js';

interface VariantHead {
  chr: string;
  pos: number;
  id: string;
  rsid: string;
  alleles: string[];
}

interface BgenHeader {
  firstVariantOffset: number;
  nVariants: number;
  nSamples: number;
  compression: 0 | 1 | 2;
  layout: 1 | 2;
  sampleIds?: string[];
}

/** Reads little-endian fields at absolute offsets, through a 1 MiB window. */
class Cursor {
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  readonly size: number;
  constructor(
    private readonly fd: number,
    private readonly path: string,
  ) {
    this.size = fstatSync(fd).size;
  }
  bytes(offset: number, length: number): Buffer {
    if (offset + length > this.size) {
      throw new InputError(
        `file ends at byte ${this.size} inside a record that needs bytes ${offset}–${offset + length}`,
        {
          file: this.path,
          hint: 'The BGEN file is truncated',
        },
      );
    }
    if (offset < this.bufStart || offset + length > this.bufStart + this.buf.length) {
      const size = Math.max(length, 1 << 20);
      this.buf = Buffer.alloc(Math.min(size, this.size - offset));
      readSync(this.fd, this.buf, 0, this.buf.length, offset);
      this.bufStart = offset;
    }
    return this.buf.subarray(offset - this.bufStart, offset - this.bufStart + length);
  }
  u16(o: number): number {
    return this.bytes(o, 2).readUInt16LE(0);
  }
  u32(o: number): number {
    return this.bytes(o, 4).readUInt32LE(0);
  }
  str(o: number, n: number): string {
    return this.bytes(o, n).toString('utf8');
  }
}

/** Genotype index → count of the first allele, for ploidy z and k alleles, in BGEN's (colex) order. */
const firstAlleleCounts = new Map<string, Int32Array>();
function colexFirstCounts(z: number, k: number): Int32Array {
  const key = `${z},${k}`;
  const cached = firstAlleleCounts.get(key);
  if (cached) return cached;
  const out: number[] = [];
  // vectors (x1..xk) with sum z in colex order: the last coordinate varies slowest
  const rec = (remaining: number, dims: number, prefixFirst: (x1: number) => void): void => {
    if (dims === 1) {
      prefixFirst(remaining);
      return;
    }
    for (let last = 0; last <= remaining; last++) rec(remaining - last, dims - 1, prefixFirst);
  };
  rec(z, k, (x1) => out.push(x1));
  const arr = Int32Array.from(out);
  firstAlleleCounts.set(key, arr);
  return arr;
}

export class BgenReader implements GenotypeReader {
  readonly format = 'bgen' as const;
  private header: BgenHeader | undefined;
  private sampleIds: string[] | undefined;

  /** `sampleFile`: an Oxford .sample file to take sample IDs from (default: the path with .sample). */
  constructor(
    readonly path: string,
    private readonly options: { sampleFile?: string; haploidAsDiploid?: boolean } = {},
  ) {}

  private readHeader(c: Cursor): BgenHeader {
    if (this.header) return this.header;
    const offset = c.u32(0);
    const lh = c.u32(4);
    const nVariants = c.u32(8);
    const nSamples = c.u32(12);
    const magic = c.str(16, 4);
    if (magic !== 'bgen' && c.u32(16) !== 0)
      throw new InputError('not a BGEN file (bad magic)', { file: this.path, expected: "'bgen' at byte 16" });
    const flags = c.u32(4 + lh - 4);
    const rawCompression = flags & 3;
    const compression = rawCompression as 0 | 1 | 2;
    const layout = ((flags >> 2) & 0xf) as 1 | 2;
    if (rawCompression === 3)
      throw new InputError('unknown BGEN compression type 3', {
        file: this.path,
        expected: '0 (none), 1 (zlib) or 2 (zstd)',
      });
    if (layout !== 1 && layout !== 2) {
      throw new InputError(`unsupported BGEN layout ${layout}`, {
        file: this.path,
        expected: 'layout 1 (v1.1) or 2 (v1.2/v1.3)',
      });
    }
    if (layout === 1 && compression === 2)
      throw new InputError('zstd compression with layout 1 is not valid BGEN', { file: this.path });
    let sampleIds: string[] | undefined;
    if (flags >>> 31) {
      let o = 4 + lh + 8;
      sampleIds = [];
      for (let i = 0; i < nSamples; i++) {
        const n = c.u16(o);
        sampleIds.push(c.str(o + 2, n));
        o += 2 + n;
      }
    }
    this.header = { firstVariantOffset: offset + 4, nVariants, nSamples, compression, layout, sampleIds };
    return this.header;
  }

  private withCursor<T>(f: (c: Cursor) => T): T {
    if (!existsSync(this.path)) throw new InputError('BGEN file does not exist', { file: this.path });
    const fd = openSync(this.path, 'r');
    try {
      return f(new Cursor(fd, this.path));
    } finally {
      closeSync(fd);
    }
  }

  async samples(): Promise<string[]> {
    if (this.sampleIds) return this.sampleIds;
    const h = this.withCursor((c) => this.readHeader(c));
    if (h.sampleIds) return (this.sampleIds = h.sampleIds);
    const samplePath = this.options.sampleFile ?? this.path.replace(/\.bgen$/, '') + '.sample';
    if (!existsSync(samplePath)) {
      throw new InputError('the BGEN file has no sample identifiers and there is no .sample file beside it', {
        file: this.path,
        hint: `Provide ${samplePath} (Oxford .sample format)`,
      });
    }
    const lines = readFileSync(samplePath, 'utf8')
      .split('\n')
      .filter((l) => l.trim().length > 0);
    const head = lines[0].trim().split(/\s+/);
    const col = head.indexOf('ID_2') >= 0 ? head.indexOf('ID_2') : 0;
    const ids = lines.slice(2).map((l) => l.trim().split(/\s+/)[col]);
    if (ids.length !== h.nSamples) {
      throw new InputError(`.sample lists ${ids.length} samples, the BGEN header says ${h.nSamples}`, {
        file: samplePath,
      });
    }
    return (this.sampleIds = ids);
  }

  /** Parses the variant identifying block at offset `o`; returns the record and where its genotypes lie. */
  private parseVariantAt(
    c: Cursor,
    h: BgenHeader,
    o: number,
  ): { rec: VariantHead; blockStart: number; blockLen: number } {
    if (h.layout === 1) o += 4; // layout 1 repeats N before each variant
    const lid = c.u16(o);
    const id = c.str(o + 2, lid);
    o += 2 + lid;
    const lrs = c.u16(o);
    const rsid = c.str(o + 2, lrs);
    o += 2 + lrs;
    const lchr = c.u16(o);
    const chr = c.str(o + 2, lchr);
    o += 2 + lchr;
    const pos = c.u32(o);
    o += 4;
    let k = 2;
    if (h.layout === 2) {
      k = c.u16(o);
      o += 2;
    }
    const alleles: string[] = [];
    for (let a = 0; a < k; a++) {
      const la = c.u32(o);
      alleles.push(c.str(o + 4, la));
      o += 4 + la;
    }
    if (h.layout === 1 && h.compression === 0)
      return { rec: { chr, pos, id, rsid, alleles }, blockStart: o, blockLen: 6 * h.nSamples };
    return { rec: { chr, pos, id, rsid, alleles }, blockStart: o + 4, blockLen: c.u32(o) };
  }

  /** Visits variants (all, in file order, or those at the given offsets); `decode` fills a dosage slot. */
  private walk(
    visit: (rec: VariantHead, decode: (slot: Float32Array) => void) => void,
    offsets?: number[],
  ): void {
    this.withCursor((c) => {
      const h = this.readHeader(c);
      const one = (o: number): number => {
        const { rec, blockStart, blockLen } = this.parseVariantAt(c, h, o);
        const k = rec.alleles.length;
        visit(rec, (slot) =>
          this.decodeGenotypes(c, h, blockStart, blockLen, k, slot, `${rec.chr}:${rec.pos}`),
        );
        return blockStart + blockLen;
      };
      if (offsets) {
        for (const o of offsets) one(o);
        return;
      }
      let o = h.firstVariantOffset;
      for (let v = 0; v < h.nVariants; v++) o = one(o);
    });
  }

  private decodeGenotypes(
    c: Cursor,
    h: BgenHeader,
    start: number,
    len: number,
    k: number,
    slot: Float32Array,
    at: string,
  ): void {
    let data: Buffer = c.bytes(start, len);
    try {
      if (h.layout === 1) {
        if (h.compression === 1) data = inflateSync(data);
      } else if (h.compression !== 0) {
        const payload = data.subarray(4);
        data = h.compression === 1 ? inflateSync(payload) : zstd.decompress(payload);
      }
    } catch (e) {
      throw new InputError(`cannot decompress the genotypes of variant ${at} (${(e as Error).message})`, {
        file: this.path,
      });
    }
    if (h.layout === 1) return decodeLayout1(data, h.nSamples, slot);
    decodeLayout2(data, h.nSamples, k, slot, this.path, at, this.options.haploidAsDiploid ? 2 : 1);
  }

  private run(
    filter: Filter,
    regions: Region[] | undefined,
    out: BlockBuilder,
    onFull?: () => void,
    offsets?: number[],
  ): void {
    this.walk((rec, decode) => {
      if (!inRegions(regions, rec.chr, rec.pos)) return;
      const ref = rec.alleles[0];
      const alt = rec.alleles.slice(1).join(',');
      const id = rec.rsid && rec.rsid !== '.' ? rec.rsid : rec.id;
      if (filter.variant && !filter.variant({ chr: rec.chr, pos: rec.pos, id, ref, alt })) return;
      const slot = out.slot();
      decode(slot);
      if (filter.dosage && !filter.dosage(slot)) return;
      out.commit(rec.chr, rec.pos, id, ref, alt);
      if (onFull && out.full) onFull();
    }, offsets);
  }

  async *iterBlocks(options: { size?: number; filter?: Filter } = {}): AsyncGenerator<GenotypeBlock> {
    const n = (await this.samples()).length;
    const filter = options.filter ?? all();
    const out = new BlockBuilder(n, options.size ?? 10_000);
    const ready: GenotypeBlock[] = [];
    this.run(filter, filter.regions, out, () => ready.push(out.take()));
    if (out.count > 0) ready.push(out.take());
    for (const b of ready) yield b;
  }

  async *iterRegions(filters: Filter[]): AsyncGenerator<GenotypeBlock> {
    const n = (await this.samples()).length;
    const bgi = `${this.path}.bgi`;
    const index = existsSync(bgi) ? await this.openIndex(bgi) : undefined;
    for (const filter of filters) {
      const out = new BlockBuilder(n, 1024);
      const regions = filter.regions ?? [];
      // with a .bgi, only the variants it lists in the regions are read; without, the file is scanned
      const offsets = index ? regions.flatMap((r) => index(r)) : undefined;
      this.run(filter, regions, out, undefined, offsets);
      yield out.take();
    }
  }

  /**
   * The .bgi index (an SQLite database, as bgenix writes it), read with sql.js: returns a lookup from a region
   * to the file offsets of its variants, in position order. Chromosome names are matched through canonicalChrom.
   */
  private async openIndex(bgi: string): Promise<(r: Region) => number[]> {
    if (statSync(bgi).mtimeMs < statSync(this.path).mtimeMs - 1000) {
      throw new InputError('the .bgi index is older than the BGEN file (stale index)', {
        file: bgi,
        hint: `Re-index with \`bgenix -g ${this.path} -index -clobber\``,
      });
    }
    const { default: initSqlJs } = await import('sql.js');
    const SQL = await initSqlJs();
    let db: import('sql.js').Database;
    let chromosomes: string[];
    try {
      db = new SQL.Database(readFileSync(bgi));
      chromosomes = (db.exec('SELECT DISTINCT chromosome FROM Variant')[0]?.values ?? []).map((v) =>
        String(v[0]),
      );
    } catch (e) {
      throw new InputError(`not a readable .bgi index (${(e as Error).message})`, {
        file: bgi,
        expected: 'an SQLite database with a Variant table (bgenix -index)',
      });
    }
    return (r: Region) => {
      const offsets: number[] = [];
      for (const chr of chromosomes.filter((c) => canonicalChrom(c) === r.chr)) {
        const res = db.exec(
          'SELECT file_start_position FROM Variant WHERE chromosome = ? AND position BETWEEN ? AND ? ORDER BY position, file_start_position',
          [chr, r.start, r.end],
        );
        for (const row of res[0]?.values ?? []) offsets.push(Number(row[0]));
      }
      return offsets;
    };
  }

  async close(): Promise<void> {}
}

function decodeLayout1(data: Buffer, n: number, slot: Float32Array): void {
  for (let j = 0; j < n; j++) {
    const aa = data.readUInt16LE(6 * j) / 32768;
    const ab = data.readUInt16LE(6 * j + 2) / 32768;
    const bb = data.readUInt16LE(6 * j + 4) / 32768;
    slot[j] = aa === 0 && ab === 0 && bb === 0 ? NaN : ab + 2 * bb;
  }
}

function decodeLayout2(
  data: Buffer,
  nHeader: number,
  kHeader: number,
  slot: Float32Array,
  file: string,
  at: string,
  haploidScale: number,
): void {
  const n = data.readUInt32LE(0);
  const k = data.readUInt16LE(4);
  if (n !== nHeader || k !== kHeader) {
    throw new InputError(
      `genotype block of ${at} says ${n} samples and ${k} alleles, expected ${nHeader} and ${kHeader}`,
      { file },
    );
  }
  const phased = data[8 + n];
  const bits = data[9 + n];
  if (bits < 1 || bits > 32)
    throw new InputError(`genotype block of ${at} has ${bits}-bit probabilities`, {
      file,
      expected: '1 to 32 bits',
    });
  const scale = 1 / (2 ** bits - 1);
  let bitPos = (10 + n) * 8;
  // reads `bits` bits little-endian from bitPos (values up to 32 bits; arithmetic instead of 32-bit shifts)
  const next = (): number => {
    let value = 0;
    let got = 0;
    while (got < bits) {
      const byte = data[bitPos >> 3];
      const off = bitPos & 7;
      const take = Math.min(8 - off, bits - got);
      value += ((byte >> off) & ((1 << take) - 1)) * 2 ** got;
      got += take;
      bitPos += take;
    }
    return value * scale;
  };
  for (let j = 0; j < n; j++) {
    const pm = data[8 + j];
    const missing = (pm & 0x80) !== 0;
    const z = pm & 0x3f;
    if (phased) {
      // z haplotypes × (k − 1) stored probabilities; non-first allele probability = 1 − P(first)
      let d = 0;
      for (let hap = 0; hap < z; hap++) {
        const p1 = next();
        for (let a = 2; a < k; a++) next();
        d += 1 - p1;
      }
      slot[j] = missing ? NaN : z === 1 ? d * haploidScale : d;
    } else {
      const firsts = colexFirstCounts(z, k);
      let expectedFirst = 0;
      let stored = 0;
      for (let g = 0; g < firsts.length - 1; g++) {
        const p = next();
        stored += p;
        expectedFirst += p * firsts[g];
      }
      expectedFirst += Math.max(0, 1 - stored) * firsts[firsts.length - 1];
      slot[j] = missing ? NaN : z === 1 ? (z - expectedFirst) * haploidScale : z - expectedFirst;
    }
  }
}
