/**
 * The residualized genotypes of one chromosome around the phenotype being mapped: a sliding, position-sorted
 * buffer of variants, each read from the genotype file and residualized once (ARCHITECTURE.md §5), so the cis
 * window of a phenotype is a contiguous block of rows (a V × n matrix view, no copy). Phenotypes are visited
 * in start order; variants before the current window are dropped, so memory is bounded by the largest window.
 */
import { region } from '../../io/genotypes/filters.js';
import type { GenotypeReader } from '../../io/genotypes/types.js';
import type { Residualizer } from '../../linalg/residualize.js';

/** Read granularity: genotypes are fetched from the file 1 Mb at a time. */
const TILE = 1_000_000;

export interface VariantFilterOptions {
  mafMin: number;
  maSamplesMin: number;
}

/**
 * Variants in at least one phenotype's cis window: tested, or not tested and why (run summary). Counted when
 * a window first covers them, so the totals are the same however the phenotypes are split (chunks, threads).
 */
export interface VariantCounts {
  inWindows: number;
  tested: number;
  monomorphic: number;
  belowMaf: number;
  multiallelic: number;
  collinearWithCovariates: number;
}

const REJECTED = ['monomorphic', 'belowMaf', 'multiallelic', 'collinearWithCovariates'] as const;
type Rejection = (typeof REJECTED)[number];

export function emptyVariantCounts(): VariantCounts {
  return {
    inWindows: 0,
    tested: 0,
    monomorphic: 0,
    belowMaf: 0,
    multiallelic: 0,
    collinearWithCovariates: 0,
  };
}

/** FastQTL's minor-allele statistics on dosages rounded to 0/1/2 (after mean imputation). */
function minorAllele(g: Float64Array, af: number): [number, number] {
  let samples = 0;
  let count = 0;
  const altMinor = af <= 0.5;
  for (let i = 0; i < g.length; i++) {
    const d = Math.round(g[i]);
    const m = altMinor ? d : 2 - d;
    if (m > 0) {
      samples++;
      count += m;
    }
  }
  return [samples, count];
}

export interface PreparedVariant {
  status: 'ok' | Exclude<Rejection, 'multiallelic'>;
  /** ALT allele frequency over the analysis samples (missing calls mean-imputed). */
  af: number;
  maSamples: number;
  maCount: number;
  /** Norm of the residualized genotype (0 unless `ok`). */
  norm: number;
}

/**
 * One variant's dosages `d` (genotype-file sample order) for the analysis samples into `x`, missing calls
 * mean-imputed (as FastQTL and QTLtools), then, unless it is monomorphic, below the MAF / minor-allele-sample
 * bounds or collinear with the covariates (the status says which), residualized on [1, covariates] in place.
 */
export function prepareVariant(
  d: Float32Array,
  genotypeIndex: Int32Array,
  residualizer: Residualizer,
  filter: VariantFilterOptions,
  x: Float64Array,
  raw?: Float64Array,
): PreparedVariant {
  const n = genotypeIndex.length;
  // one pass: gather the analysis samples, sum, sum of squares; impute only when calls are missing
  let sum = 0;
  let sq = 0;
  let nonMissing = 0;
  for (let j = 0; j < n; j++) {
    const val = d[genotypeIndex[j]];
    x[j] = val;
    if (val === val) {
      sum += val;
      sq += val * val;
      nonMissing++;
    }
  }
  const mean = nonMissing > 0 ? sum / nonMissing : 0;
  if (nonMissing < n) for (let j = 0; j < n; j++) if (x[j] !== x[j]) x[j] = mean;
  // imputed calls sit at the mean and add nothing to the sum of squared deviations
  const varSum = nonMissing > 0 ? sq - sum * mean : 0;
  const af = mean / 2;
  const out: PreparedVariant = { status: 'ok', af, maSamples: 0, maCount: 0, norm: 0 };
  if (!(varSum > 1e-12 * Math.max(1, sq))) return { ...out, status: 'monomorphic' };
  if (Math.min(af, 1 - af) < filter.mafMin) return { ...out, status: 'belowMaf' };
  const [ms, mc] = minorAllele(x, af);
  out.maSamples = ms;
  out.maCount = mc;
  if (ms < filter.maSamplesMin) return { ...out, status: 'belowMaf' };
  raw?.set(x); // the imputed dosages, for models that need more than the residual (interaction, burden)
  residualizer.residualize(x);
  let nn = 0;
  for (let j = 0; j < n; j++) nn += x[j] * x[j];
  out.norm = Math.sqrt(nn);
  if (!(out.norm > 1e-8 * Math.sqrt(varSum))) return { ...out, status: 'collinearWithCovariates' };
  return out;
}

