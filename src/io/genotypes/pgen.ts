/**
 * PLINK 2 .pgen/.pvar/.psam reader (storage mode 0x10, the variable-width format plink2 writes).
 *
 * Layout (pgen specification): a 12-byte header (magic 6c 1b, mode, variant and sample counts, format byte),
 * one file offset per block of 2^16 variants, then per block the record types (4 or 8 bits each), record
 * lengths (1–4 bytes each), optional allele counts and provisional-REF flags. Each record starts with the
 * main hard-call track (2-bit categories 0 = hom REF, 1 = het, 2 = hom ALT, 3 = missing), stored one of
 * seven ways (raw, "1-bit" + difflist, LD-compressed difflist against the last non-LD record, inverted
 * LD-compressed, or a difflist against an all-0/2/3 background), then optional tracks: multi-allelic
 * hard calls, hard-call phase, dosages (16-bit, 0x4000 per ALT allele, 0xffff missing) and phased dosages.
 *
 * No npm package reads .pgen (pgenlib is C++/Python), so the decoder is written here; it needs only the
 * main track and the dosage track (phase is skipped), and decodes a region by starting from the nearest
 * non-LD-compressed record before it, so a region read touches only its records' bytes.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputError } from '../errors.js';
import { readLines } from '../text.js';
import { all, inRegions } from './filters.js';
import { pgenPrefix } from './pgen-prefix.js';
import type { Filter } from './filters.js';
import { BlockBuilder } from './types.js';
import type { GenotypeBlock, GenotypeReader } from './types.js';

interface Pvar {
  chr: string[];
  pos: Int32Array;
  id: string[];
  ref: string[];
  alt: string[];
}

interface PgenHeader {
  nVariants: number;
  nSamples: number;
  /** Record type per variant (the low 4 bits only when the file stores 4-bit types). */
  vrtype: Uint8Array;
  /** Absolute file offset of each record, and its byte length. */
  offset: Float64Array;
  length: Uint32Array;
  sampleIdBytes: number;
}

/** Hard-call category → dosage. */
const HARDCALL = new Float32Array([0, 1, 2, NaN]);
/** Categories after REF/ALT inversion (LD-compressed, inverted records). */
const INVERT = new Uint8Array([2, 1, 0, 3]);
const DOSAGE_SCALE = 1 / 16384;

function popcount8(b: number): number {
  b = b - ((b >> 1) & 0x55);
  b = (b & 0x33) + ((b >> 2) & 0x33);
  return (b + (b >> 4)) & 0x0f;
}

export class PgenReader implements GenotypeReader {
  readonly format = 'pgen' as const;
  readonly path: string;
  private readonly prefix: string;
  private psam: string[] | undefined;
  private pvar: Pvar | undefined;
  private header: PgenHeader | undefined;
  private bytes = 0;

  constructor(path: string) {
    this.prefix = pgenPrefix(path);
    this.path = `${this.prefix}.pgen`;
  }

  bytesRead(): number {
    return this.bytes;
  }

  private companion(exts: string[], what: string): string {
    for (const e of exts) if (existsSync(`${this.prefix}${e}`)) return `${this.prefix}${e}`;
    throw new InputError(`the ${what} of the PLINK 2 fileset is missing`, {
      file: `${this.prefix}${exts[0]}`,
      hint: `Expected one of ${exts.map((e) => this.prefix + e).join(', ')} beside the .pgen`,
    });
  }

  /** Sample IDs (IID) from the .psam (`#FID IID …` or `#IID …` header) or a headerless .fam-style file. */
  async samples(): Promise<string[]> {
    if (this.psam) return this.psam;
    const file = this.companion(['.psam', '.fam'], '.psam');
    const ids: string[] = [];
    let iidCol = 1; // .fam layout when there is no header
    let minCols = 6;
    for await (const { lineNo, text } of readLines(file)) {
      if (text.trim().length === 0 || text.startsWith('##')) continue;
      const f = text.trim().split(/\s+/);
      if (text.startsWith('#')) {
        f[0] = f[0].slice(1);
        iidCol = f.indexOf('IID');
        if (iidCol < 0)
          throw new InputError('.psam header has no IID column', {
            file,
            line: lineNo,
            expected: '#FID IID … or #IID …',
          });
        minCols = iidCol + 1;
        continue;
      }
      if (f.length < minCols)
        throw new InputError(`.psam line has ${f.length} fields`, {
          file,
          line: lineNo,
          expected: `at least ${minCols}`,
        });
      ids.push(f[iidCol]);
    }
    this.psam = ids;
    return ids;
  }

