/**
 * VCF 4.2 writer: bgzipped, with its tabix index built while writing (one pass, no re-read). Genotypes come
 * either as haplotypes (phased hard calls `0|1`) or as ALT dosages in the GenotypeBlock layout (unphased hard
 * calls `0/1`, plus FORMAT/DS when the writer is opened with `dosages: true`). The sample fields are written
 * as bytes into a reused line buffer: this loop runs for every genotype of the file.
 */
import { BgzfWriter } from './bgzf.js';
import { TabixIndexBuilder, TABIX_VCF, writeTabixIndex } from './tabix.js';
import type { GenotypeBlock, VariantTable } from './genotypes/types.js';
import { VERSION } from '../version.js';

export interface VcfContig {
  name: string;
  /** Length in bp, written as `##contig=<ID=…,length=…>` when known. */
  length?: number;
}

export interface VcfWriterOptions {
  samples: string[];
  /** Contigs in file order. Records on a contig not listed are an error when any are listed. */
  contigs?: VcfContig[];
  /** Write FORMAT GT:DS (dosages that are not hard calls); otherwise GT only. */
  dosages?: boolean;
  /** Extra `##` header lines (without the leading `##`), e.g. `source=…` or a simulation's parameters. */
  meta?: string[];
  /** Where the .tbi goes (an OutputSet temporary name); no index when omitted. */
  indexPath?: string;
  /** The output's name in error messages (default: the path written to). */
  label?: string;
  /** zlib level of the BGZF blocks (default 6, as bgzip). */
  level?: number;
}

/** ALT dosage as VCF text: the shortest decimal (≤ 4 decimals, else ≤ 9 significant digits) that reads back as the same float32. */
export function formatDosage(x: number): string {
  for (let k = 0, scale = 1; k <= 4; k++, scale *= 10) {
    const r = Math.round(x * scale) / scale;
    if (Math.fround(r) === x) return String(r);
  }
  for (let p = 5; p <= 9; p++) {
    const t = Number(x.toPrecision(p));
    if (Math.fround(t) === x) return String(t);
  }
  return String(x);
}

const TAB = 9;
const NEWLINE = 10;
const PHASED = 124; // |
const UNPHASED = 47; // /
const ZERO = 48;
const DOT = 46;

export class VcfWriter {
  private readonly out: BgzfWriter;
  private readonly index: TabixIndexBuilder | undefined;
  private readonly nSamples: number;
  private readonly contigs: Set<string> | undefined;
  private line = Buffer.allocUnsafe(0);
  private lineNo = 0;
  private lastChr: string | undefined;
  private readonly dsText = new Map<number, Buffer>();
  private readonly label: string;
  /** Records written. */
  records = 0;

  constructor(
    readonly path: string,
    readonly options: VcfWriterOptions,
  ) {
    this.label = options.label ?? path;
    this.nSamples = options.samples.length;
    this.contigs = options.contigs?.length ? new Set(options.contigs.map((c) => c.name)) : undefined;
    const seen = new Set<string>();
    for (const s of options.samples) {
      if (seen.has(s) || /[\t\n]/.test(s) || s === '')
        throw new Error(`${this.label}: sample ID '${s}' is duplicated or not a valid VCF sample name`);
      seen.add(s);
    }
    this.out = new BgzfWriter(path, { level: options.level });
    this.index = options.indexPath ? new TabixIndexBuilder(TABIX_VCF, this.label) : undefined;
    this.writeHeader();
  }

  private writeHeader(): void {
    const o = this.options;
    const lines = [
      '##fileformat=VCFv4.2',
      `##source=qtlflow ${VERSION}`,
      ...(o.meta ?? []).map((m) => `##${m}`),
    ];
    for (const c of o.contigs ?? [])
      lines.push(
        c.length !== undefined ? `##contig=<ID=${c.name},length=${c.length}>` : `##contig=<ID=${c.name}>`,
      );
    lines.push('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">');
    if (o.dosages)
      lines.push('##FORMAT=<ID=DS,Number=A,Type=Float,Description="Estimated ALT allele dosage">');
    lines.push(
      ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO', 'FORMAT', ...o.samples].join('\t'),
    );
    for (const l of lines) {
      this.out.write(`${l}\n`);
      this.lineNo++;
      this.index?.addHeader(this.out.virtualOffset);
    }
  }

