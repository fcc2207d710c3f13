/**
 * Simulated genotypes with linkage disequilibrium and a roughly neutral allele-frequency spectrum, for the demo
 * cohort and the cis benchmarks.
 *
 * Model (seeded, deterministic, streamed in blocks of variants):
 * - K founder haplotypes (≤ 32, so a founder set is one uint32 mask) share a local genealogy: a Kingman
 *   coalescent tree that changes along the chromosome by SMC recombination (McVean & Cardin 2005: cut a branch
 *   at a uniform point, let the lineage re-coalesce above it). An "old" variant is a mutation on a branch of
 *   the local tree chosen in proportion to its length, so its ALT allele is carried by the founders below that
 *   branch: under the coalescent that gives the neutral spectrum P(m carriers) ∝ 1/m, and nearby variants sit
 *   on the same or nested branches (LD).
 * - Each sample haplotype is a Li–Stephens mosaic of the founders (Li & Stephens 2003): it copies one founder
 *   and switches to a uniformly chosen one at rate `switchRate` per bp, so LD decays with distance. A copied
 *   segment also draws a uniform "sub-lineage" u.
 * - A "recent" variant arose inside one founder's clade: it is carried by the haplotypes copying founder k
 *   there with u < p, p log-uniform on [K/2n, 1] (density ∝ 1/p: the neutral spectrum below 1/K). Its share is
 *   the coalescent's share of branch length below K lineages, (H(2n−1) − H(K−1)) / H(2n−1), unless given.
 * - Miscopying flips an allele with probability `miscopyRate` per haplotype and site; a site that came out
 *   monomorphic gets one mutated copy (every listed variant segregates).
 * - Biallelic SNPs, REF uniform over ACGT, ALT (the derived allele) one of the other three; positions uniform
 *   over the chromosome, distinct and sorted.
 *
 * Every random draw happens in variant order from one Rng stream, so the output does not depend on the block
 * size and a seed gives the same cohort everywhere. The hot loop (every haplotype × variant) works on typed
 * arrays of per-haplotype state.
 */
import { Rng } from './random.js';
import { usageError } from '../io/errors.js';
import type { GenotypeBlock, VariantTable } from '../io/genotypes/types.js';
import { VcfWriter } from '../io/vcf-writer.js';
import type { VcfWriterOptions } from '../io/vcf-writer.js';

export interface ChromosomeSpec {
  name: string;
  /** Length in bp; positions are drawn from 1…length. */
  length: number;
  variants: number;
}

export interface GenotypeSimOptions {
  samples: number;
  chromosomes: ChromosomeSpec[];
  seed: number;
  /** Sample IDs (default DEMO0001, DEMO0002, …, as the demo cohort's expression samples). */
  sampleIds?: string[];
  /** Founder haplotypes, 2–32 (default 32). */
  founders?: number;
  /** Li–Stephens switch rate per bp and haplotype (default 1e-5: copied segments of 100 kb on average). */
  switchRate?: number;
  /** Rate per bp at which the founders' local tree changes (default 1e-5). */
  founderRecombinationRate?: number;
  /** Share of variants that arose inside one founder's clade (default: the coalescent's share, see above). */
  recentFraction?: number;
  /** Probability per haplotype and site of a miscopied allele (default 1e-4). */
  miscopyRate?: number;
}

/** Simulated variants with their haplotypes. */
export interface HaplotypeBlock {
  variants: VariantTable;
  /**
   * nVariants × 2·nSamples alleles (0 = REF, 1 = ALT), variant-major: variant v's haplotypes at
   * [v·2n, (v+1)·2n), sample j's two at 2j and 2j+1 (the layout VcfWriter.writeHaplotypes takes).
   */
  haplotypes: Uint8Array;
  nSamples: number;
}

const BASES = ['A', 'C', 'G', 'T'];

export function simulatedSampleIds(n: number): string[] {
  return Array.from({ length: n }, (_, j) => `DEMO${String(j + 1).padStart(4, '0')}`);
}

function harmonic(n: number): number {
  let h = 0;
  for (let i = 1; i <= n; i++) h += 1 / i;
  return h;
}