  /** Variants from the .pvar (VCF-like `#CHROM POS ID REF ALT` header) or a headerless .bim-style file. */
  private async readPvar(): Promise<Pvar> {
    if (this.pvar) return this.pvar;
    const file = this.companion(['.pvar', '.pvar.zst', '.bim'], '.pvar');
    const v = {
      chr: [] as string[],
      pos: [] as number[],
      id: [] as string[],
      ref: [] as string[],
      alt: [] as string[],
    };
    // .bim column order when there is no header: CHROM ID CM POS ALT REF
    let col = { chr: 0, id: 1, pos: 3, alt: 4, ref: 5 };
    let nCols = 6;
    for await (const { lineNo, text } of readLines(file)) {
      if (text.length === 0 || text.startsWith('##')) continue;
      if (text.startsWith('#')) {
        const h = text.slice(1).split('\t');
        const at = (name: string) => {
          const i = h.indexOf(name);
          if (i < 0)
            throw new InputError(`.pvar header has no ${name} column`, {
              file,
              line: lineNo,
              expected: '#CHROM POS ID REF ALT …',
            });
          return i;
        };
        col = { chr: at('CHROM'), id: at('ID'), pos: at('POS'), alt: at('ALT'), ref: at('REF') };
        nCols = Math.max(...Object.values(col)) + 1;
        continue;
      }
      const f = text.split(/\t| +/);
      const pos = Number(f[col.pos]);
      if (f.length < nCols || !Number.isInteger(pos))
        throw new InputError('malformed .pvar line', {
          file,
          line: lineNo,
          expected: `${nCols} columns with an integer POS`,
        });
      v.chr.push(f[col.chr]);
      v.pos.push(pos);
      v.id.push(f[col.id]);
      v.ref.push(f[col.ref]);
      v.alt.push(f[col.alt]);
    }
    this.pvar = { ...v, pos: Int32Array.from(v.pos) };
    return this.pvar;
  }

  private malformed(what: string): InputError {
    return new InputError(`malformed .pgen: ${what}`, {
      file: this.path,
      hint: 'The file is truncated or corrupt; re-create it with plink2 --make-pgen',
    });
  }

  /** Reads the header: record types and lengths for every variant, hence every record's offset. */
  private readHeader(fd: number): PgenHeader {
    if (this.header) return this.header;
    const size = fstatSync(fd).size;
    const read = (pos: number, n: number): Buffer => {
      const b = Buffer.alloc(n);
      const got = readSync(fd, b, 0, n, pos);
      this.bytes += got;
      if (got < n) throw this.malformed(`header ends at byte ${pos + got}, ${n - got} bytes short`);
      return b;
    };
    const h = read(0, 12);
    if (h[0] !== 0x6c || h[1] !== 0x1b)
      throw new InputError('not a PLINK .pgen file', { file: this.path, expected: 'magic bytes 6c 1b' });
    const mode = h[2];
    if (mode !== 0x10)
      throw new InputError(`.pgen storage mode 0x${mode.toString(16)} is not supported`, {
        file: this.path,
        expected: 'mode 0x10 (what plink2 --make-pgen writes)',
        hint: 'Rewrite it with `plink2 --pfile P --make-pgen --out P2`',
      });
    const nVariants = h.readUInt32LE(3);
    const nSamples = h.readUInt32LE(7);
    const fmt = h[11];
    const storage = fmt & 0x0f;
    if (storage > 7) throw this.malformed(`unknown record-type/length storage code ${storage}`);
    const typeBits = storage < 4 ? 4 : 8;
    const lengthBytes = (storage & 3) + 1;
    const alleleCtBytes = (fmt >> 4) & 3;
    const provisionalFlags = fmt >> 6 === 3;
    const nBlocks = Math.ceil(nVariants / 65536);
    const blockOffsets = read(12, 8 * nBlocks);
    let p = 12 + 8 * nBlocks;
    const vrtype = new Uint8Array(nVariants);
    const length = new Uint32Array(nVariants);
    const offset = new Float64Array(nVariants);
    for (let blk = 0; blk < nBlocks; blk++) {
      const v0 = blk * 65536;
      const n = Math.min(65536, nVariants - v0);
      const typeBytes = typeBits === 8 ? n : Math.ceil(n / 2);
      const tb = read(p, typeBytes + n * lengthBytes);
      for (let k = 0; k < n; k++)
        vrtype[v0 + k] = typeBits === 8 ? tb[k] : (tb[k >> 1] >> ((k & 1) * 4)) & 0x0f;
      let o = Number(blockOffsets.readBigUInt64LE(8 * blk));
      for (let k = 0; k < n; k++) {
        const len = tb.readUIntLE(typeBytes + k * lengthBytes, lengthBytes);
        offset[v0 + k] = o;
        length[v0 + k] = len;
        o += len;
      }
      if (o > size)
        throw this.malformed(
          `records of variants ${v0 + 1}–${v0 + n} end at byte ${o}, past the file's ${size} bytes`,
        );
      p += typeBytes + n * lengthBytes + n * alleleCtBytes + (provisionalFlags ? Math.ceil(n / 8) : 0);
    }
    const sampleIdBytes = nSamples < 1 << 8 ? 1 : nSamples < 1 << 16 ? 2 : nSamples < 1 << 24 ? 3 : 4;
    this.header = { nVariants, nSamples, vrtype, offset, length, sampleIdBytes };
    return this.header;
  }

