/**
 * The `trans` stage: every variant against every phenotype, as tensorQTL's map_trans. Phenotypes are
 * residualized on [1, covariates] and scaled to unit norm once; genotypes stream through in batches of B
 * variants, each residualized and scaled (prepareVariant, the cis stage's), so a batch's correlations with all
 * phenotypes are one matrix product (B × n by n × P) through the GEMM backend. Pairs with r² at or above the
 * r² that the p threshold corresponds to (t² = dof·r²/(1 − r²), dof = n − 2 − k) get their exact p-value and
 * are handed on; pairs within `cisExclude` of the phenotype's TSS on the same chromosome are left out. Memory
 * is the batch and the phenotypes, never the output.
 *
 * Permutations (optional, tensorQTL's map_permutations for a genome-wide FDR): the same S shuffles of the samples
 * for every phenotype; for each phenotype and shuffle the maximum trans r² over all variants, from the same
 * batches (one more product with the shuffled phenotypes); then each phenotype's top trans association gets an
 * empirical and a beta-approximated p-value (the cis stage's beta approximation), and q-values across phenotypes.
 */
import betaincinv from '@stdlib/math-base-special-betaincinv';
import { canonicalChrom } from '../../io/genome.js';
import type { GenotypeReader } from '../../io/genotypes/types.js';
import { gemmBackend } from '../../linalg/gemm.js';
import type { GemmBackend } from '../../linalg/gemm.js';
import type { Residualizer } from '../../linalg/residualize.js';
import { betaApproximation } from '../../stats/beta-approx.js';
import type { BetaApprox } from '../../stats/beta-approx.js';
import { pvalFromR2 } from '../../stats/pvalue.js';
import { permutationIndices } from '../cis/index.js';
import { prepareVariant } from '../cis/window.js';

export interface TransPhenotypes {
  chr: string[];
  /** 0-based start (TSS = start + 1). */
  start: Int32Array;
  phenotypeId: string[];
  /** Phenotypes × analysis samples, row-major. */
  values: Float64Array;
}

export interface TransOptions {
  /** Variants per batch. */
  batchSize: number;
  pvalThreshold: number;
  /** Pairs on the same chromosome within this distance of the TSS are not trans (0: keep all). */
  cisExclude: number;
  mafMin: number;
  /** Shuffles for the genome-wide permutation FDR (0: none). */
  permutations: number;
  seed: number;
}

/** A batch of trans pairs (columns of the trans table). */
export interface TransBatch {
  length: number;
  variantId: string[];
  phenotypeId: string[];
  pval: Float64Array;
  b: Float64Array;
  bSe: Float64Array;
  r2: Float64Array;
  af: Float64Array;
  variantChr: string[];
  variantPos: Int32Array;
  phenotypeChr: string[];
  phenotypeTss: Int32Array;
}

export interface TransStats {
  variantsRead: number;
  variantsTested: number;
  variantsSkipped: {
    monomorphic: number;
    belowMaf: number;
    multiallelic: number;
    collinearWithCovariates: number;
  };
  phenotypesTested: number;
  constantPhenotypes: string[];
  pairsTested: number;
  pairsExcludedCis: number;
  pairsReported: number;
  gemmSeconds: number;
  gemmFlops: number;
}

export interface TransTopRow extends BetaApprox {
  phenotypeId: string;
  numVar: number;
  variantId: string;
  af: number;
  pvalNominal: number;
  b: number;
  bSe: number;
  pvalPerm: number;
}

/** The r² above which a pair's two-sided t-test p-value is ≤ p (dof residual degrees of freedom). */
export function r2Threshold(p: number, dof: number): number {
  if (!(p < 1)) return 0;
  return 1 - betaincinv(p, dof / 2, 0.5);
}

export class TransMapper {
  readonly stats: TransStats;
  readonly gemm: GemmBackend = gemmBackend();
  readonly dof: number;
  private readonly n: number;
  /** Tested phenotypes: indices into the input, unit-norm residuals, residual norms. */
  private readonly rows: Int32Array;
  private readonly y: Float64Array;
  private readonly yNorm: Float64Array;
  /** Phenotype indices (into `rows`) by canonical chromosome, sorted by TSS, for the cis exclusion. */
  private readonly byChr = new Map<string, { tss: Int32Array; col: Int32Array }>();
  /** Best trans r² per phenotype (and where), for the permutation table. */
  private readonly best: { r2: number; r: number; variant: string; af: number; gNorm: number }[];
  /** Shuffled phenotypes scaled by their residual norm ((S·P) × n), and the per-shuffle maxima (P × S). */
  private readonly permY: Float64Array | undefined;
  private readonly r2Perm: Float64Array | undefined;