export class GenotypeWindow {
  /** Rows [head, tail) are live. Row v: unit-norm residual genotype at g[v·n … (v+1)·n). */
  g: Float64Array;
  pos: Int32Array;
  af: Float64Array;
  maSamples: Int32Array;
  maCount: Int32Array;
  /** Norm of the residualized genotype before scaling (for the slope). */
  norm: Float64Array;
  /** With `keepRaw`: row v's imputed dosages before residualizing, at raw[v·n … (v+1)·n). */
  raw: Float64Array | undefined;
  id: string[] = [];
  head = 0;
  tail = 0;
  /** Variant records read from the file (re-reads at slice boundaries included). */
  recordsRead = 0;
  /** Every variant with position ≤ readThrough has been read. */
  private readThrough = 0;
  /** Variants with position ≤ countedThrough have been counted (here or by an earlier slice). */
  private countedThrough = 0;
  /** Variants read but not tested, position-sorted: [rejHead, rejected.length) are live. */
  private rejected: { pos: number; why: Rejection }[] = [];
  private rejHead = 0;
  private chr = '';
  private readonly x: Float64Array;

  constructor(
    private readonly reader: GenotypeReader,
    /** `genotypeIndex[j]`: the genotype file's sample index of analysis sample j. */
    private readonly genotypeIndex: Int32Array,
    private readonly residualizer: Residualizer,
    private readonly filter: VariantFilterOptions,
    readonly counts: VariantCounts = emptyVariantCounts(),
    capacity = 4096,
    keepRaw = false,
  ) {
    const n = genotypeIndex.length;
    this.x = new Float64Array(n);
    this.g = new Float64Array(capacity * n);
    if (keepRaw) this.raw = new Float64Array(capacity * n);
    this.pos = new Int32Array(capacity);
    this.af = new Float64Array(capacity);
    this.maSamples = new Int32Array(capacity);
    this.maCount = new Int32Array(capacity);
    this.norm = new Float64Array(capacity);
  }

  get n(): number {
    return this.genotypeIndex.length;
  }

  /**
   * Starts a chromosome: empties the buffer. `countedThrough`: variants up to this position were counted by
   * the phenotypes before this slice (the largest window end among them on this chromosome).
   */
  reset(chr: string, countedThrough = 0): void {
    this.chr = chr;
    this.head = this.tail = 0;
    this.id = [];
    this.readThrough = 0;
    this.countedThrough = countedThrough;
    this.rejected = [];
    this.rejHead = 0;
  }

  /**
   * Makes rows hold every tested variant with lo ≤ pos ≤ hi (1-based, inclusive) and returns them as
   * [first, end) row indices. Calls must come with non-decreasing `lo`.
   */
  async range(lo: number, hi: number): Promise<[number, number]> {
    while (this.head < this.tail && this.pos[this.head] < lo) this.head++;
    if (this.head === this.tail) this.readThrough = Math.max(this.readThrough, lo - 1); // skip empty stretches
    while (this.readThrough < hi) {
      const start = this.readThrough + 1;
      const end = this.readThrough + TILE;
      await this.read(start, end);
      this.readThrough = end;
    }
    let a = this.head;
    while (a < this.tail && this.pos[a] < lo) a++;
    let b = a;
    while (b < this.tail && this.pos[b] <= hi) b++;
    this.count(Math.max(this.countedThrough, lo - 1), hi, a, b);
    return [a, b];
  }

