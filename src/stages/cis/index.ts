/**
 * The `cis` stage: nominal pass, permutation pass and conditionally independent signals of cis-QTL mapping,
 * FastQTL/tensorQTL's model (ARCHITECTURE.md §5). Genotypes and phenotypes are residualized on
 * [1, covariates] and scaled to unit norm, so r = ĝ·ŷ; t² = dof·r²/(1 − r²) with dof = n − 2 − k (k covariate
 * columns; `qtltools`: n − 2).
 *
 * Genotypes come from a sliding window (window.ts): each variant is read and residualized once per
 * chromosome, and a phenotype's cis variants are a contiguous V × n block of it. Permutations: the same P
 * shuffles of the samples (drawn from the seed) for every phenotype, applied to the raw phenotype, which is
 * then residualized (as FastQTL and tensorQTL); the permuted correlations of a window are one matrix product
 * (V × n by n × P) through the GEMM backend; the maximum r² per permutation feeds the beta approximation.
 * Because every phenotype is mapped on its own with the same shuffles, any split of the phenotypes (chunks,
 * worker threads) gives exactly the numbers of the whole run.
 */
import { InputError } from '../../io/errors.js';
import { canonicalChrom, compareChrom } from '../../io/genome.js';
import type { GenotypeReader } from '../../io/genotypes/types.js';
import { gemmBackend, matVec } from '../../linalg/gemm.js';
import type { GemmBackend } from '../../linalg/gemm.js';
import type { Residualizer } from '../../linalg/residualize.js';
import { Rng } from '../../runner/random.js';
import { tPvalue } from '../../stats/pvalue.js';
import { InteractionBatch, NominalBatch, pairStatistics } from './batches.js';
import { GenotypeWindow, emptyVariantCounts } from './window.js';
export { InteractionBatch, NominalBatch, pairStatistics } from './batches.js';
export { prepareVariant } from './window.js';
import type { VariantCounts } from './window.js';

export interface CisPhenotypes {
  chr: string[];
  start: Int32Array;
  end: Int32Array;
  phenotypeId: string[];
  /** Phenotypes × analysis samples, row-major. */
  values: Float64Array;
}

export interface CisOptions {
  window: number;
  permutations: number;
  seed: number;
  mafMin: number;
  maSamplesMin: number;
  dofConvention: 'fastqtl' | 'qtltools';
}

/** What to compute for each phenotype. */
export interface CisTasks {
  nominal?: boolean;
  permute?: boolean;
  /** Forward–backward conditional mapping of these phenotypes (eGenes) at this pval_beta threshold. */
  independent?: { phenotypes: Set<string>; threshold: number };
  /** Every cis pair in p ~ g + i + g·i + covariates (tensorQTL's interaction model). */
  interaction?: InteractionTask;
}

export interface InteractionTask {
  /** Analysis samples × terms, row-major. */
  values: Float64Array;
  names: string[];
  /** tensorQTL's maf_threshold_interaction: the MAF in each half of every term's median split must reach it. */
  mafMin: number;
}

/** One row of the permutation table (cis_permutation contract without the run-wide qval/threshold). */
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

/** One conditionally independent signal (tensorQTL's cis_independent table). */
export interface IndependentRow extends PermutationRow {
  rank: number;
}

export type SkipReason = 'constant_phenotype' | 'no_variants_in_window';

export interface CisSink {
  nominal?(chr: string, batch: NominalBatch): void;
  interaction?(chr: string, batch: InteractionBatch): void;
  permutation?(row: PermutationRow): void;
  /** The signals of one phenotype, and the variants the forward pass selected (in order). */
  independent?(phenotypeId: string, rows: IndependentRow[], forward: string[]): void;
  skipped(phenotypeId: string, reason: SkipReason): void;
  /** Called after each phenotype. */
  progress?(phenotypesDone: number): void;
  /** When given, awaited between phenotypes: resolves once the consumer has room for more rows. */
  ready?(): Promise<void>;
}