  constructor(
    private readonly reader: GenotypeReader,
    private readonly genotypeIndex: Int32Array,
    private readonly residualizer: Residualizer,
    k: number,
    private readonly ph: TransPhenotypes,
    private readonly options: TransOptions,
  ) {
    const n = genotypeIndex.length;
    this.n = n;
    this.dof = n - 2 - k;
    const nPh = ph.phenotypeId.length;
    const rows: number[] = [];
    const ys: Float64Array[] = [];
    const norms: number[] = [];
    const constant: string[] = [];
    for (let i = 0; i < nPh; i++) {
      const raw = ph.values.subarray(i * n, (i + 1) * n);
      const y = Float64Array.from(raw);
      residualizer.residualize(y);
      let yy = 0;
      let rr = 0;
      for (let j = 0; j < n; j++) {
        yy += y[j] * y[j];
        rr += raw[j] * raw[j];
      }
      const norm = Math.sqrt(yy);
      if (!(norm > 1e-10 * Math.sqrt(rr) && norm > 0)) {
        constant.push(ph.phenotypeId[i]);
        continue;
      }
      for (let j = 0; j < n; j++) y[j] /= norm;
      rows.push(i);
      ys.push(y);
      norms.push(norm);
    }
    this.rows = Int32Array.from(rows);
    this.y = new Float64Array(rows.length * n);
    ys.forEach((y, c) => this.y.set(y, c * n));
    this.yNorm = Float64Array.from(norms);
    const chrCols = new Map<string, number[]>();
    rows.forEach((i, c) => {
      const chr = canonicalChrom(ph.chr[i]);
      const list = chrCols.get(chr) ?? [];
      list.push(c);
      chrCols.set(chr, list);
    });
    for (const [chr, cols] of chrCols) {
      cols.sort((a, b) => ph.start[rows[a]] - ph.start[rows[b]]);
      this.byChr.set(chr, {
        tss: Int32Array.from(cols, (c) => ph.start[rows[c]] + 1),
        col: Int32Array.from(cols),
      });
    }
    this.best = rows.map(() => ({ r2: -1, r: 0, variant: '', af: NaN, gNorm: NaN }));
    this.stats = {
      variantsRead: 0,
      variantsTested: 0,
      variantsSkipped: { monomorphic: 0, belowMaf: 0, multiallelic: 0, collinearWithCovariates: 0 },
      phenotypesTested: rows.length,
      constantPhenotypes: constant,
      pairsTested: 0,
      pairsExcludedCis: 0,
      pairsReported: 0,
      gemmSeconds: 0,
      gemmFlops: 0,
    };
    const S = options.permutations;
    if (S > 0) {
      // as the cis permutation pass: the raw phenotype, centred, is shuffled; ĝ·res(πy) = ĝ·πy because ĝ is a
      // residual, so only the residual norm of each shuffle is needed
      const P = rows.length;
      const perms = permutationIndices(n, S, options.seed);
      this.permY = new Float64Array(S * P * n);
      const z = new Float64Array(n);
      rows.forEach((i, c) => {
        const raw = ph.values.subarray(i * n, (i + 1) * n);
        let mean = 0;
        for (let j = 0; j < n; j++) mean += raw[j];
        mean /= n;
        for (let s = 0; s < S; s++) {
          for (let j = 0; j < n; j++) z[j] = raw[perms[s * n + j]] - mean;
          const centred = Float64Array.from(z);
          residualizer.residualize(z);
          let ss = 0;
          for (let j = 0; j < n; j++) ss += z[j] * z[j];
          const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
          const off = (s * P + c) * n;
          for (let j = 0; j < n; j++) this.permY![off + j] = centred[j] * inv;
        }
      });
      this.r2Perm = new Float64Array(P * S);
    }
  }