  private lineBuffer(bytes: number): Buffer {
    if (this.line.length < bytes) this.line = Buffer.allocUnsafe(Math.max(bytes, 2 * this.line.length));
    return this.line;
  }

  /** The fixed columns and FORMAT of variant v, with a tab before the first sample. */
  private writeFixed(v: VariantTable, i: number): void {
    const chr = v.chr[i];
    const pos = v.pos[i];
    const ref = v.ref[i];
    if (chr !== this.lastChr) {
      if (this.contigs && !this.contigs.has(chr))
        throw new Error(`${this.label}: chromosome '${chr}' is not among the contigs the header lists`);
      this.lastChr = chr;
    }
    if (!(pos >= 1) || !ref) throw new Error(`${this.label}: variant ${chr}:${pos} has no valid POS/REF`);
    const format = this.options.dosages ? 'GT:DS' : 'GT';
    this.out.write(`${chr}\t${pos}\t${v.id[i] || '.'}\t${ref}\t${v.alt[i] || '.'}\t.\t.\t.\t${format}\t`);
  }

  private endRecord(v: VariantTable, i: number): void {
    this.lineNo++;
    this.records++;
    // the tabix VCF preset's interval: [POS − 1, POS − 1 + len(REF)) (no INFO/END is written)
    this.index?.addRecord(
      v.chr[i],
      v.pos[i] - 1,
      v.pos[i] - 1 + v.ref[i].length,
      this.out.virtualOffset,
      this.lineNo,
    );
  }

  /**
   * Phased hard calls from haplotypes: `haplotypes` holds nVariants × 2·nSamples alleles, variant-major
   * (variant v's at [v·2n, (v+1)·2n), sample j's two at 2j and 2j+1): 0 = REF, 1 = ALT, anything else missing.
   * A writer opened with `dosages: true` writes them as unphased GT:DS instead (one FORMAT for the whole file).
   */
  writeHaplotypes(variants: VariantTable, haplotypes: Uint8Array): void {
    const n = this.nSamples;
    const nv = variants.pos.length;
    if (haplotypes.length !== nv * 2 * n)
      throw new Error(`${this.label}: ${haplotypes.length} alleles for ${nv} variants × ${n} samples × 2`);
    if (this.options.dosages) {
      const dosages = new Float32Array(nv * n);
      for (let k = 0; k < dosages.length; k++) {
        const a = haplotypes[2 * k];
        const b = haplotypes[2 * k + 1];
        dosages[k] = a > 1 || b > 1 ? NaN : a + b;
      }
      return this.writeDosages(variants, dosages);
    }
    const line = this.lineBuffer(4 * n);
    for (let i = 0; i < nv; i++) {
      this.writeFixed(variants, i);
      const h = haplotypes.subarray(i * 2 * n, (i + 1) * 2 * n);
      for (let j = 0, o = 0; j < n; j++, o += 4) {
        const a = h[2 * j];
        const b = h[2 * j + 1];
        line[o] = a <= 1 ? ZERO + a : DOT;
        line[o + 1] = PHASED;
        line[o + 2] = b <= 1 ? ZERO + b : DOT;
        line[o + 3] = TAB;
      }
      line[4 * n - 1] = NEWLINE;
      this.out.write(line.subarray(0, 4 * n));
      this.endRecord(variants, i);
    }
  }