export interface CisRunStats {
  variants: VariantCounts;
  /** Phenotype–variant pairs tested. */
  pairs: number;
  phenotypesTested: number;
  /** Variant records read from the genotype file (depends on how the work was split). */
  recordsRead: number;
  /** Time and floating-point operations of the permutation matrix products (for GFLOP/s in benchmarks). */
  gemmSeconds: number;
  gemmFlops: number;
}

export function emptyRunStats(): CisRunStats {
  return {
    variants: emptyVariantCounts(),
    pairs: 0,
    phenotypesTested: 0,
    recordsRead: 0,
    gemmSeconds: 0,
    gemmFlops: 0,
  };
}

const NOMINAL_BATCH = 1 << 13;
const INTERACTION_BATCH = 1 << 14;

/** The residualized interaction terms and, per term, which samples lie at or above its median (tensorQTL). */
function interactionTerms(task: InteractionTask, n: number, residualizer: Residualizer) {
  const ni = task.names.length;
  const i0 = new Float64Array(ni * n);
  const upper: Uint8Array[] = [];
  for (let t = 0; t < ni; t++) {
    const col = Float64Array.from({ length: n }, (_, j) => task.values[j * ni + t]);
    const sorted = Float64Array.from(col).sort();
    const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    upper.push(Uint8Array.from(col, (x) => (x >= median ? 1 : 0)));
    residualizer.residualize(col);
    i0.set(col, t * n);
  }
  return { i0, upper, ni };
}

/** MAF of the dosages in the samples with mask 1 and in those with mask 0 both reach `mafMin`. */
function halvesPassMaf(d: Float64Array, mask: Uint8Array, mafMin: number): boolean {
  const sum = [0, 0];
  const count = [0, 0];
  for (let j = 0; j < d.length; j++) {
    sum[mask[j]] += d[j];
    count[mask[j]]++;
  }
  for (let h = 0; h < 2; h++) {
    const af = count[h] ? sum[h] / (2 * count[h]) : 0;
    if (!(Math.min(af, 1 - af) >= mafMin)) return false;
  }
  return true;
}

/** Inverse of a small symmetric positive-definite matrix by Gauss–Jordan with pivoting; undefined if singular. */
function invertSpd(a: Float64Array, p: number): Float64Array | undefined {
  const m = Float64Array.from(a);
  const inv = new Float64Array(p * p);
  for (let i = 0; i < p; i++) inv[i * p + i] = 1;
  const scale = Math.max(...Array.from({ length: p }, (_, i) => Math.abs(a[i * p + i])));
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(m[r * p + c]) > Math.abs(m[piv * p + c])) piv = r;
    if (!(Math.abs(m[piv * p + c]) > 1e-12 * scale)) return undefined;
    if (piv !== c)
      for (let k = 0; k < p; k++) {
        [m[c * p + k], m[piv * p + k]] = [m[piv * p + k], m[c * p + k]];
        [inv[c * p + k], inv[piv * p + k]] = [inv[piv * p + k], inv[c * p + k]];
      }
    const d = m[c * p + c];
    for (let k = 0; k < p; k++) {
      m[c * p + k] /= d;
      inv[c * p + k] /= d;
    }
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = m[r * p + c];
      if (f === 0) continue;
      for (let k = 0; k < p; k++) {
        m[r * p + k] -= f * m[c * p + k];
        inv[r * p + k] -= f * inv[c * p + k];
      }
    }
  }
  return inv;
}

/** The shuffles of 0…n−1 used for every phenotype (Fisher–Yates from the seed). */
export function permutationIndices(n: number, p: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  const out = new Int32Array(n * p);
  for (let k = 0; k < p; k++) {
    const perm = out.subarray(k * n, (k + 1) * n);
    for (let i = 0; i < n; i++) perm[i] = i;
    rng.shuffle(perm);
  }
  return out;
}