  /** Counts the variants with from < pos ≤ to (tested ones are rows [a, b)); drops rejected ones behind. */
  private count(from: number, to: number, a: number, b: number): void {
    if (to <= from) return;
    for (let v = a; v < b; v++) if (this.pos[v] > from) this.counts.tested++;
    const rej = this.rejected;
    while (this.rejHead < rej.length && rej[this.rejHead].pos <= from) this.rejHead++;
    for (let i = this.rejHead; i < rej.length && rej[i].pos <= to; i++) this.counts[rej[i].why]++;
    if (this.rejHead > 4096 && this.rejHead * 2 > rej.length) {
      this.rejected = rej.slice(this.rejHead);
      this.rejHead = 0;
    }
    this.counts.inWindows = this.counts.tested + REJECTED.reduce((s, k) => s + this.counts[k], 0);
    this.countedThrough = to;
  }

  /** Room for `more` rows: moves the live rows to the front, or grows the arrays. */
  private reserve(more: number): void {
    const n = this.n;
    const cap = this.pos.length;
    if (this.tail + more <= cap) return;
    const live = this.tail - this.head;
    if (this.head > 0 && live + more <= cap / 2) {
      this.g.copyWithin(0, this.head * n, this.tail * n);
      this.raw?.copyWithin(0, this.head * n, this.tail * n);
      for (const a of [this.pos, this.af, this.maSamples, this.maCount, this.norm])
        a.copyWithin(0, this.head, this.tail);
      this.id = this.id.slice(this.head, this.tail);
      this.tail = live;
      this.head = 0;
      return;
    }
    const size = Math.max(cap * 2, live + more);
    const grow = <T extends Float64Array | Int32Array>(a: T, per = 1): T => {
      const b = new (a.constructor as new (k: number) => T)(size * per);
      b.set(a.subarray(this.head * per, this.tail * per));
      return b;
    };
    this.g = grow(this.g, n);
    if (this.raw) this.raw = grow(this.raw, n);
    this.pos = grow(this.pos);
    this.af = grow(this.af);
    this.maSamples = grow(this.maSamples);
    this.maCount = grow(this.maCount);
    this.norm = grow(this.norm);
    this.id = this.id.slice(this.head, this.tail);
    this.tail = live;
    this.head = 0;
  }

  /** Reads, filters and residualizes the variants of [start, end] and appends them. */
  private async read(start: number, end: number): Promise<void> {
    const n = this.n;
    const x = this.x;
    const idx = this.genotypeIndex;
    for await (const block of this.reader.iterRegions([region(`${this.chr}:${start}-${end}`)])) {
      const N = block.nSamples;
      const count = block.variants.pos.length;
      this.recordsRead += count;
      this.reserve(count);
      for (let v = 0; v < count; v++) {
        const p = block.variants.pos[v];
        const reject = (why: Rejection) => this.rejected.push({ pos: p, why });
        if (block.variants.alt[v].includes(',')) {
          reject('multiallelic'); // as QTLtools: only biallelic variants are tested
          continue;
        }
        const prep = prepareVariant(
          block.dosages.subarray(v * N, (v + 1) * N),
          idx,
          this.residualizer,
          this.filter,
          x,
          this.raw?.subarray(this.tail * n, (this.tail + 1) * n),
        );
        if (prep.status !== 'ok') {
          reject(prep.status);
          continue;
        }
        const norm = prep.norm;
        const row = this.tail++;
        const off = row * n;
        const inv = 1 / norm;
        for (let j = 0; j < n; j++) this.g[off + j] = x[j] * inv;
        this.pos[row] = p;
        this.id[row] = block.variants.id[v] === '.' ? `${this.chr}:${p}` : block.variants.id[v];
        this.af[row] = prep.af;
        this.maSamples[row] = prep.maSamples;
        this.maCount[row] = prep.maCount;
        this.norm[row] = norm;
      }
    }
  }
}