function exponential(rng: Rng, rate: number): number {
  return rate > 0 ? -Math.log(1 - rng.uniform()) / rate : Infinity;
}

/**
 * The founders' local genealogy: a binary tree over K leaves (nodes 0…K−1) and K−1 internal nodes, with
 * coalescence times, each node's set of founder leaves as a bit mask, and cumulative branch lengths for
 * drawing a branch in proportion to its length.
 */
class FounderTree {
  private readonly parent: Int32Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly time: Float64Array;
  private readonly mask: Uint32Array;
  private readonly cumulative: Float64Array;
  private root = 0;
  private total = 0;

  constructor(
    private readonly k: number,
    private readonly rng: Rng,
  ) {
    const nodes = 2 * k - 1;
    this.parent = new Int32Array(nodes).fill(-1);
    this.left = new Int32Array(nodes).fill(-1);
    this.right = new Int32Array(nodes).fill(-1);
    this.time = new Float64Array(nodes);
    this.mask = new Uint32Array(nodes);
    this.cumulative = new Float64Array(nodes);
    // Kingman coalescent: with m lineages, the next merger after Exp(m(m−1)/2), of a uniform pair
    const active = Array.from({ length: k }, (_, i) => i);
    let t = 0;
    for (let node = k; active.length > 1; node++) {
      const m = active.length;
      t += exponential(rng, (m * (m - 1)) / 2);
      const i = Math.floor(rng.uniform() * m);
      let j = Math.floor(rng.uniform() * (m - 1));
      if (j >= i) j++;
      const a = active[i];
      const b = active[j];
      this.left[node] = a;
      this.right[node] = b;
      this.parent[a] = this.parent[b] = node;
      this.time[node] = t;
      active[i] = node;
      active[j] = active[m - 1];
      active.pop();
    }
    this.root = active[0];
    this.refresh();
  }

  private refresh(): void {
    const visit = (node: number): number => {
      const m =
        this.left[node] < 0 ? (1 << node) >>> 0 : (visit(this.left[node]) | visit(this.right[node])) >>> 0;
      this.mask[node] = m;
      return m;
    };
    visit(this.root);
    let c = 0;
    for (let node = 0; node < this.cumulative.length; node++) {
      if (node !== this.root) c += this.time[this.parent[node]] - this.time[node];
      this.cumulative[node] = c;
    }
    this.total = c;
  }

  /** The node whose branch (to its parent) holds the point u·total of the tree's length. */
  private branchAt(u: number): number {
    const target = u * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid] > target) hi = mid;
      else lo = mid + 1;
    }
    return lo === this.root ? (lo > 0 ? lo - 1 : lo + 1) : lo;
  }

  /** Founder mask of a mutation placed uniformly on the tree's branches. */
  mutationMask(): number {
    return this.mask[this.branchAt(this.rng.uniform())];
  }

  /** One SMC recombination: cut a branch at a uniform point, re-coalesce the lineage above the cut. */
  recombine(): void {
    const { parent, left, right, time, rng } = this;
    const x = this.branchAt(rng.uniform());
    const p = parent[x];
    const t = time[x] + rng.uniform() * (time[p] - time[x]);
    const s = left[p] === x ? right[p] : left[p];
    const g = parent[p];
    parent[s] = g;
    if (g < 0) this.root = s;
    else if (left[g] === p) left[g] = s;
    else right[g] = s;
    // what is left of the tree: everything but x's subtree and p
    const inTree = new Uint8Array(parent.length).fill(1);
    inTree[p] = 0;
    const stack = [x];
    while (stack.length) {
      const node = stack.pop()!;
      inTree[node] = 0;
      if (left[node] >= 0) stack.push(left[node], right[node]);
    }
    // with L lineages of the remaining tree at time τ, the detached lineage joins one of them at rate L
    let tau = t;
    let y = -1;
    for (;;) {
      const lineages: number[] = [];
      let nextEvent = Infinity;
      for (let node = 0; node < parent.length; node++) {
        if (!inTree[node]) continue;
        if (time[node] <= tau && (node === this.root || time[parent[node]] > tau)) lineages.push(node);
        if (time[node] > tau && time[node] < nextEvent) nextEvent = time[node];
      }
      const wait = exponential(rng, lineages.length);
      if (tau + wait < nextEvent) {
        tau += wait;
        y = lineages[Math.floor(rng.uniform() * lineages.length)];
        break;
      }
      tau = nextEvent;
    }
    const gy = parent[y];
    parent[p] = gy;
    if (gy < 0) this.root = p;
    else if (left[gy] === y) left[gy] = p;
    else right[gy] = p;
    parent[y] = p;
    left[p] = x;
    right[p] = y;
    time[p] = tau;
    this.refresh();
  }
}