/** The cis variants of one phenotype as unit-norm residuals: rows [0, V) of `g` (V × n). */
interface WindowView {
  g: Float64Array;
  V: number;
  /** Row indices in the genotype window (for positions, IDs and allele statistics). */
  first: number;
  /** Norm of each row's residual before scaling (for the slope). */
  norm: Float64Array;
}

/** The best variant of a window and the permutation maxima, under one residualizer. */
interface Scan {
  best: number;
  r: number;
  r2Perm: Float64Array;
  yNorm: number;
}

export class CisMapper {
  readonly stats: CisRunStats;
  readonly dof: number;
  private gemmLoaded: GemmBackend | undefined;
  /** The beta approximation, loaded by the modes that permute (the nominal pass starts without it). */
  private beta: typeof import('../../stats/beta-approx.js') | undefined;
  private readonly perms: Int32Array | undefined;
  private readonly window: GenotypeWindow;
  private readonly n: number;
  private readonly k: number;
  // buffers reused across phenotypes, grown on demand
  private permY = new Float64Array(0);
  private permR = new Float64Array(0);
  private rBuf = new Float64Array(0);
  /** Interaction terms residualized on [1, covariates] (terms × n) and each term's upper-half mask. */
  private readonly interactionTerms: { i0: Float64Array; upper: Uint8Array[]; ni: number } | undefined;

  /**
   * `genotypeIndex[j]`: the genotype file's sample index of analysis sample j. `k`: the number of covariate
   * columns (the dof uses the count, as FastQTL and tensorQTL do, even when a column is dependent).
   */
  constructor(
    reader: GenotypeReader,
    genotypeIndex: Int32Array,
    private readonly residualizer: Residualizer,
    k: number,
    private readonly options: CisOptions,
    private readonly tasks: CisTasks,
  ) {
    this.n = genotypeIndex.length;
    this.k = k;
    this.dof = this.dofWith(0);
    if (tasks.permute || tasks.independent)
      this.perms = permutationIndices(this.n, options.permutations, options.seed);
    this.stats = emptyRunStats();
    this.window = new GenotypeWindow(
      reader,
      genotypeIndex,
      residualizer,
      options,
      this.stats.variants,
      4096,
      tasks.interaction !== undefined, // g·i needs the dosages themselves
    );
    if (tasks.interaction) this.interactionTerms = interactionTerms(tasks.interaction, this.n, residualizer);
  }

  /** The GEMM backend, loaded on first use (the nominal pass needs matrix–vector products only). */
  get gemm(): GemmBackend {
    return (this.gemmLoaded ??= gemmBackend());
  }

  /** The backend that ran this mapper's matrix products: name and detail, or 'none' when none ran. */
  get backendUsed(): { name: string; detail: string } {
    const g = this.gemmLoaded;
    return g
      ? { name: g.name, detail: g.detail }
      : { name: 'none', detail: 'no matrix product in this mode' };
  }

  /** Residual df with `extra` genotypes added to the covariates (independent mode). */
  private dofWith(extra: number): number {
    return this.options.dofConvention === 'qtltools' ? this.n - 2 : this.n - 2 - this.k - extra;
  }