  /**
   * ALT dosages (0–2, NaN missing) in the GenotypeBlock layout (variant v's samples at [v·n, (v+1)·n)). GT is
   * the unphased hard call nearest the dosage; DS, when the writer has it, the dosage itself. Without DS every
   * dosage must be a hard call (0, 1, 2) or missing.
   */
  writeDosages(variants: VariantTable, dosages: Float32Array): void {
    const n = this.nSamples;
    const nv = variants.pos.length;
    if (dosages.length !== nv * n)
      throw new Error(`${this.label}: ${dosages.length} dosages for ${nv} variants × ${n} samples`);
    const ds = this.options.dosages === true;
    const line = this.lineBuffer(ds ? 24 * n : 4 * n); // `a/b:` + ≤ 16 characters of DS + tab
    for (let i = 0; i < nv; i++) {
      this.writeFixed(variants, i);
      let o = 0;
      for (let j = 0; j < n; j++) {
        const d = dosages[i * n + j];
        if (Number.isNaN(d)) {
          line[o] = DOT;
          line[o + 1] = UNPHASED;
          line[o + 2] = DOT;
          o += 3;
          if (ds) {
            line[o] = 58; // :
            line[o + 1] = DOT;
            o += 2;
          }
        } else {
          if (!(d >= 0 && d <= 2))
            throw new Error(
              `${this.label}: dosage ${d} of sample '${this.options.samples[j]}' at ${variants.chr[i]}:${variants.pos[i]} is outside 0–2`,
            );
          const call = Math.round(d);
          if (!ds && call !== d)
            throw new Error(
              `${this.label}: dosage ${d} is not a hard call; open the writer with dosages: true to write FORMAT/DS`,
            );
          line[o] = call === 2 ? ZERO + 1 : ZERO;
          line[o + 1] = UNPHASED;
          line[o + 2] = call === 0 ? ZERO : ZERO + 1;
          o += 3;
          if (ds) {
            line[o++] = 58;
            o += this.dosageText(d).copy(line, o);
          }
        }
        line[o++] = TAB;
      }
      line[o - 1] = NEWLINE;
      this.out.write(line.subarray(0, o));
      this.endRecord(variants, i);
    }
  }

  /** Writes a GenotypeBlock (what the genotype readers yield). */
  writeBlock(block: GenotypeBlock): void {
    this.writeDosages(block.variants, block.dosages);
  }

  /** DS text of a dosage, memoised: imputed dosages take few distinct values (e.g. 3 decimals). */
  private dosageText(d: number): Buffer {
    let t = this.dsText.get(d);
    if (!t) {
      t = Buffer.from(formatDosage(d), 'latin1');
      if (t.length > 16) throw new Error(`dosage text '${t.toString()}' is longer than expected`);
      if (this.dsText.size < 100_000) this.dsText.set(d, t);
    }
    return t;
  }

  /** Finishes the VCF and writes its index. */
  close(): void {
    this.out.endBlock();
    const finalOffset = this.out.virtualOffset;
    this.out.close();
    if (this.index && this.options.indexPath)
      writeTabixIndex(this.options.indexPath, this.index.finish(finalOffset));
  }

  /** Stops without finishing (the caller's OutputSet removes the partial files). */
  abort(): void {
    this.out.abort();
  }
}

/** Writes a whole set of variants as .vcf.gz + .tbi; DS is added only when some dosage is not a hard call. */
export function writeVcf(
  path: string,
  indexPath: string,
  block: GenotypeBlock,
  samples: string[],
  options: Omit<VcfWriterOptions, 'samples' | 'indexPath' | 'dosages'> = {},
): void {
  let hard = true;
  for (const d of block.dosages)
    if (!Number.isNaN(d) && d !== Math.round(d)) {
      hard = false;
      break;
    }
  const contigs = options.contigs ?? [...new Set(block.variants.chr)].map((name) => ({ name }));
  const w = new VcfWriter(path, { ...options, contigs, samples, indexPath, dosages: !hard });
  try {
    w.writeBlock(block);
    w.close();
  } catch (e) {
    w.abort();
    throw e;
  }
}
