/**
 * The `import` stage: any supported genotype file → genotype Parquet, with region pushdown, variant
 * filters and an optional sample subset/reorder.
 */
import { InputError } from '../../io/errors.js';
import { and, all } from '../../io/genotypes/filters.js';
import type { Filter, Region } from '../../io/genotypes/filters.js';
import { compareChrom } from '../../io/genome.js';
import type { GenotypeBlock, GenotypeReader } from '../../io/genotypes/types.js';

export interface ImportPlan {
  regions: Region[];
  filter: Filter;
  /** Sample IDs to keep, in output order (all, in file order, when absent). */
  samples?: string[];
  /** Where the sample list came from, for error messages. */
  samplesFile?: string;
}

/** Sorts regions by chromosome and start and merges overlaps, so the output stays sorted and duplicate-free. */
export function normalizeRegions(regions: Region[]): Region[] {
  const sorted = [...regions].sort((a, b) => compareChrom(a.chr, b.chr) || a.start - b.start);
  const out: Region[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && last.chr === r.chr && r.start <= last.end + 1) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

/** Indices of the requested samples in the file's sample list; every missing ID is reported. */
export function selectSamples(
  fileSamples: string[],
  wanted: string[],
  source: { genotypes: string; list?: string },
): Int32Array {
  const index = new Map(fileSamples.map((s, i) => [s, i]));
  const missing = wanted.filter((s) => !index.has(s));
  if (missing.length > 0) {
    throw new InputError(
      `${missing.length} of ${wanted.length} requested samples are not in the genotype file (e.g. ${missing
        .slice(0, 5)
        .map((s) => `'${s}'`)
        .join(', ')})`,
      {
        file: source.list ?? source.genotypes,
        sample: missing[0],
        hint: `The genotype file ${source.genotypes} has samples like ${fileSamples
          .slice(0, 3)
          .map((s) => `'${s}'`)
          .join(', ')}: check the ID type (e.g. PLINK FID_IID vs IID) and spelling`,
      },
    );
  }
  const seen = new Set<string>();
  for (const s of wanted) {
    if (seen.has(s)) throw new InputError(`sample '${s}' is listed twice`, { file: source.list, sample: s });
    seen.add(s);
  }
  return Int32Array.from(wanted, (s) => index.get(s)!);
}

/** Reorders a block's samples (columns of each variant row). */
export function subsetBlock(block: GenotypeBlock, pick: Int32Array): GenotypeBlock {
  const n = block.variants.id.length;
  const m = block.nSamples;
  const k = pick.length;
  const d = new Float32Array(n * k);
  for (let v = 0; v < n; v++) for (let j = 0; j < k; j++) d[v * k + j] = block.dosages[v * m + pick[j]];
  return { variants: block.variants, dosages: d, nSamples: k };
}

/**
 * Streams the selected variants. With regions, the reader's index is used (one block per region, in
 * genome order); without, the whole file is streamed in blocks. The dosage filters (MAF, missingness) are
 * evaluated on the output samples.
 */
export async function* importBlocks(reader: GenotypeReader, plan: ImportPlan): AsyncGenerator<GenotypeBlock> {
  const fileSamples = await reader.samples();
  const pick = plan.samples
    ? selectSamples(fileSamples, plan.samples, { genotypes: reader.path, list: plan.samplesFile })
    : undefined;
  // Dosage tests must see the output samples, so they run after subsetting; record tests run in the reader.
  const recordOnly: Filter = plan.filter.variant ? and({ ...all(), variant: plan.filter.variant }) : all();
  const source =
    plan.regions.length > 0
      ? reader.iterRegions(
          normalizeRegions(plan.regions).map((r) => and({ ...all(), regions: [r] }, recordOnly)),
        )
      : reader.iterBlocks({ filter: recordOnly });
  for await (const raw of source) {
    const block = pick ? subsetBlock(raw, pick) : raw;
    if (!plan.filter.dosage) {
      yield block;
      continue;
    }
    yield keepVariants(block, plan.filter.dosage);
  }
}

function keepVariants(block: GenotypeBlock, test: (d: Float32Array) => boolean): GenotypeBlock {
  const m = block.nSamples;
  const keep: number[] = [];
  for (let v = 0; v < block.variants.id.length; v++)
    if (test(block.dosages.subarray(v * m, (v + 1) * m))) keep.push(v);
  const vt = block.variants;
  const d = new Float32Array(keep.length * m);
  keep.forEach((v, k) => d.set(block.dosages.subarray(v * m, (v + 1) * m), k * m));
  return {
    variants: {
      chr: keep.map((v) => vt.chr[v]),
      pos: Int32Array.from(keep, (v) => vt.pos[v]),
      id: keep.map((v) => vt.id[v]),
      ref: keep.map((v) => vt.ref[v]),
      alt: keep.map((v) => vt.alt[v]),
    },
    dosages: d,
    nSamples: m,
  };
}