  /**
   * Maps the phenotypes `rows` (indices into `ph`, sorted by chromosome then start, as `phenotypeOrder`
   * gives them). `countedThrough`: on the first chromosome, variants up to this position were already counted
   * by the phenotypes before `rows` (see `countedThrough`).
   */
  async map(ph: CisPhenotypes, rows: ArrayLike<number>, sink: CisSink, countedThrough = 0): Promise<void> {
    const n = this.n;
    const w = this.options.window;
    let chr: string | undefined;
    let batch = new NominalBatch(NOMINAL_BATCH, this.dof);
    const effects = 1 + 2 * (this.interactionTerms?.ni ?? 0);
    let ibatch = new InteractionBatch(this.interactionTerms ? INTERACTION_BATCH : 0, effects);
    const flush = () => {
      if (chr !== undefined && batch.length && sink.nominal) sink.nominal(chr, batch);
      batch = new NominalBatch(NOMINAL_BATCH, this.dof);
      if (chr !== undefined && ibatch.length && sink.interaction) sink.interaction(chr, ibatch);
      ibatch = new InteractionBatch(this.interactionTerms ? INTERACTION_BATCH : 0, effects);
    };
    const y = new Float64Array(n);
    if ((this.tasks.permute || this.tasks.independent) && !this.beta)
      this.beta = await import('../../stats/beta-approx.js');
    for (let idx = 0; idx < rows.length; idx++) {
      const i = rows[idx];
      const c = canonicalChrom(ph.chr[i]);
      if (c !== chr) {
        flush();
        this.window.reset(c, chr === undefined ? countedThrough : 0);
        chr = c;
      }
      const id = ph.phenotypeId[i];
      const { tss, lo, hi } = cisWindow(ph, i, w);
      const [first, end] = await this.window.range(lo, hi);
      this.stats.recordsRead = this.window.recordsRead;
      const raw = ph.values.subarray(i * n, (i + 1) * n);
      y.set(raw);
      this.residualizer.residualize(y);
      const yNorm = Math.sqrt(dot(y, 0, y, 0, n));
      if (!(yNorm > 1e-10 * Math.sqrt(dot(raw, 0, raw, 0, n)) && yNorm > 0)) {
        sink.skipped(id, 'constant_phenotype');
        sink.progress?.(idx + 1);
        continue;
      }
      for (let j = 0; j < n; j++) y[j] /= yNorm;
      const V = end - first;
      if (V === 0) {
        sink.skipped(id, 'no_variants_in_window');
        sink.progress?.(idx + 1);
        continue;
      }
      this.stats.phenotypesTested++;
      this.stats.pairs += V;
      const win = this.window;
      const view: WindowView = {
        g: win.g.subarray(first * n, end * n),
        V,
        first,
        norm: win.norm.subarray(first, end),
      };

      if (this.tasks.nominal) {
        const r = this.correlate(view, y);
        for (let v = 0; v < V;) {
          if (batch.length === batch.capacity) flush();
          // a run of rows into this batch, through locals (a closure-captured batch is re-read per access)
          const out = batch;
          const b0 = out.length;
          const count = Math.min(V - v, out.capacity - b0);
          const { phenotypeCode, variantCode, startDistance, af, maSamples, maCount } = out;
          const pc = out.phenotype(id);
          const { r: rOut, yNorm: yOut, gNorm: gOut } = out;
          const { id: ids, pos, af: winAf, maSamples: winMs, maCount: winMc } = win;
          const norm = view.norm;
          for (let k = 0; k < count; k++) {
            const row = first + v + k;
            const b = b0 + k;
            phenotypeCode[b] = pc;
            variantCode[b] = out.variant(ids[row]);
            startDistance[b] = pos[row] - tss;
            af[b] = winAf[row];
            maSamples[b] = winMs[row];
            maCount[b] = winMc[row];
            rOut[b] = r[v + k];
            yOut[b] = yNorm;
            gOut[b] = norm[v + k];
          }
          out.length = b0 + count;
          v += count;
        }
      }
      if (this.interactionTerms && sink.interaction) {
        this.interaction(id, tss, view, y, yNorm, () => {
          if (ibatch.length === ibatch.capacity) flush();
          return ibatch;
        });
      }
      if (this.tasks.permute && sink.permutation) {
        const scan = this.scan(view, raw, this.residualizer, y, yNorm);
        sink.permutation(this.permutationRow(id, tss, view, scan, this.dof));
      }
      if (this.tasks.independent?.phenotypes.has(id) && sink.independent) {
        const ind = this.independent(id, tss, view, raw, y, yNorm, this.tasks.independent.threshold);
        sink.independent(id, ind.rows, ind.forward);
      }
      sink.progress?.(idx + 1);
      if (sink.ready) await sink.ready();
    }
    flush();
  }

