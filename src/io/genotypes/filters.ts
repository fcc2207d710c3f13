/**
 * Composable variant filters. A filter may carry regions (pushed down to an index by the readers), a test on
 * the variant record (alleles, ID) applied before decoding, and a test on the decoded dosages (MAF,
 * missingness). `and(...)` combines them: regions intersect, tests all have to pass.
 */
import { InputError } from '../errors.js';
import { canonicalChrom } from '../genome.js';

export interface Region {
  /** Canonical chromosome name (`chr` prefix removed). */
  chr: string;
  /** 1-based inclusive bounds. */
  start: number;
  end: number;
}

export interface VariantRecord {
  chr: string;
  pos: number;
  id: string;
  ref: string;
  alt: string;
}

export interface Filter {
  regions?: Region[];
  variant?: (v: VariantRecord) => boolean;
  dosage?: (d: Float32Array) => boolean;
  and(...others: Filter[]): Filter;
}

function makeFilter(parts: Omit<Filter, 'and'>): Filter {
  const f: Filter = { ...parts, and: (...others) => and(f, ...others) };
  return f;
}

/** `22`, `chr22:20000000-21000000`, `22:20,000,000-21,000,000` (1-based, inclusive, as bcftools/tabix). */
export function parseRegion(text: string): Region {
  const m = /^([^:]+)(?::([\d,]+)(?:-([\d,]+))?)?$/.exec(text.trim());
  if (!m)
    throw new InputError(`invalid region '${text}'`, {
      expected: 'chr, chr:start-end or chr:pos (1-based, inclusive)',
    });
  const start = m[2] ? Number(m[2].replace(/,/g, '')) : 1;
  const end = m[3] ? Number(m[3].replace(/,/g, '')) : m[2] ? start : 2 ** 31 - 1;
  if (!(start >= 1) || !(end >= start))
    throw new InputError(`invalid region '${text}'`, { expected: 'start ≥ 1 and end ≥ start' });
  return { chr: canonicalChrom(m[1]), start, end };
}

/** True when there are no regions, or chr:pos lies in one of them (chr in any naming style). */
export function inRegions(regions: Region[] | undefined, chr: string, pos: number): boolean {
  if (!regions) return true;
  const c = canonicalChrom(chr);
  return regions.some((r) => r.chr === c && pos >= r.start && pos <= r.end);
}

export function region(...texts: string[]): Filter {
  return makeFilter({ regions: texts.map(parseRegion) });
}

/** ALT allele frequency folded to the minor allele, over non-missing samples. */
export function minorAlleleFrequency(d: Float32Array): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < d.length; i++) {
    const x = d[i];
    if (x === x) {
      sum += x;
      n++;
    }
  }
  if (n === 0) return NaN;
  const af = sum / (2 * n);
  return af <= 0.5 ? af : 1 - af;
}

export function maf(bounds: { min?: number; max?: number }): Filter {
  const lo = bounds.min ?? 0;
  const hi = bounds.max ?? 0.5;
  return makeFilter({
    dosage: (d) => {
      const m = minorAlleleFrequency(d);
      return m >= lo && m <= hi;
    },
  });
}

export function maxMissing(rate: number): Filter {
  return makeFilter({
    dosage: (d) => {
      let miss = 0;
      for (let i = 0; i < d.length; i++) if (d[i] !== d[i]) miss++;
      return miss / d.length <= rate;
    },
  });
}

const BASES = /^[ACGTacgt]$/;

/** Single-nucleotide variants: REF and every ALT one base. */
export function snp(): Filter {
  return makeFilter({ variant: (v) => BASES.test(v.ref) && v.alt.split(',').every((a) => BASES.test(a)) });
}

export function biallelic(): Filter {
  return makeFilter({ variant: (v) => !v.alt.includes(',') && v.alt !== '.' });
}

export function variantIds(ids: Iterable<string>): Filter {
  const set = new Set(ids);
  return makeFilter({ variant: (v) => set.has(v.id) });
}

function intersectRegions(a: Region[] | undefined, b: Region[] | undefined): Region[] | undefined {
  if (!a) return b;
  if (!b) return a;
  const out: Region[] = [];
  for (const x of a) {
    for (const y of b) {
      if (x.chr !== y.chr) continue;
      const start = Math.max(x.start, y.start);
      const end = Math.min(x.end, y.end);
      if (start <= end) out.push({ chr: x.chr, start, end });
    }
  }
  return out;
}

export function and(...filters: Filter[]): Filter {
  let regions: Region[] | undefined;
  const variantTests: ((v: VariantRecord) => boolean)[] = [];
  const dosageTests: ((d: Float32Array) => boolean)[] = [];
  for (const f of filters) {
    regions = intersectRegions(regions, f.regions);
    if (f.variant) variantTests.push(f.variant);
    if (f.dosage) dosageTests.push(f.dosage);
  }
  return makeFilter({
    regions,
    variant: variantTests.length ? (v) => variantTests.every((t) => t(v)) : undefined,
    dosage: dosageTests.length ? (d) => dosageTests.every((t) => t(d)) : undefined,
  });
}

/** The filter that passes everything. */
export function all(): Filter {
  return makeFilter({});
}
