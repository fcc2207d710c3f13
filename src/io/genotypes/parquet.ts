/**
 * Genotype Parquet (ARCHITECTURE.md §4): one row per variant, sorted by chr and pos, with
 * `chr, pos, variant_id, ref, alt, af, missing_rate, dosages`. `dosages` holds all samples' ALT dosages of the
 * variant as float32 little-endian in sample order (`qtlflow.samples` metadata); NaN = missing.
 * float32 keeps hard calls exact and imputed dosages to 7 significant digits, the precision every reader here
 * decodes to, and zstd shrinks hard-call rows well. One value per variant (not one column per sample) keeps a
 * row group to a handful of column chunks and makes a variant's samples contiguous, as the association kernels
 * want them. Row groups (see genotypeRowGroupSize) carry min/max statistics on chr and pos.
 */
import { InputError } from '../errors.js';
import { canonicalChrom } from '../genome.js';
import { ParquetTableWriter, openParquet, toInt32, toStrings } from '../parquet.js';
import type { ColumnSpec, ParquetTable } from '../parquet.js';
import { all, inRegions } from './filters.js';
import type { Filter, Region } from './filters.js';
import { BlockBuilder } from './types.js';
import type { GenotypeBlock, GenotypeReader } from './types.js';

export const GENOTYPES_SCHEMA = 'genotypes/1';
export const DOSAGE_ENCODING = 'float32le';

const SPECS: ColumnSpec[] = [
  { name: 'chr', type: 'string', statistics: true },
  { name: 'pos', type: 'int32' },
  { name: 'variant_id', type: 'string' },
  { name: 'ref', type: 'string' },
  { name: 'alt', type: 'string' },
  { name: 'af', type: 'float64' },
  { name: 'missing_rate', type: 'float64' },
  { name: 'dosages', type: 'bytes' },
];

/**
 * Variants per row group: 2,048, or fewer when that would exceed 16 MB of float32 dosages (at least 256).
 * At 1000 Genomes density a ±1 Mb cis window then spans a few groups, and a sparse panel's one or two.
 */
export function genotypeRowGroupSize(nSamples: number): number {
  return Math.max(256, Math.min(2048, Math.floor((16 << 20) / (4 * Math.max(1, nSamples)))));
}

/** Streams blocks into a genotype Parquet, checking that variants arrive sorted by chr then pos. */
export class GenotypeParquetWriter {
  private readonly w: ParquetTableWriter;
  private lastChr: string | undefined;
  private lastPos = 0;
  private readonly seenChr = new Set<string>();
  variants = 0;

  constructor(
    path: string,
    private readonly samples: string[],
    params: Record<string, unknown>,
    private readonly source: string,
  ) {
    this.w = new ParquetTableWriter(
      path,
      SPECS,
      { schema: GENOTYPES_SCHEMA, params, extra: { samples, dosage_encoding: DOSAGE_ENCODING } },
      { rowGroupSize: genotypeRowGroupSize(samples.length) },
    );
  }

  write(block: GenotypeBlock): void {
    const n = block.variants.id.length;
    const m = this.samples.length;
    const af = new Float64Array(n);
    const missing = new Float64Array(n);
    const bytes: Uint8Array[] = new Array(n);
    for (let v = 0; v < n; v++) {
      const chr = block.variants.chr[v];
      const pos = block.variants.pos[v];
      if (chr !== this.lastChr) {
        if (this.seenChr.has(chr))
          this.unsorted(chr, pos, 'its chromosome appeared earlier, separated by another');
        this.seenChr.add(chr);
        this.lastChr = chr;
      } else if (pos < this.lastPos) this.unsorted(chr, pos, `it comes after position ${this.lastPos}`);
      this.lastPos = pos;
      const d = block.dosages.subarray(v * m, (v + 1) * m);
      let sum = 0;
      let k = 0;
      for (let j = 0; j < m; j++) {
        if (d[j] === d[j]) {
          sum += d[j];
          k++;
        }
      }
      af[v] = k > 0 ? sum / (2 * k) : NaN;
      missing[v] = (m - k) / m;
      // copy: the block's buffer is reused; Float32Array is little-endian on every platform Node supports
      bytes[v] = new Uint8Array(Float32Array.from(d).buffer);
    }
    const vt = block.variants;
    this.w.write([vt.chr, vt.pos, vt.id, vt.ref, vt.alt, af, missing, bytes]);
    this.variants += n;
  }

  private unsorted(chr: string, pos: number, why: string): never {
    throw new InputError(
      `variants are not sorted by chromosome and position: ${chr}:${pos} is out of order (${why})`,
      {
        file: this.source,
        hint: 'Sort the input first, e.g. `bcftools sort`, or `plink2 --sort-vars`',
      },
    );
  }

  close(): void {
    this.w.close();
  }
}

export class GenotypeParquetReader implements GenotypeReader {
  readonly format = 'parquet' as const;
  private table: ParquetTable | undefined;

  constructor(readonly path: string) {}