  /**
   * tensorQTL's interaction model for every variant of the window that passes the MAF filter in both halves of
   * each term's median split: by Frisch–Waugh–Lovell, y, g, i and g·i residualized on [1, covariates], then the
   * OLS of ŷ on [ĝ, î, (g·i)^] (1 + 2·terms columns); dof = n − 2 − k − 2·terms, as tensorQTL (the full OLS
   * y ~ 1 + covariates + g + i + g·i).
   */
  private interaction(
    id: string,
    tss: number,
    view: WindowView,
    y: Float64Array,
    yNorm: number,
    batch: () => InteractionBatch,
  ): void {
    const n = this.n;
    const it = this.interactionTerms!;
    const ni = it.ni;
    const p = 1 + 2 * ni;
    const win = this.window;
    const raw = win.raw!;
    const dof = this.dofWith(2 * ni);
    const mafMin = this.tasks.interaction!.mafMin;
    const X = new Float64Array(p * n);
    const yr = Float64Array.from(y, (v) => v * yNorm);
    let yy = 0;
    for (let j = 0; j < n; j++) yy += yr[j] * yr[j];
    for (let t = 0; t < ni; t++) X.set(it.i0.subarray(t * n, (t + 1) * n), (1 + t) * n);
    const xtx = new Float64Array(p * p);
    const xty = new Float64Array(p);
    for (let v = 0; v < view.V; v++) {
      const row = view.first + v;
      const d = raw.subarray(row * n, (row + 1) * n);
      if (mafMin > 0 && !it.upper.every((mask) => halvesPassMaf(d, mask, mafMin))) continue;
      const s = view.norm[v];
      for (let j = 0; j < n; j++) X[j] = view.g[v * n + j] * s;
      for (let t = 0; t < ni; t++) {
        const off = (1 + ni + t) * n;
        const iv = this.tasks.interaction!.values;
        for (let j = 0; j < n; j++) X[off + j] = d[j] * iv[j * ni + t];
        this.residualizer.residualize(X, off);
      }
      for (let a = 0; a < p; a++) {
        for (let b = a; b < p; b++) xtx[a * p + b] = xtx[b * p + a] = dot(X, a * n, X, b * n, n);
        xty[a] = dot(X, a * n, yr, 0, n);
      }
      const inv = invertSpd(xtx, p);
      const out = batch();
      const k = out.length++;
      out.phenotypeCode[k] = out.phenotype(id);
      out.variantCode[k] = out.variant(win.id[row]);
      out.startDistance[k] = win.pos[row] - tss;
      out.af[k] = win.af[row];
      out.maSamples[k] = win.maSamples[row];
      out.maCount[k] = win.maCount[row];
      if (!inv) {
        out.stats.fill(NaN, k * p * 3, (k + 1) * p * 3);
        continue;
      }
      let rss = yy;
      const beta = new Float64Array(p);
      for (let a = 0; a < p; a++) {
        let s2 = 0;
        for (let b = 0; b < p; b++) s2 += inv[a * p + b] * xty[b];
        beta[a] = s2;
        rss -= s2 * xty[a];
      }
      for (let a = 0; a < p; a++) {
        const se = Math.sqrt((inv[a * p + a] * Math.max(rss, 0)) / dof);
        const o = (k * p + a) * 3;
        out.stats[o] = tPvalue(beta[a] / se, dof);
        out.stats[o + 1] = beta[a];
        out.stats[o + 2] = se;
      }
    }
  }

  /**
   * r = G·ŷ for the rows of a window, with the typed-array kernel: a phenotype's numbers must not depend on
   * where its window sits in the buffer (chunks and threads give identical results).
   */
  private correlate(view: WindowView, y: Float64Array): Float64Array {
    if (this.rBuf.length < view.V) this.rBuf = new Float64Array(view.V);
    const r = this.rBuf.subarray(0, view.V);
    matVec(view.g, view.V, y, this.n, r);
    return r;
  }