function validate(o: GenotypeSimOptions): void {
  if (!(Number.isInteger(o.samples) && o.samples >= 1))
    throw usageError(`samples must be ≥ 1, got ${o.samples}`);
  if (o.sampleIds && o.sampleIds.length !== o.samples)
    throw usageError(`${o.sampleIds.length} sample IDs for ${o.samples} samples`);
  const k = o.founders ?? 32;
  if (!(Number.isInteger(k) && k >= 2 && k <= 32)) throw usageError(`founders must be 2–32, got ${k}`);
  if (o.chromosomes.length === 0) throw usageError('no chromosomes to simulate');
  for (const c of o.chromosomes) {
    if (!(Number.isInteger(c.length) && c.length >= 1 && c.length < 2 ** 31))
      throw usageError(`chromosome ${c.name}: length must be 1 … 2^31−1 bp, got ${c.length}`);
    if (!(Number.isInteger(c.variants) && c.variants >= 0 && c.variants <= c.length))
      throw usageError(`chromosome ${c.name}: ${c.variants} variants do not fit in ${c.length} bp`);
  }
  const f = o.recentFraction;
  if (f !== undefined && !(f >= 0 && f <= 1)) throw usageError(`recentFraction must be in [0, 1], got ${f}`);
}

/** Streams simulated variants and haplotypes, chromosome by chromosome, in blocks of at most `blockSize` variants. */
export function* simulateHaplotypes(o: GenotypeSimOptions, blockSize = 10_000): Generator<HaplotypeBlock> {
  validate(o);
  const rng = new Rng(o.seed);
  for (const chrom of o.chromosomes) yield* simulateChromosome(o, chrom, rng, Math.max(1, blockSize));
}

