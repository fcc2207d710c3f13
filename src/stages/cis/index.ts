/**
 * The `cis` stage: nominal and permutation passes of cis-QTL mapping, FastQTL/tensorQTL's model
 * (ARCHITECTURE.md §5). Genotypes and phenotypes are residualized on [1, covariates] and scaled to unit norm,
 * so r = ĝ·ŷ; t² = dof·r²/(1 − r²) with dof = n − 2 − k (k covariate columns; `qtltools`: n − 2).
 *
 * Genotypes are streamed per chromosome in 1 Mb tiles, each variant residualized once; a tile is dropped when
 * the phenotypes (sorted by start) have moved past it, so memory is bounded by the largest cis window.
 * Permutations: the same P shuffles of the samples (drawn from the seed) for every phenotype, applied to the
 * raw phenotype, which is then residualized (as FastQTL); the permuted correlations of a window are one matrix
 * product (variants × n by n × P) through the GEMM backend; the maximum r² per permutation feeds the beta
 * approximation.
 */
import { InputError } from '../../io/errors.js';
import { canonicalChrom, compareChrom } from '../../io/genome.js';
import { region } from '../../io/genotypes/filters.js';
import type { GenotypeReader } from '../../io/genotypes/types.js';
import { gemmBackend } from '../../linalg/gemm.js';
import { Residualizer } from '../../linalg/residualize.js';
import { Rng } from '../../runner/random.js';
import { betaApproximation } from '../../stats/beta-approx.js';
import { pvalFromR2 } from '../../stats/pvalue.js';

export interface CisPhenotypes {
  chr: string[];
  start: Int32Array;
  end: Int32Array;
  phenotypeId: string[];
  /** Phenotypes × analysis samples, row-major. */
  values: Float64Array;
}

export interface CisOptions {
  mode: 'nominal' | 'permute';
  window: number;
  permutations: number;
  seed: number;
  mafMin: number;
  maSamplesMin: number;
  dofConvention: 'fastqtl' | 'qtltools';
}

/** Columns of the nominal table (cis_nominal contract) for one chromosome. */
export interface NominalRows {
  phenotypeId: string[];
  variantId: string[];
  startDistance: number[];
  af: number[];
  maSamples: number[];
  maCount: number[];
  pvalNominal: number[];
  slope: number[];
  slopeSe: number[];
}

export interface PermutationRow {
  phenotypeId: string;
  numVar: number;
  shape1: number;
  shape2: number;
  trueDf: number;
  pvalTrueDf: number;
  variantId: string;
  startDistance: number;
  af: number;
  maSamples: number;
  maCount: number;
  pvalNominal: number;
  slope: number;
  slopeSe: number;
  pvalPerm: number;
  pvalBeta: number;
}

export type SkipReason = 'constant_phenotype' | 'no_variants_in_window';

export interface CisSink {
  nominal?(chr: string, rows: NominalRows): void;
  permutation?(row: PermutationRow): void;
  skipped(phenotypeId: string, reason: SkipReason): void;
  progress?(done: number, total: number): void;
}

/** Variants of one tile after filtering: unit-norm residuals and the per-variant statistics. */
interface Tile {
  start: number;
  end: number;
  pos: Int32Array;
  id: string[];
  af: Float64Array;
  maSamples: Int32Array;
  maCount: Int32Array;
  /** Norm of the residualized (not yet scaled) genotype, for the slope. */
  norm: Float64Array;
  /** V × n unit-norm residuals. */
  g: Float64Array;
  count: number;
}

export interface CisRunStats {
  variantsRead: number;
  variantsTested: number;
  monomorphic: number;
  belowMaf: number;
  collinearWithCovariates: number;
  phenotypesTested: number;
}

const TILE = 1_000_000;

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

/** The shuffles of 0…n−1 used for every phenotype (Fisher–Yates from the seed). */
export function permutationIndices(n: number, p: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  const out = new Int32Array(n * p);
  for (let k = 0; k < p; k++) {
    const perm = out.subarray(k * n, (k + 1) * n);
    for (let i = 0; i < n; i++) perm[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rng.uniform() * (i + 1));
      const t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
  }
  return out;
}

export type VariantStatus = 'ok' | 'monomorphic' | 'below_maf' | 'collinear';