  /**
   * The best variant of a window (largest r², first in position order on ties) and the maximum r² over its
   * variants for every permutation of the raw phenotype, residualized by `resid`.
   * `y` is the phenotype residualized by `resid` and scaled to unit norm; `yNorm` its norm before scaling.
   */
  private scan(
    view: WindowView,
    raw: Float64Array,
    resid: Residualizer,
    y: Float64Array,
    yNorm: number,
  ): Scan {
    const n = this.n;
    const P = this.options.permutations;
    const perms = this.perms!;
    const r = this.correlate(view, y);
    let best = 0;
    for (let v = 1; v < view.V; v++) if (r[v] * r[v] > r[best] * r[best]) best = v;
    const rBest = r[best];
    // The window's rows are residuals, orthogonal to the basis Q of [1, covariates], so ĝ·res(Py) = ĝ·Py: the
    // shuffled phenotypes enter the product as they are (centred), and only their residual norms are needed,
    // ‖res(Py)‖² = ‖Py‖² − ‖Qᵀ(Py)‖², one small product (P × rank) instead of residualizing every shuffle.
    if (this.permY.length < P * n) this.permY = new Float64Array(P * n);
    const Y = this.permY;
    let mean = 0;
    for (let j = 0; j < n; j++) mean += raw[j];
    mean /= n;
    const yc = new Float64Array(n);
    for (let j = 0; j < n; j++) yc[j] = raw[j] - mean;
    const yy = dot(yc, 0, yc, 0, n);
    for (let p = 0; p < P; p++) {
      const off = p * n;
      for (let j = 0; j < n; j++) Y[off + j] = yc[perms[off + j]];
    }
    const rank = resid.rank;
    const D = new Float64Array(P * rank);
    this.gemm.gemmABt(Y, P, resid.q, rank, n, D);
    const ss = new Float64Array(P);
    for (let p = 0; p < P; p++) {
      let s = yy;
      for (let t = 0; t < rank; t++) s -= D[p * rank + t] * D[p * rank + t];
      if (!(s > 1e-8 * yy)) {
        // nearly all of the shuffle lies in the covariate space: take the norm the long way, without cancellation
        const z = Y.slice(p * n, (p + 1) * n);
        resid.residualize(z);
        s = dot(z, 0, z, 0, n);
      }
      ss[p] = s;
    }
    if (this.permR.length < view.V * P) this.permR = new Float64Array(view.V * P);
    const R = this.permR;
    const t0 = process.hrtime.bigint();
    this.gemm.gemmABt(view.g, view.V, Y, P, n, R);
    this.stats.gemmSeconds += Number(process.hrtime.bigint() - t0) / 1e9;
    this.stats.gemmFlops += 2 * view.V * P * n;
    const r2Perm = new Float64Array(P);
    for (let v = 0; v < view.V; v++) {
      const row = v * P;
      for (let p = 0; p < P; p++) {
        const x = R[row + p] * R[row + p];
        if (x > r2Perm[p]) r2Perm[p] = x;
      }
    }
    for (let p = 0; p < P; p++) r2Perm[p] = ss[p] > 0 ? Math.min(1, r2Perm[p] / ss[p]) : 0;
    return { best, r: rBest, r2Perm, yNorm };
  }