  private async open(): Promise<{ fd: number; hdr: PgenHeader; pvar: Pvar; nSamples: number }> {
    const nSamples = (await this.samples()).length;
    const pvar = await this.readPvar();
    if (!existsSync(this.path))
      throw new InputError('the .pgen file of the PLINK 2 fileset is missing', { file: this.path });
    const fd = openSync(this.path, 'r');
    try {
      const hdr = this.readHeader(fd);
      if (hdr.nSamples !== nSamples)
        throw new InputError(`.pgen has ${hdr.nSamples} samples but the .psam lists ${nSamples}`, {
          file: this.path,
          hint: 'The .psam does not belong to this .pgen',
        });
      if (hdr.nVariants !== pvar.id.length)
        throw new InputError(`.pgen has ${hdr.nVariants} variants but the .pvar lists ${pvar.id.length}`, {
          file: this.path,
          hint: 'The .pvar does not belong to this .pgen',
        });
      return { fd, hdr, pvar, nSamples };
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  private passes(pvar: Pvar, v: number, filter: Filter): boolean {
    if (!inRegions(filter.regions, pvar.chr[v], pvar.pos[v])) return false;
    return (
      !filter.variant ||
      filter.variant({
        chr: pvar.chr[v],
        pos: pvar.pos[v],
        id: pvar.id[v],
        ref: pvar.ref[v],
        alt: pvar.alt[v],
      })
    );
  }

  /**
   * Decodes the wanted variants among [from, to) in file order into `out`, reading the bytes of
   * [ldStart(from), to) in chunks; LD-compressed records use the last non-LD record as their base.
   */
  private decodeRange(
    fd: number,
    hdr: PgenHeader,
    pvar: Pvar,
    from: number,
    to: number,
    wanted: (v: number) => boolean,
    filter: Filter,
    out: BlockBuilder,
    emit?: () => void,
  ): void {
    let start = from;
    while (start > 0 && start % 65536 !== 0 && isLd(hdr.vrtype[start])) start--;
    const n = hdr.nSamples;
    const geno = new Uint8Array(n);
    const base = new Uint8Array(n);
    const dec = new RecordDecoder(n, hdr.sampleIdBytes, (what) => this.malformed(what));
    const chunkBytes = 1 << 22;
    let buf = Buffer.alloc(chunkBytes);
    for (let v = start; v < to;) {
      // one read for as many whole records as fit in the buffer
      let end = v;
      let bytes = 0;
      while (end < to && (end === v || bytes + hdr.length[end] <= buf.length)) bytes += hdr.length[end++];
      if (bytes > buf.length) buf = Buffer.alloc(bytes);
      const got = readSync(fd, buf, 0, bytes, hdr.offset[v]);
      this.bytes += got;
      if (got < bytes)
        throw this.malformed(`record of variant ${pvar.id[v]} is cut short at the end of the file`);
      let p = 0;
      for (; v < end; v++) {
        const t = hdr.vrtype[v];
        const len = hdr.length[v];
        const need = v >= from && wanted(v);
        const ld = isLd(t);
        if (need || !ld) {
          try {
            const q = dec.mainTrack(buf, p, p + len, t, geno, base);
            if (!ld) base.set(geno);
            if (need) {
              if (t & 0x08)
                throw new InputError(
                  `variant ${pvar.id[v]} is multi-allelic (${pvar.alt[v]}); .pgen multi-allelic records are not supported`,
                  {
                    file: this.path,
                    hint: 'Split or drop them first: `plink2 --pfile P --max-alleles 2 --make-pgen --out P2`',
                  },
                );
              const slot = out.slot();
              toDosage(geno, slot, n);
              dec.otherTracks(buf, q, p + len, t, geno, slot);
              if (!filter.dosage || filter.dosage(slot)) {
                out.commit(pvar.chr[v], pvar.pos[v], pvar.id[v], pvar.ref[v], pvar.alt[v]);
                if (emit && out.full) emit();
              }
            }
          } catch (e) {
            if (e instanceof InputError && !e.message.includes(pvar.id[v]))
              throw new InputError(`${e.message} (variant ${v + 1}, ${pvar.id[v]})`, e.context);
            throw e;
          }
        }
        p += len;
      }
    }
  }

  async *iterBlocks(options: { size?: number; filter?: Filter } = {}): AsyncGenerator<GenotypeBlock> {
    const { fd, hdr, pvar, nSamples } = await this.open();
    const filter = options.filter ?? all();
    try {
      const out = new BlockBuilder(nSamples, options.size ?? 10_000);
      const ready: GenotypeBlock[] = [];
      const step = 4096;
      for (let v0 = 0; v0 < hdr.nVariants; v0 += step) {
        const v1 = Math.min(hdr.nVariants, v0 + step);
        this.decodeRange(
          fd,
          hdr,
          pvar,
          v0,
          v1,
          (v) => this.passes(pvar, v, filter),
          filter,
          out,
          () => ready.push(out.take()),
        );
        while (ready.length) yield ready.shift()!;
      }
      if (out.count > 0) yield out.take();
    } finally {
      closeSync(fd);
    }
  }

  async *iterRegions(filters: Filter[]): AsyncGenerator<GenotypeBlock> {
    const { fd, hdr, pvar, nSamples } = await this.open();
    try {
      for (const filter of filters) {
        const out = new BlockBuilder(nSamples, 1024);
        // contiguous runs of variants inside the regions; each is read from its LD base onwards
        let v = 0;
        while (v < hdr.nVariants) {
          if (!inRegions(filter.regions, pvar.chr[v], pvar.pos[v])) {
            v++;
            continue;
          }
          let end = v;
          while (end < hdr.nVariants && inRegions(filter.regions, pvar.chr[end], pvar.pos[end])) end++;
          this.decodeRange(fd, hdr, pvar, v, end, (u) => this.passes(pvar, u, filter), filter, out);
          v = end;
        }
        yield out.take();
      }
    } finally {
      closeSync(fd);
    }
  }

  async close(): Promise<void> {}
}

function toDosage(geno: Uint8Array, slot: Float32Array, n: number): void {
  for (let j = 0; j < n; j++) slot[j] = HARDCALL[geno[j]];
}

function isLd(vrtype: number): boolean {
  const c = vrtype & 7;
  return c === 2 || c === 3;
}

/** Decoding of one record's tracks into hard-call categories and dosages. */
class RecordDecoder {
  private ids: Uint32Array;
  private rare: Uint8Array;
  private len = 0;

  constructor(
    private readonly n: number,
    private readonly idBytes: number,
    private readonly malformed: (what: string) => InputError,
  ) {
    this.ids = new Uint32Array(n);
    this.rare = new Uint8Array(n);
  }

  /** LEB128 varint at buf[p]; returns [value, next position]. */
  private varint(buf: Buffer, p: number, end: number): [number, number] {
    let v = 0;
    let shift = 0;
    for (;;) {
      if (p >= end) throw this.malformed('a varint runs past the end of its record');
      const b = buf[p++];
      v += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return [v, p];
      shift += 7;
      if (shift > 35) throw this.malformed('a varint is longer than 5 bytes');
    }
  }

  /**
   * A difflist (sample-ID list with optional 2-bit values): length, group base IDs (one per 64 entries),
   * group byte sizes, values, then ID increments as varints. Fills ids/rare[0..len); returns the end.
   */
  private difflist(buf: Buffer, p: number, end: number, withValues: boolean): number {
    let len: number;
    [len, p] = this.varint(buf, p, end);
    this.len = len;
    if (len === 0) return p;
    if (len > this.n) throw this.malformed(`a difflist has ${len} entries for ${this.n} samples`);
    const groups = Math.ceil(len / 64);
    const basesAt = p;
    p += groups * this.idBytes + (groups - 1);
    if (withValues) {
      if (p + Math.ceil(len / 4) > end) throw this.malformed('a difflist runs past the end of its record');
      for (let i = 0; i < len; i++) this.rare[i] = (buf[p + (i >> 2)] >> ((i & 3) * 2)) & 3;
      p += Math.ceil(len / 4);
    }
    for (let g = 0, i = 0; g < groups; g++) {
      let id = buf.readUIntLE(basesAt + g * this.idBytes, this.idBytes);
      const stop = Math.min(len, i + 64);
      for (;;) {
        if (id >= this.n) throw this.malformed(`a difflist names sample ${id + 1} of ${this.n}`);
        this.ids[i++] = id;
        if (i === stop) break;
        let inc: number;
        [inc, p] = this.varint(buf, p, end);
        id += inc;
      }
    }
    return p;
  }

  private patch(geno: Uint8Array): void {
    for (let i = 0; i < this.len; i++) geno[this.ids[i]] = this.rare[i];
  }

  /** Decodes the main track into geno (base = the last non-LD record's categories); returns its end. */
  mainTrack(buf: Buffer, p: number, end: number, vrtype: number, geno: Uint8Array, base: Uint8Array): number {
    const n = this.n;
    switch (vrtype & 7) {
      case 0: {
        const bytes = Math.ceil(n / 4);
        if (p + bytes > end) throw this.malformed('a hard-call track runs past the end of its record');
        for (let j = 0; j < n; j++) geno[j] = (buf[p + (j >> 2)] >> ((j & 3) * 2)) & 3;
        return p + bytes;
      }
      case 1: {
        // "1-bit": the two common categories, a bit per sample choosing between them, then a difflist
        const code = buf[p];
        const lo = code >> 2;
        const hi = lo + (code & 3);
        if ((code & 3) === 0 || hi > 3) throw this.malformed(`invalid 1-bit category code ${code}`);
        const bytes = Math.ceil(n / 8);
        if (p + 1 + bytes > end) throw this.malformed('a 1-bit track runs past the end of its record');
        for (let j = 0; j < n; j++) geno[j] = (buf[p + 1 + (j >> 3)] >> (j & 7)) & 1 ? hi : lo;
        const q = this.difflist(buf, p + 1 + bytes, end, true);
        this.patch(geno);
        return q;
      }
      case 2:
      case 3: {
        geno.set(base);
        const q = this.difflist(buf, p, end, true);
        this.patch(geno);
        if ((vrtype & 7) === 3) for (let j = 0; j < n; j++) geno[j] = INVERT[geno[j]];
        return q;
      }
      case 4:
      case 6:
      case 7: {
        geno.fill((vrtype & 7) - 4);
        const q = this.difflist(buf, p, end, true);
        this.patch(geno);
        return q;
      }
      default:
        throw this.malformed(`reserved record type ${vrtype & 7}`);
    }
  }

  /** Skips the phase track and applies the dosage track (if any) to `slot`. */
  otherTracks(
    buf: Buffer,
    p: number,
    end: number,
    vrtype: number,
    geno: Uint8Array,
    slot: Float32Array,
  ): void {
    const n = this.n;
    if (vrtype & 0x10) {
      // hard-call phase: bit 0 says whether phase presence is explicit; then one bit per het call
      let hets = 0;
      for (let j = 0; j < n; j++) if (geno[j] === 1) hets++;
      const first = Math.ceil((hets + 1) / 8);
      if (p + first > end) throw this.malformed('a phase track runs past the end of its record');
      if (buf[p] & 1) {
        let present = popcount8(buf[p] & 0xfe);
        for (let k = 1; k < first; k++) present += popcount8(buf[p + k]);
        p += first + Math.ceil(present / 8);
      } else p += first;
    }
    const kind = vrtype & 0x60;
    if (kind === 0) return;
    const value = (i: number, j: number) => {
      if (p + 2 * i + 2 > end) throw this.malformed('a dosage track runs past the end of its record');
      const d = buf.readUInt16LE(p + 2 * i);
      slot[j] = d === 0xffff ? NaN : d * DOSAGE_SCALE;
    };
    if (kind === 0x20) {
      p = this.difflist(buf, p, end, false);
      for (let i = 0; i < this.len; i++) value(i, this.ids[i]);
    } else if (kind === 0x40) {
      for (let j = 0; j < n; j++) value(j, j);
    } else {
      const bytes = Math.ceil(n / 8);
      const bits = p;
      p += bytes;
      let i = 0;
      for (let j = 0; j < n; j++) if ((buf[bits + (j >> 3)] >> (j & 7)) & 1) value(i++, j);
    }
  }
}