export interface PreparedVariant {
  status: VariantStatus;
  /** ALT allele frequency over the analysis samples (after mean imputation). */
  af: number;
  maSamples: number;
  maCount: number;
  /** Norm of the residualized genotype. */
  norm: number;
}

/**
 * One variant's dosages for the analysis samples into `x`, missing calls mean-imputed, then residualized on
 * [1, covariates] in place. Monomorphic variants, variants below the MAF / minor-allele-sample bounds and
 * variants collinear with the covariates are reported by status (x is then not residualized).
 */
export function prepareVariant(
  d: Float32Array,
  genotypeIndex: Int32Array,
  residualizer: Residualizer,
  options: Pick<CisOptions, 'mafMin' | 'maSamplesMin'>,
  x: Float64Array,
): PreparedVariant {
  const n = genotypeIndex.length;
  let sum = 0;
  let nonMissing = 0;
  for (let j = 0; j < n; j++) {
    const val = d[genotypeIndex[j]];
    x[j] = val;
    if (!Number.isNaN(val)) {
      sum += val;
      nonMissing++;
    }
  }
  const mean = nonMissing > 0 ? sum / nonMissing : 0;
  let varSum = 0;
  for (let j = 0; j < n; j++) {
    if (Number.isNaN(x[j])) x[j] = mean; // mean imputation of missing calls
    varSum += (x[j] - mean) * (x[j] - mean);
  }
  const af = mean / 2;
  const out: PreparedVariant = { status: 'ok', af, maSamples: 0, maCount: 0, norm: 0 };
  if (!(varSum > 0)) return { ...out, status: 'monomorphic' };
  if (Math.min(af, 1 - af) < options.mafMin) return { ...out, status: 'below_maf' };
  const [ms, mc] = minorAllele(x, af);
  out.maSamples = ms;
  out.maCount = mc;
  if (ms < options.maSamplesMin) return { ...out, status: 'below_maf' };
  residualizer.residualize(x);
  let nn = 0;
  for (let j = 0; j < n; j++) nn += x[j] * x[j];
  out.norm = Math.sqrt(nn);
  if (!(out.norm > 1e-8 * Math.sqrt(varSum))) return { ...out, status: 'collinear' };
  return out;
}

export class CisMapper {
  readonly stats: CisRunStats = {
    variantsRead: 0,
    variantsTested: 0,
    monomorphic: 0,
    belowMaf: 0,
    collinearWithCovariates: 0,
    phenotypesTested: 0,
  };
  readonly dof: number;
  private readonly perms: Int32Array | undefined;
  private readonly gemm = gemmBackend();

  /**
   * `genotypeIndex[j]`: the genotype file's sample index of analysis sample j. `k`: the number of covariate
   * columns (the dof uses the count, as FastQTL and tensorQTL do, even when a column is dependent).
   */
  constructor(
    private readonly reader: GenotypeReader,
    private readonly genotypeIndex: Int32Array,
    private readonly residualizer: Residualizer,
    k: number,
    private readonly options: CisOptions,
  ) {
    const n = genotypeIndex.length;
    this.dof = options.dofConvention === 'qtltools' ? n - 2 : n - 2 - k;
    if (options.mode === 'permute') this.perms = permutationIndices(n, options.permutations, options.seed);
  }

  get backend(): string {
    return this.gemm.name;
  }

  /** Reads, filters and residualizes the variants of one tile. */
  private async loadTile(chr: string, start: number): Promise<Tile> {
    const n = this.genotypeIndex.length;
    const end = start + TILE - 1;
    const out: Tile = {
      start,
      end,
      pos: new Int32Array(0),
      id: [],
      af: new Float64Array(0),
      maSamples: new Int32Array(0),
      maCount: new Int32Array(0),
      norm: new Float64Array(0),
      g: new Float64Array(0),
      count: 0,
    };
    const pos: number[] = [];
    const af: number[] = [];
    const maS: number[] = [];
    const maC: number[] = [];
    const norms: number[] = [];
    const rows: Float64Array[] = [];
    const x = new Float64Array(n);
    for await (const block of this.reader.iterRegions([region(`${chr}:${start}-${end}`)])) {
      const N = block.nSamples;
      for (let v = 0; v < block.variants.pos.length; v++) {
        this.stats.variantsRead++;
        const d = block.dosages.subarray(v * N, (v + 1) * N);
        const prep = prepareVariant(d, this.genotypeIndex, this.residualizer, this.options, x);
        if (prep.status !== 'ok') {
          if (prep.status === 'monomorphic') this.stats.monomorphic++;
          else if (prep.status === 'collinear') this.stats.collinearWithCovariates++;
          else this.stats.belowMaf++;
          continue;
        }
        const { norm, af: a, maSamples: ms, maCount: mc } = prep;
        const row = new Float64Array(n);
        for (let j = 0; j < n; j++) row[j] = x[j] / norm;
        rows.push(row);
        pos.push(block.variants.pos[v]);
        out.id.push(block.variants.id[v] === '.' ? `${chr}:${block.variants.pos[v]}` : block.variants.id[v]);
        af.push(a);
        maS.push(ms);
        maC.push(mc);
        norms.push(norm);
      }
    }
    out.count = rows.length;
    out.pos = Int32Array.from(pos);
    out.af = Float64Array.from(af);
    out.maSamples = Int32Array.from(maS);
    out.maCount = Int32Array.from(maC);
    out.norm = Float64Array.from(norms);
    out.g = new Float64Array(rows.length * n);
    rows.forEach((r, i) => out.g.set(r, i * n));
    return out;
  }