  private permutationRow(id: string, tss: number, view: WindowView, scan: Scan, dof: number): PermutationRow {
    const win = this.window;
    const row = view.first + scan.best;
    const s = pairStatistics(scan.r, scan.yNorm, view.norm[scan.best], dof);
    const P = scan.r2Perm.length;
    let hits = 0;
    for (let p = 0; p < P; p++) if (scan.r2Perm[p] >= s.r2) hits++;
    const beta = this.beta!.betaApproximation(scan.r2Perm, s.r2, dof);
    return {
      phenotypeId: id,
      numVar: view.V,
      shape1: beta.shape1,
      shape2: beta.shape2,
      trueDf: beta.trueDf,
      pvalTrueDf: beta.pvalTrueDf,
      variantId: win.id[row],
      startDistance: win.pos[row] - tss,
      af: win.af[row],
      maSamples: win.maSamples[row],
      maCount: win.maCount[row],
      pvalNominal: s.pval,
      slope: s.slope,
      slopeSe: s.slopeSe,
      pvalPerm: (hits + 1) / (P + 1),
      pvalBeta: beta.pvalBeta,
    };
  }

  /**
   * The window and phenotype with the genotypes of `selected` (window rows) added to the covariates: each
   * variant's residual loses its component along the selected variants' residuals (Gram–Schmidt, so this
   * equals residualizing the raw genotype on [1, covariates, selected]); variants left with < 1e-8 of their
   * norm (the selected ones, and variants in perfect LD with them) become zero rows (r = 0).
   */
  private conditioned(view: WindowView, selected: number[], raw: Float64Array) {
    const n = this.n;
    const V = view.V;
    const sel = new Float64Array(selected.length * n);
    selected.forEach((v, t) => sel.set(view.g.subarray(v * n, (v + 1) * n), t * n));
    const resid = this.residualizer.extend(sel, selected.length);
    const extra = resid.rank - this.residualizer.rank;
    const U = resid.q.subarray(this.residualizer.rank * n);
    const proj = new Float64Array(V * extra);
    this.gemm.gemmABt(view.g, V, U, extra, n, proj);
    const g = Float64Array.from(view.g);
    const norm = new Float64Array(V);
    for (let v = 0; v < V; v++) {
      const off = v * n;
      for (let t = 0; t < extra; t++) {
        const c = proj[v * extra + t];
        const u = t * n;
        for (let j = 0; j < n; j++) g[off + j] -= c * U[u + j];
      }
      const left = Math.sqrt(dot(g, off, g, off, n));
      const keep = left > 1e-8;
      for (let j = 0; j < n; j++) g[off + j] = keep ? g[off + j] / left : 0;
      norm[v] = keep ? view.norm[v] * left : 0;
    }
    const y = Float64Array.from(raw);
    resid.residualize(y);
    const yNorm = Math.sqrt(dot(y, 0, y, 0, n));
    for (let j = 0; j < n; j++) y[j] = yNorm > 0 ? y[j] / yNorm : 0;
    return {
      view: { g, V, first: view.first, norm } as WindowView,
      resid,
      y,
      yNorm,
      dof: this.dofWith(selected.length),
    };
  }

  /**
   * Conditionally independent signals as tensorQTL's map_independent (the GTEx procedure): forward, add the
   * best variant to the covariates and rescan while its pval_beta ≤ threshold; backward, drop each selected
   * variant in turn, rescan with the others as covariates and keep the best variant (rank = its forward step)
   * when it passes. The first forward row is the permutation pass's lead variant, kept as tensorQTL keeps
   * the cis_df row.
   */
  private independent(
    id: string,
    tss: number,
    view: WindowView,
    raw: Float64Array,
    y: Float64Array,
    yNorm: number,
    threshold: number,
  ): { rows: IndependentRow[]; forward: string[] } {
    const first = this.scan(view, raw, this.residualizer, y, yNorm);
    const forward: { v: number; row: PermutationRow }[] = [
      { v: first.best, row: this.permutationRow(id, tss, view, first, this.dof) },
    ];
    for (;;) {
      const selected = forward.map((f) => f.v);
      if (selected.length >= view.V) break;
      const c = this.conditioned(view, selected, raw);
      if (!(c.yNorm > 0) || c.dof < 1) break;
      const scan = this.scan(c.view, raw, c.resid, c.y, c.yNorm);
      if (c.view.norm[scan.best] === 0) break; // nothing left that is not collinear with the selected
      const row = this.permutationRow(id, tss, c.view, scan, c.dof);
      if (!(row.pvalBeta <= threshold)) break;
      forward.push({ v: scan.best, row });
    }
    const forwardIds = forward.map((f) => f.row.variantId);
    if (forward.length === 1) return { rows: [{ ...forward[0].row, rank: 1 }], forward: forwardIds };
    const out: IndependentRow[] = [];
    const seen = new Set<number>();
    forward.forEach((_, k) => {
      const others = forward.filter((__, j) => j !== k).map((f) => f.v);
      const c = this.conditioned(view, others, raw);
      const scan = this.scan(c.view, raw, c.resid, c.y, c.yNorm);
      const row = this.permutationRow(id, tss, c.view, scan, c.dof);
      if (row.pvalBeta <= threshold && !seen.has(scan.best)) {
        seen.add(scan.best);
        out.push({ ...row, rank: k + 1 });
      }
    });
    return { rows: out, forward: forwardIds };
  }
}