  private async open(): Promise<ParquetTable> {
    if (this.table) return this.table;
    const t = await openParquet(this.path);
    if (t.meta.schema !== GENOTYPES_SCHEMA || t.meta.kv['qtlflow.dosage_encoding'] !== DOSAGE_ENCODING) {
      throw new InputError(`not a qtlflow genotype Parquet (schema '${t.meta.schema ?? 'none'}')`, {
        file: this.path,
        expected: `qtlflow.schema = ${GENOTYPES_SCHEMA} with ${DOSAGE_ENCODING} dosages (written by \`qtlflow import\`)`,
      });
    }
    this.table = t;
    return t;
  }

  async samples(): Promise<string[]> {
    const t = await this.open();
    return JSON.parse(t.meta.kv['qtlflow.samples']) as string[];
  }

  /**
   * Rows [from, to) whose chr/pos fall in the region. Row groups whose chr/pos statistics exclude the region
   * are skipped without reading; within the others only the chr and pos columns are read. The file is sorted,
   * so the matching rows are contiguous.
   */
  private async rowsOf(r: Region): Promise<[number, number]> {
    const t = await this.open();
    const chrStats = t.groupStats('chr');
    const posStats = t.groupStats('pos');
    let from = -1;
    let to = -1;
    for (let g = 0; g < t.rowGroups.length; g++) {
      const cs = chrStats[g];
      const ps = posStats[g];
      if (cs && cs.min === cs.max && canonicalChrom(String(cs.min)) !== r.chr) continue;
      if (ps && (Number(ps.max) < r.start || Number(ps.min) > r.end)) continue;
      const { rowStart, rowEnd } = t.rowGroups[g];
      const chr = toStrings(await t.columnRange('chr', rowStart, rowEnd));
      const pos = toInt32(await t.columnRange('pos', rowStart, rowEnd));
      for (let i = 0; i < pos.length; i++) {
        if (canonicalChrom(chr[i]) === r.chr && pos[i] >= r.start && pos[i] <= r.end) {
          if (from < 0) from = rowStart + i;
          to = rowStart + i + 1;
        }
      }
    }
    return from < 0 ? [0, 0] : [from, to];
  }

  private async decodeRows(from: number, to: number, filter: Filter, out: BlockBuilder): Promise<void> {
    if (to <= from) return;
    const t = await this.open();
    const m = (await this.samples()).length;
    const [chr, pos, id, ref, alt, dos] = await Promise.all(
      ['chr', 'pos', 'variant_id', 'ref', 'alt', 'dosages'].map((c) => t.columnRange(c, from, to)),
    );
    const chrs = toStrings(chr);
    const poss = toInt32(pos);
    const ids = toStrings(id);
    const refs = toStrings(ref);
    const alts = toStrings(alt);
    for (let k = 0; k < to - from; k++) {
      const rec = { chr: chrs[k], pos: poss[k], id: ids[k], ref: refs[k], alt: alts[k] };
      if (!inRegions(filter.regions, rec.chr, rec.pos)) continue;
      if (filter.variant && !filter.variant(rec)) continue;
      const bytes = (dos as Uint8Array[])[k];
      if (bytes.length !== 4 * m) {
        throw new InputError(
          `dosages of ${rec.chr}:${rec.pos} hold ${bytes.length / 4} values, expected ${m}`,
          { file: this.path, line: from + k + 1 },
        );
      }
      const slot = out.slot();
      // bytes may not be 4-aligned inside the decoded page: copy through a DataView-free aligned buffer
      slot.set(new Float32Array(bytes.slice().buffer));
      if (filter.dosage && !filter.dosage(slot)) continue;
      out.commit(rec.chr, rec.pos, rec.id, rec.ref, rec.alt);
    }
  }

  async *iterRegions(filters: Filter[]): AsyncGenerator<GenotypeBlock> {
    const m = (await this.samples()).length;
    for (const filter of filters) {
      const out = new BlockBuilder(m, 1024);
      for (const r of filter.regions ?? []) {
        const [from, to] = await this.rowsOf(r);
        await this.decodeRows(from, to, filter, out);
      }
      yield out.take();
    }
  }

  async *iterBlocks(options: { size?: number; filter?: Filter } = {}): AsyncGenerator<GenotypeBlock> {
    const t = await this.open();
    const m = (await this.samples()).length;
    const filter = options.filter ?? all();
    const size = options.size ?? 10_000;
    const out = new BlockBuilder(m, size);
    for (const g of t.rowGroups) {
      // at most `size - out.count` rows at a time, so no block exceeds `size` variants
      for (let a = g.rowStart; a < g.rowEnd;) {
        const b = Math.min(g.rowEnd, a + size - out.count);
        await this.decodeRows(a, b, filter, out);
        a = b;
        if (out.count >= size) yield out.take();
      }
    }
    if (out.count > 0) yield out.take();
  }

  bytesRead(): number {
    return this.table?.bytesRead() ?? 0;
  }

  async close(): Promise<void> {
    this.table = undefined;
  }
}