  /** Maps every phenotype of one chromosome (phenotypes sorted by start). */
  async mapChromosome(chr: string, ph: CisPhenotypes, rowsOfChr: number[], sink: CisSink): Promise<void> {
    const n = this.genotypeIndex.length;
    const w = this.options.window;
    const tiles: Tile[] = [];
    let nextTile = 0; // index of the next tile to load (tile t covers [t·TILE + 1, (t+1)·TILE])
    const nominal: NominalRows | undefined = sink.nominal
      ? {
          phenotypeId: [],
          variantId: [],
          startDistance: [],
          af: [],
          maSamples: [],
          maCount: [],
          pvalNominal: [],
          slope: [],
          slopeSe: [],
        }
      : undefined;
    const y = new Float64Array(n);
    for (const i of rowsOfChr) {
      const id = ph.phenotypeId[i];
      // cis window on 1-based positions: TSS = start + 1; [start+1−w, end+w] for wider features
      const tss = ph.start[i] + 1;
      const lo = Math.max(1, tss - w);
      const hi = (ph.end[i] - ph.start[i] > 1 ? ph.end[i] : tss) + w;
      while (tiles.length && tiles[0].end < lo) tiles.shift();
      if (tiles.length === 0) nextTile = Math.max(nextTile, Math.floor((lo - 1) / TILE)); // skip empty stretches
      while (nextTile * TILE + 1 <= hi) {
        const t = await this.loadTile(chr, nextTile * TILE + 1);
        nextTile++;
        if (t.end >= lo) tiles.push(t);
      }
      // the phenotype, residualized
      y.set(ph.values.subarray(i * n, (i + 1) * n));
      const raw = Float64Array.from(y);
      this.residualizer.residualize(y);
      let yy = 0;
      for (let j = 0; j < n; j++) yy += y[j] * y[j];
      const yNorm = Math.sqrt(yy);
      if (!(yNorm > 1e-10)) {
        sink.skipped(id, 'constant_phenotype');
        continue;
      }
      for (let j = 0; j < n; j++) y[j] /= yNorm;
      // the window's variants, gathered into one matrix
      const sel: [Tile, number][] = [];
      for (const t of tiles)
        for (let v = 0; v < t.count; v++) if (t.pos[v] >= lo && t.pos[v] <= hi) sel.push([t, v]);
      if (sel.length === 0) {
        sink.skipped(id, 'no_variants_in_window');
        continue;
      }
      this.stats.phenotypesTested++;
      this.stats.variantsTested += sel.length;
      const V = sel.length;
      const G = new Float64Array(V * n);
      sel.forEach(([t, v], k) => G.set(t.g.subarray(v * n, (v + 1) * n), k * n));
      const r = new Float64Array(V);
      this.gemm.gemmABt(G, V, y, 1, n, r);
      let best = 0;
      for (let k = 1; k < V; k++) if (r[k] * r[k] > r[best] * r[best]) best = k; // ties: first in position order
      const stat = (k: number) => {
        const [t, v] = sel[k];
        const r2 = Math.min(r[k] * r[k], 1);
        const pval = pvalFromR2(r2, this.dof);
        const slope = (r[k] * yNorm) / t.norm[v];
        const tStat = Math.sqrt((this.dof * r2) / (1 - r2));
        return { t, v, r2, pval, slope, slopeSe: Math.abs(slope) / tStat };
      };
      if (nominal) {
        for (let k = 0; k < V; k++) {
          const s = stat(k);
          nominal.phenotypeId.push(id);
          nominal.variantId.push(s.t.id[s.v]);
          nominal.startDistance.push(s.t.pos[s.v] - tss);
          nominal.af.push(s.t.af[s.v]);
          nominal.maSamples.push(s.t.maSamples[s.v]);
          nominal.maCount.push(s.t.maCount[s.v]);
          nominal.pvalNominal.push(s.pval);
          nominal.slope.push(s.slope);
          nominal.slopeSe.push(s.slopeSe);
        }
      }
      if (this.perms && sink.permutation) {
        const P = this.options.permutations;
        const Y = new Float64Array(P * n);
        for (let p = 0; p < P; p++) {
          const off = p * n;
          for (let j = 0; j < n; j++) Y[off + j] = raw[this.perms[off + j]];
          this.residualizer.residualize(Y, off);
          let s = 0;
          for (let j = 0; j < n; j++) s += Y[off + j] * Y[off + j];
          const inv = 1 / Math.sqrt(s);
          for (let j = 0; j < n; j++) Y[off + j] *= inv;
        }
        const R = new Float64Array(V * P);
        this.gemm.gemmABt(G, V, Y, P, n, R);
        const maxR2 = new Float64Array(P);
        for (let k = 0; k < V; k++) {
          const row = k * P;
          for (let p = 0; p < P; p++) {
            const v2 = R[row + p] * R[row + p];
            if (v2 > maxR2[p]) maxR2[p] = v2;
          }
        }
        const s = stat(best);
        let hits = 0;
        for (let p = 0; p < P; p++) if (maxR2[p] >= s.r2) hits++;
        const beta = betaApproximation(maxR2, s.r2, this.dof);
        sink.permutation({
          phenotypeId: id,
          numVar: V,
          shape1: beta.shape1,
          shape2: beta.shape2,
          trueDf: beta.trueDf,
          pvalTrueDf: beta.pvalTrueDf,
          variantId: s.t.id[s.v],
          startDistance: s.t.pos[s.v] - tss,
          af: s.t.af[s.v],
          maSamples: s.t.maSamples[s.v],
          maCount: s.t.maCount[s.v],
          pvalNominal: s.pval,
          slope: s.slope,
          slopeSe: s.slopeSe,
          pvalPerm: (hits + 1) / (P + 1),
          pvalBeta: beta.pvalBeta,
        });
      }
    }
    if (nominal && sink.nominal) sink.nominal(chr, nominal);
  }
}