  /** Phenotype columns within the cis exclusion distance of a variant. */
  private cisColumns(chr: string, pos: number): Int32Array | undefined {
    const w = this.options.cisExclude;
    if (!(w > 0)) return undefined;
    const c = this.byChr.get(chr);
    if (!c) return undefined;
    let lo = 0;
    let hi = c.tss.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (c.tss[mid] < pos - w) lo = mid + 1;
      else hi = mid;
    }
    let end = lo;
    while (end < c.tss.length && c.tss[end] <= pos + w) end++;
    return end > lo ? c.col.subarray(lo, end) : undefined;
  }

  /** Streams every variant through; `emit` receives the reported pairs batch by batch. */
  async map(emit: (batch: TransBatch) => void, progress?: (variantsRead: number) => void): Promise<void> {
    const n = this.n;
    const B = Math.max(1, this.options.batchSize);
    const P = this.rows.length;
    const g = new Float64Array(B * n);
    const gNorm = new Float64Array(B);
    const af = new Float64Array(B);
    const ids: string[] = new Array<string>(B);
    const chrs: string[] = new Array<string>(B);
    const pos = new Int32Array(B);
    const x = new Float64Array(n);
    const R = new Float64Array(B * P);
    let filled = 0;
    const run = () => {
      if (filled) this.batch(g, gNorm, af, ids, chrs, pos, filled, R, emit);
      filled = 0;
    };
    for await (const block of this.reader.iterBlocks({ size: 4096 })) {
      const N = block.nSamples;
      for (let v = 0; v < block.variants.pos.length; v++) {
        this.stats.variantsRead++;
        if (block.variants.alt[v].includes(',')) {
          this.stats.variantsSkipped.multiallelic++;
          continue;
        }
        const prep = prepareVariant(
          block.dosages.subarray(v * N, (v + 1) * N),
          this.genotypeIndex,
          this.residualizer,
          { mafMin: this.options.mafMin, maSamplesMin: 0 },
          x,
        );
        if (prep.status !== 'ok') {
          this.stats.variantsSkipped[prep.status]++;
          continue;
        }
        const inv = 1 / prep.norm;
        for (let j = 0; j < n; j++) g[filled * n + j] = x[j] * inv;
        gNorm[filled] = prep.norm;
        af[filled] = prep.af;
        const chr = canonicalChrom(block.variants.chr[v]);
        chrs[filled] = chr;
        pos[filled] = block.variants.pos[v];
        ids[filled] = block.variants.id[v] === '.' ? `${chr}:${block.variants.pos[v]}` : block.variants.id[v];
        filled++;
        this.stats.variantsTested++;
        if (filled === B) run();
      }
      progress?.(this.stats.variantsRead);
    }
    run();
  }

  private batch(
    g: Float64Array,
    gNorm: Float64Array,
    af: Float64Array,
    ids: string[],
    chrs: string[],
    pos: Int32Array,
    m: number,
    R: Float64Array,
    emit: (batch: TransBatch) => void,
  ): void {
    const n = this.n;
    const P = this.rows.length;
    const t0 = process.hrtime.bigint();
    this.gemm.gemmABt(g, m, this.y, P, n, R);
    this.stats.gemmSeconds += Number(process.hrtime.bigint() - t0) / 1e9;
    this.stats.gemmFlops += 2 * m * P * n;
    const thr = r2Threshold(this.options.pvalThreshold, this.dof) * (1 - 1e-12);
    // pairs go out in chunks of a fixed size, so memory does not depend on how many pass the threshold
    const CHUNK = 8192;
    const fresh = (): TransBatch => ({
      length: 0,
      variantId: [],
      phenotypeId: [],
      pval: new Float64Array(CHUNK),
      b: new Float64Array(CHUNK),
      bSe: new Float64Array(CHUNK),
      r2: new Float64Array(CHUNK),
      af: new Float64Array(CHUNK),
      variantChr: [],
      variantPos: new Int32Array(CHUNK),
      phenotypeChr: [],
      phenotypeTss: new Int32Array(CHUNK),
    });
    let out = fresh();
    const send = () => {
      this.stats.pairsReported += out.length;
      if (out.length) emit(out);
      out = fresh();
    };
    const excluded = new Uint8Array(P);
    for (let v = 0; v < m; v++) {
      const cis = this.cisColumns(chrs[v], pos[v]);
      if (cis) for (const c of cis) excluded[c] = 1;
      const row = v * P;
      this.stats.pairsTested += P - (cis?.length ?? 0);
      this.stats.pairsExcludedCis += cis?.length ?? 0;
      for (let c = 0; c < P; c++) {
        if (excluded[c]) continue;
        const r = R[row + c];
        const r2 = Math.min(1, r * r);
        if (r2 > this.best[c].r2) this.best[c] = { r2, r, variant: ids[v], af: af[v], gNorm: gNorm[v] };
        if (r2 < thr) continue;
        const p = pvalFromR2(r2, this.dof);
        if (!(p <= this.options.pvalThreshold)) continue;
        if (out.length === CHUNK) send();
        const k = out.length++;
        const i = this.rows[c];
        const slope = (r * this.yNorm[c]) / gNorm[v];
        const t = Math.sqrt((this.dof * r2) / (1 - r2));
        out.variantId.push(ids[v]);
        out.phenotypeId.push(this.ph.phenotypeId[i]);
        out.pval[k] = p;
        out.b[k] = slope;
        out.bSe[k] = Math.abs(slope) / t;
        out.r2[k] = r2;
        out.af[k] = af[v];
        out.variantChr.push(chrs[v]);
        out.variantPos[k] = pos[v];
        out.phenotypeChr.push(this.ph.chr[i]);
        out.phenotypeTss[k] = this.ph.start[i] + 1;
      }
      if (cis) for (const c of cis) excluded[c] = 0;
    }
    send();
    if (this.permY) this.permutationBatch(g, m, chrs, pos);
  }

  /** Per-shuffle maxima of r² over this batch's trans pairs, for every phenotype. */
  private permutationBatch(g: Float64Array, m: number, chrs: string[], pos: Int32Array): void {
    const n = this.n;
    const P = this.rows.length;
    const S = this.options.permutations;
    // shuffles in chunks, so that the product stays within ~4 M values
    const per = Math.max(1, Math.floor((1 << 22) / Math.max(1, m * P)));
    const R = new Float64Array(m * Math.min(S, per) * P);
    const cis = Array.from({ length: m }, (_, v) => this.cisColumns(chrs[v], pos[v]));
    for (let s0 = 0; s0 < S; s0 += per) {
      const cnt = Math.min(per, S - s0);
      const cols = cnt * P;
      const t0 = process.hrtime.bigint();
      this.gemm.gemmABt(g, m, this.permY!.subarray(s0 * P * n, (s0 + cnt) * P * n), cols, n, R);
      this.stats.gemmSeconds += Number(process.hrtime.bigint() - t0) / 1e9;
      this.stats.gemmFlops += 2 * m * cols * n;
      for (let v = 0; v < m; v++) {
        const row = v * cols;
        const c0 = cis[v];
        if (c0) for (let s = 0; s < cnt; s++) for (const c of c0) R[row + s * P + c] = 0;
        for (let s = 0; s < cnt; s++)
          for (let c = 0; c < P; c++) {
            const r = R[row + s * P + c];
            const x = r * r;
            const at = c * S + s0 + s;
            if (x > this.r2Perm![at]) this.r2Perm![at] = x;
          }
      }
    }
  }

  /** Each phenotype's top trans association with its permutation and beta-approximated p-values. */
  topAssociations(): TransTopRow[] {
    if (!this.r2Perm) return [];
    const S = this.options.permutations;
    const out: TransTopRow[] = [];
    this.rows.forEach((i, c) => {
      const b = this.best[c];
      if (b.r2 < 0) return;
      const r2Perm = this.r2Perm!.slice(c * S, (c + 1) * S);
      for (let s = 0; s < S; s++) r2Perm[s] = Math.min(1, r2Perm[s]);
      let hits = 0;
      for (const x of r2Perm) if (x >= b.r2) hits++;
      const beta = betaApproximation(r2Perm, b.r2, this.dof);
      const slope = (b.r * this.yNorm[c]) / b.gNorm;
      const t = Math.sqrt((this.dof * b.r2) / (1 - b.r2));
      out.push({
        phenotypeId: this.ph.phenotypeId[i],
        numVar: this.stats.variantsTested,
        ...beta,
        variantId: b.variant,
        af: b.af,
        pvalNominal: pvalFromR2(b.r2, this.dof),
        b: slope,
        bSe: Math.abs(slope) / t,
        pvalPerm: (hits + 1) / (S + 1),
      });
    });
    return out;
  }
}