function* simulateChromosome(
  o: GenotypeSimOptions,
  chrom: ChromosomeSpec,
  rng: Rng,
  blockSize: number,
): Generator<HaplotypeBlock> {
  const n = o.samples;
  const nHap = 2 * n;
  const k = o.founders ?? 32;
  const switchRate = o.switchRate ?? 1e-5;
  const treeRate = o.founderRecombinationRate ?? 1e-5;
  const miscopy = o.miscopyRate ?? 1e-4;
  const recentFraction =
    o.recentFraction ?? Math.max(0, (harmonic(nHap - 1) - harmonic(k - 1)) / harmonic(nHap - 1));
  const logMinP = Math.log(Math.min(1, k / nHap));
  const logKeep = Math.log1p(-miscopy);
  /** Sites until the next miscopy of a haplotype (geometric). */
  const miscopyGap = (): number =>
    miscopy > 0 ? 1 + Math.floor(Math.log(1 - rng.uniform()) / logKeep) : Infinity;

  const tree = new FounderTree(k, rng);
  let nextTreeChange = 1 + exponential(rng, treeRate);
  // per-haplotype copying state
  const founder = new Int32Array(nHap);
  const lineage = new Float64Array(nHap);
  const nextSwitch = new Float64Array(nHap);
  const nextMiscopy = new Float64Array(nHap);
  for (let h = 0; h < nHap; h++) {
    founder[h] = Math.floor(rng.uniform() * k);
    lineage[h] = rng.uniform();
    nextSwitch[h] = 1 + exponential(rng, switchRate);
    nextMiscopy[h] = miscopyGap() - 1;
  }

  const total = chrom.variants;
  let uPrev = 0;
  let prevPos = 0;
  for (let first = 0; first < total; first += blockSize) {
    const nb = Math.min(blockSize, total - first);
    const pos = new Int32Array(nb);
    const ref: string[] = [];
    const alt: string[] = [];
    const id: string[] = [];
    const haplotypes = new Uint8Array(nb * nHap);
    for (let b = 0; b < nb; b++) {
      const i = first + b;
      // sorted uniform positions, streamed: the next order statistic of the remaining total − i points
      uPrev = 1 - (1 - uPrev) * Math.pow(rng.uniform(), 1 / (total - i));
      let p = Math.max(prevPos + 1, 1 + Math.floor(uPrev * chrom.length));
      if (p > chrom.length - (total - 1 - i)) p = prevPos + 1;
      pos[b] = prevPos = p;
      while (nextTreeChange <= p) {
        tree.recombine();
        nextTreeChange += exponential(rng, treeRate);
      }
      const r = Math.floor(rng.uniform() * 4);
      ref.push(BASES[r]);
      alt.push(BASES[(r + 1 + Math.floor(rng.uniform() * 3)) % 4]);
      id.push(`${chrom.name}:${p}:${ref[b]}:${alt[b]}`);
      // the site's carriers: a founder set (old) or a sub-lineage of one founder (recent)
      const recent = rng.uniform() < recentFraction;
      const mask = recent ? 0 : tree.mutationMask();
      const cladeFounder = recent ? Math.floor(rng.uniform() * k) : -1;
      const threshold = recent ? Math.exp(logMinP * rng.uniform()) : 0;
      const row = haplotypes.subarray(b * nHap, (b + 1) * nHap);
      let count = 0;
      for (let h = 0; h < nHap; h++) {
        while (nextSwitch[h] <= p) {
          founder[h] = Math.floor(rng.uniform() * k);
          lineage[h] = rng.uniform();
          nextSwitch[h] += exponential(rng, switchRate);
        }
        const f = founder[h];
        let a = recent ? (f === cladeFounder && lineage[h] < threshold ? 1 : 0) : (mask >>> f) & 1;
        if (nextMiscopy[h] === i) {
          a ^= 1;
          nextMiscopy[h] += miscopyGap();
        }
        row[h] = a;
        count += a;
      }
      if (count === 0 || count === nHap) row[Math.floor(rng.uniform() * nHap)] ^= 1;
    }
    yield {
      variants: { chr: new Array<string>(nb).fill(chrom.name), pos, id, ref, alt },
      haplotypes,
      nSamples: n,
    };
  }
}

/** ALT dosages (0, 1, 2) of a haplotype block, in the GenotypeBlock layout the readers yield. */
export function haplotypeDosages(block: HaplotypeBlock): GenotypeBlock {
  const h = block.haplotypes;
  const dosages = new Float32Array(h.length / 2);
  for (let k = 0; k < dosages.length; k++) dosages[k] = h[2 * k] + h[2 * k + 1];
  return { variants: block.variants, dosages, nSamples: block.nSamples };
}

/**
 * Simulates and writes a phased VCF (bgzipped, with its .tbi), streaming blocks: memory stays at one block of
 * haplotypes. Paths are written as given (OutputSet temporary names). Returns the sample IDs and the count.
 */
export function writeSimulatedVcf(
  path: string,
  indexPath: string,
  o: GenotypeSimOptions,
  options: { blockSize?: number; label?: string; level?: number } = {},
): { samples: string[]; variants: number } {
  const samples = o.sampleIds ?? simulatedSampleIds(o.samples);
  const writerOptions: VcfWriterOptions = {
    samples,
    contigs: o.chromosomes.map((c) => ({ name: c.name, length: c.length })),
    indexPath,
    label: options.label,
    level: options.level,
    meta: [`qtlflow.simulation=${JSON.stringify({ ...o, sampleIds: undefined })}`],
  };
  validate(o);
  const w = new VcfWriter(path, writerOptions);
  try {
    for (const block of simulateHaplotypes(o, options.blockSize))
      w.writeHaplotypes(block.variants, block.haplotypes);
    w.close();
  } catch (e) {
    w.abort();
    throw e;
  }
  return { samples, variants: w.records };
}