/** Phenotype row indices grouped by chromosome (canonical names, natural order), each sorted by start. */
export function phenotypesByChromosome(
  ph: Pick<CisPhenotypes, 'chr' | 'start' | 'phenotypeId'>,
): Map<string, number[]> {
  const by = new Map<string, number[]>();
  ph.chr.forEach((c, i) => {
    const key = canonicalChrom(c);
    const list = by.get(key) ?? [];
    list.push(i);
    by.set(key, list);
  });
  const out = new Map<string, number[]>();
  for (const key of [...by.keys()].sort(compareChrom))
    out.set(
      key,
      by
        .get(key)!
        .sort((a, b) => ph.start[a] - ph.start[b] || (ph.phenotypeId[a] < ph.phenotypeId[b] ? -1 : 1)),
    );
  return out;
}

/** Fails with both files' chromosome names when phenotypes and genotypes share none. */
export function checkChromosomeOverlap(
  phenotypeChrs: string[],
  genotypeChrs: string[] | undefined,
  files: { phenotypes: string; genotypes: string },
): void {
  if (!genotypeChrs) return;
  const g = new Set(genotypeChrs.map(canonicalChrom));
  if (phenotypeChrs.some((c) => g.has(canonicalChrom(c)))) return;
  throw new InputError('phenotypes and genotypes have no chromosome in common', {
    file: files.phenotypes,
    hint: `The phenotypes are on ${[...new Set(phenotypeChrs)].slice(0, 5).join(', ')}; ${files.genotypes} has ${genotypeChrs
      .slice(0, 5)
      .join(
        ', ',
      )} ('chr22' and '22' already match each other). Rename the chromosomes in one file (e.g. bcftools annotate --rename-chrs)`,
  });
}