/** cis window on 1-based positions: TSS = start + 1; [TSS − w, TSS + w], or [TSS − w, end + w] for wider features. */
export function cisWindow(
  ph: Pick<CisPhenotypes, 'start' | 'end'>,
  i: number,
  w: number,
): { tss: number; lo: number; hi: number } {
  const tss = ph.start[i] + 1;
  return { tss, lo: Math.max(1, tss - w), hi: (ph.end[i] - ph.start[i] > 1 ? ph.end[i] : tss) + w };
}

/**
 * For a slice of the phenotype order starting at `from`: the largest window end among the phenotypes before
 * it on the same chromosome (their windows counted those variants), else 0.
 */
export function countedThrough(ph: CisPhenotypes, order: ArrayLike<number>, from: number, w: number): number {
  if (from === 0) return 0;
  const chr = canonicalChrom(ph.chr[order[from]]);
  let max = 0;
  for (let j = from - 1; j >= 0 && canonicalChrom(ph.chr[order[j]]) === chr; j--)
    max = Math.max(max, cisWindow(ph, order[j], w).hi);
  return max;
}

function dot(a: Float64Array, ao: number, b: Float64Array, bo: number, n: number): number {
  let s = 0;
  for (let k = 0; k < n; k++) s += a[ao + k] * b[bo + k];
  return s;
}

/**
 * The mapping order of phenotypes: by chromosome (canonical names, natural order), then start, then ID.
 * `--chunk k/N` slices this order, so chunks are contiguous stretches of the genome.
 */
export function phenotypeOrder(ph: Pick<CisPhenotypes, 'chr' | 'start' | 'phenotypeId'>): Int32Array {
  const chr = ph.chr.map(canonicalChrom);
  const idx = Array.from({ length: chr.length }, (_, i) => i);
  idx.sort(
    (a, b) =>
      compareChrom(chr[a], chr[b]) ||
      ph.start[a] - ph.start[b] ||
      (ph.phenotypeId[a] < ph.phenotypeId[b] ? -1 : ph.phenotypeId[a] > ph.phenotypeId[b] ? 1 : 0),
  );
  return Int32Array.from(idx);
}

/** Phenotype row indices grouped by chromosome (canonical names), each in mapping order (`phenotypeOrder`). */
export function phenotypesByChromosome(
  ph: Pick<CisPhenotypes, 'chr' | 'start' | 'phenotypeId'>,
): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const i of phenotypeOrder(ph)) {
    const c = canonicalChrom(ph.chr[i]);
    const list = out.get(c) ?? [];
    list.push(i);
    out.set(c, list);
  }
  return out;
}

/** Chunk k (1-based) of N of m ordered phenotypes, as [from, to): contiguous, sizes differing by at most one. */
export function chunkSlice(m: number, k: number, N: number): [number, number] {
  return [Math.floor(((k - 1) * m) / N), Math.floor((k * m) / N)];
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
