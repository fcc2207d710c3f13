/**
 * The genotype reader API shared by every format (VCF, PLINK1, and later BGEN, pgen and genotype Parquet):
 * a sample list, region queries that use the format's index, and whole-file streaming, all yielding blocks of
 * ALT-allele dosages (0–2, NaN for missing).
 */
import type { Filter } from './filters.js';

export interface VariantTable {
  chr: string[];
  /** 1-based position. */
  pos: Int32Array;
  id: string[];
  ref: string[];
  /** ALT allele(s), comma-separated for multi-allelic records. */
  alt: string[];
}

export interface GenotypeBlock {
  variants: VariantTable;
  /**
   * Dosages as a samples × variants matrix in column-major order: variant v's samples are contiguous, at
   * dosages[v·nSamples … (v+1)·nSamples). Each variant's row is what association kernels consume.
   */
  dosages: Float32Array;
  nSamples: number;
}

export interface GenotypeReader {
  /** The file the reader was opened on. */
  readonly path: string;
  readonly format: 'vcf' | 'plink1' | 'bgen' | 'pgen' | 'parquet';
  /** Sample IDs in file order. */
  samples(): Promise<string[]>;
  /** One block per requested region, in order; the region predicate uses the index when there is one. */
  iterRegions(filters: Filter[]): AsyncGenerator<GenotypeBlock>;
  /** Streams the whole file in blocks of at most `size` variants (after filtering). */
  iterBlocks(options?: { size?: number; filter?: Filter }): AsyncGenerator<GenotypeBlock>;
  /** Chromosome names the file has, where its index tells them without a scan. */
  chromosomes?(): Promise<string[] | undefined>;
  /** Bytes of the genotype file read so far, where the reader can tell (for showing index pushdown). */
  bytesRead?(): number;
  close(): Promise<void>;
}

/** Accumulates variants and dosages into fixed-size blocks. */
export class BlockBuilder {
  private chr: string[] = [];
  private pos: number[] = [];
  private id: string[] = [];
  private ref: string[] = [];
  private alt: string[] = [];
  /** Allocated on first use: `take` hands the filled buffer over instead of copying it. */
  private dosages: Float32Array | undefined;
  count = 0;

  private capacity: number;

  constructor(
    readonly nSamples: number,
    capacity: number,
  ) {
    this.capacity = Math.max(1, capacity);
  }

  /** The dosage slot of the next variant (fill it, then call `commit`). */
  slot(): Float32Array {
    if (this.count >= this.capacity) this.grow();
    this.dosages ??= new Float32Array(this.nSamples * this.capacity);
    return this.dosages.subarray(this.count * this.nSamples, (this.count + 1) * this.nSamples);
  }

  commit(chr: string, pos: number, id: string, ref: string, alt: string): void {
    this.chr.push(chr);
    this.pos.push(pos);
    this.id.push(id);
    this.ref.push(ref);
    this.alt.push(alt);
    this.count++;
  }

  get full(): boolean {
    return this.count >= this.capacity;
  }

  private grow(): void {
    this.capacity *= 2;
    if (!this.dosages) return;
    const bigger = new Float32Array(this.nSamples * this.capacity);
    bigger.set(this.dosages);
    this.dosages = bigger;
  }

  /** The block so far; the builder starts empty again. */
  take(): GenotypeBlock {
    const block: GenotypeBlock = {
      variants: { chr: this.chr, pos: Int32Array.from(this.pos), id: this.id, ref: this.ref, alt: this.alt },
      dosages: this.dosages?.subarray(0, this.count * this.nSamples) ?? new Float32Array(0),
      nSamples: this.nSamples,
    };
    this.dosages = undefined;
    this.chr = [];
    this.pos = [];
    this.id = [];
    this.ref = [];
    this.alt = [];
    this.count = 0;
    return block;
  }
}
