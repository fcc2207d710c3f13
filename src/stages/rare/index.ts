/**
 * The `rare` stage: gene-based tests of the rare variants (0 < MAF ≤ maf-max) in a window around each gene's TSS,
 * with the covariates, on the cis stage's residualized genotype window (window.ts: each variant read and
 * residualized once per chromosome).
 *
 * - Burden: per weight column, the burden bᵢ = agg_j(w_j·g̃ᵢⱼ) of the minor-allele dosages g̃ (sum, mean over the
 *   variants, or max), tested in y ~ b + covariates: Wald t (dof = n − 2 − k, as cis) and the likelihood-ratio test
 *   LR = −n·log(1 − r²) against χ²₁. For sum and mean the residual of b is Σ w_j·ĝ_j (scaled), so no extra
 *   residualization; max needs the raw dosages and is residualized once.
 * - SKAT (Wu et al. 2011) as the SKAT R package's linear-trait test (`SKAT(Z, obj, kernel = "linear.weighted",
 *   weights.beta = c(1, 25))`): Z = G·diag(w) with w = dbeta(MAF, 1, 25) on the sample MAF, so the kernel weight
 *   is w² (cellink passes √w to the same kernel, i.e. weight w: `skatWeights: 'cellink'`); Q = ‖Zᵀr‖²/(2s²) with r
 *   the null-model residuals and s² = ‖r‖²/(n − rank[1, C]); the null distribution Σ λⱼ χ²₁ with λ the eigenvalues of
 *   ZᵀP₀Z/2 (those above mean/1e5, as Get_Lambda); p by Davies with SKAT's Liu fallback (stats/quadform.ts).
 * - ACAT: the per-weight burden (Wald) p-values and the SKAT p-value of a gene combined by the Cauchy combination.
 */
import { canonicalChrom } from '../../io/genome.js';
import type { GenotypeReader } from '../../io/genotypes/types.js';
import { symmetricEigen } from '../../linalg/eigen.js';
import type { Residualizer } from '../../linalg/residualize.js';
import { acat } from '../../stats/acat.js';
import { pvalFromR2 } from '../../stats/pvalue.js';
import { chisqUpper, skatPvalue } from '../../stats/quadform.js';
import { mafBeta } from '../annotate/index.js';
import { cisWindow, phenotypeOrder } from '../cis/index.js';
import type { CisPhenotypes } from '../cis/index.js';
import { GenotypeWindow, emptyVariantCounts } from '../cis/window.js';
import type { VariantCounts } from '../cis/window.js';

export type RareTest = 'burden' | 'skat' | 'acat';
export type BurdenAgg = 'sum' | 'mean' | 'max';

export interface RareOptions {
  window: number;
  mafMax: number;
  /** Burden weight columns: 'maf_beta' (computed from the sample MAF), 'none' (1), or annotation columns. */
  weights: string[];
  agg: BurdenAgg;
  tests: Set<RareTest>;
  /** SKAT's w² kernel weights (the R package) or cellink's w. */
  skatWeights: 'skat' | 'cellink';
  /** Beta(a1, a2) of the SKAT weights. */
  betaParams: [number, number];
}

/** Annotation weights of the variants of one gene: variant ID → one value per annotation weight column. */
export type GeneAnnotations = Map<string, Float64Array>;

/** Looks up a gene's annotations (phenotype IDs may carry an Ensembl version, VEP's Gene has none). */
export interface AnnotationSource {
  /** Weight columns it provides, in the order of the arrays. */
  columns: string[];
  gene(phenotypeId: string): GeneAnnotations | undefined;
}

export interface RareRow {
  phenotypeId: string;
  chr: string;
  tss: number;
  test: RareTest;
  weights: string;
  agg: string;
  numVar: number;
  numCarriers: number;
  mac: number;
  beta: number;
  betaSe: number;
  stat: number;
  pval: number;
  pvalLrt: number;
  pvalMethod: string;
  variants: string;
}

export interface RareStats {
  variants: VariantCounts;
  genesTested: number;
  genesNoVariants: number;
  genesConstant: number;
  skatDavies: number;
  skatLiu: number;
}

/** Wald and likelihood-ratio tests of y ~ b + covariates, from the residualized b̂ and ŷ (raw norms). */
export function burdenTest(
  b: Float64Array,
  y: Float64Array,
  dof: number,
): { beta: number; se: number; pval: number; lrt: number; pvalLrt: number } {
  const n = y.length;
  let bb = 0;
  let by = 0;
  let yy = 0;
  for (let j = 0; j < n; j++) {
    bb += b[j] * b[j];
    by += b[j] * y[j];
    yy += y[j] * y[j];
  }
  if (!(bb > 0) || !(yy > 0)) return { beta: NaN, se: NaN, pval: NaN, lrt: NaN, pvalLrt: NaN };
  const r2 = Math.min(1, (by * by) / (bb * yy));
  const beta = by / bb;
  const t2 = (dof * r2) / (1 - r2);
  const lrt = -n * Math.log1p(-r2);
  return {
    beta,
    se: Math.abs(beta) / Math.sqrt(t2),
    pval: pvalFromR2(r2, dof),
    lrt,
    pvalLrt: chisqUpper(lrt, 1),
  };
}

/**
 * SKAT's Q and eigenvalues from the residualized genotypes ĝ (m rows of length n), the weights of Z and the
 * residualized phenotype ŷ; `resDf` = n − rank of [1, covariates].
 */
export function skatStatistic(
  g: Float64Array,
  m: number,
  n: number,
  zWeights: Float64Array,
  y: Float64Array,
  resDf: number,
): { q: number; lambda: Float64Array } {
  let yy = 0;
  for (let j = 0; j < n; j++) yy += y[j] * y[j];
  const s2 = yy / resDf;
  const score = new Float64Array(m);
  for (let v = 0; v < m; v++) {
    let s = 0;
    const off = v * n;
    for (let j = 0; j < n; j++) s += g[off + j] * y[j];
    score[v] = zWeights[v] * s;
  }
  let q = 0;
  for (let v = 0; v < m; v++) q += score[v] * score[v];
  q /= 2 * s2;
  // ZᵀP₀Z/2, m × m (ĝ already is P₀g)
  const K = new Float64Array(m * m);
  for (let a = 0; a < m; a++)
    for (let b = a; b < m; b++) {
      let s = 0;
      const oa = a * n;
      const ob = b * n;
      for (let j = 0; j < n; j++) s += g[oa + j] * g[ob + j];
      K[a * m + b] = K[b * m + a] = (zWeights[a] * zWeights[b] * s) / 2;
    }
  return { q, lambda: skatLambda(symmetricEigen(K, m).values) };
}

/** SKAT's Get_Lambda: the eigenvalues above mean(non-negative eigenvalues)/1e5. */
export function skatLambda(values: Float64Array): Float64Array {
  let sum = 0;
  let count = 0;
  for (const v of values)
    if (v >= 0) {
      sum += v;
      count++;
    }
  const cut = count ? sum / count / 100_000 : Infinity;
  return values.filter((v) => v > cut);
}

export class RareMapper {
  readonly stats: RareStats;
  private readonly window: GenotypeWindow;
  private readonly n: number;
  private readonly dof: number;
  private readonly resDf: number;

  constructor(
    reader: GenotypeReader,
    genotypeIndex: Int32Array,
    private readonly residualizer: Residualizer,
    k: number,
    private readonly options: RareOptions,
    private readonly annotations?: AnnotationSource,
  ) {
    this.n = genotypeIndex.length;
    this.dof = this.n - 2 - k;
    this.resDf = this.n - residualizer.rank;
    this.stats = {
      variants: emptyVariantCounts(),
      genesTested: 0,
      genesNoVariants: 0,
      genesConstant: 0,
      skatDavies: 0,
      skatLiu: 0,
    };
    this.window = new GenotypeWindow(
      reader,
      genotypeIndex,
      residualizer,
      { mafMin: 0, maSamplesMin: 0 },
      this.stats.variants,
      4096,
      true, // raw dosages: carriers, and the max burden
    );
  }

  /** Tests every phenotype (in `phenotypeOrder`), handing each gene's rows to `emit`. */
  async map(
    ph: CisPhenotypes,
    emit: (rows: RareRow[]) => void,
    progress?: (done: number) => void,
  ): Promise<void> {
    const n = this.n;
    const o = this.options;
    let chr: string | undefined;
    const y = new Float64Array(n);
    const order = phenotypeOrder(ph);
    for (let idx = 0; idx < order.length; idx++) {
      const i = order[idx];
      const c = canonicalChrom(ph.chr[i]);
      if (c !== chr) {
        this.window.reset(c);
        chr = c;
      }
      const id = ph.phenotypeId[i];
      const { tss, lo, hi } = cisWindow(ph, i, o.window);
      const [first, end] = await this.window.range(lo, hi);
      const raw = ph.values.subarray(i * n, (i + 1) * n);
      y.set(raw);
      this.residualizer.residualize(y);
      let yy = 0;
      for (let j = 0; j < n; j++) yy += y[j] * y[j];
      progress?.(idx + 1);
      if (!(yy > 1e-20)) {
        this.stats.genesConstant++;
        continue;
      }
      const rows = this.testGene(id, ph.chr[i], tss, first, end, y);
      if (rows.length === 0) this.stats.genesNoVariants++;
      else {
        this.stats.genesTested++;
        emit(rows);
      }
    }
  }

  private testGene(
    id: string,
    chr: string,
    tss: number,
    first: number,
    end: number,
    y: Float64Array,
  ): RareRow[] {
    const n = this.n;
    const o = this.options;
    const win = this.window;
    const ann = this.annotations?.gene(id);
    // the gene's rare variants (annotated for it, when annotations are given)
    const rows: number[] = [];
    for (let r = first; r < end; r++) {
      const maf = Math.min(win.af[r], 1 - win.af[r]);
      if (!(maf > 0 && maf <= o.mafMax)) continue;
      if (this.annotations && !ann?.has(win.id[r])) continue;
      rows.push(r);
    }
    const m = rows.length;
    if (m === 0) return [];
    // residualized minor-allele dosages ĝ (raw scale) and the sample MAF
    const g = new Float64Array(m * n);
    const maf = new Float64Array(m);
    const sign = new Float64Array(m);
    rows.forEach((r, v) => {
      sign[v] = win.af[r] > 0.5 ? -1 : 1;
      maf[v] = Math.min(win.af[r], 1 - win.af[r]);
      const s = sign[v] * win.norm[r];
      for (let j = 0; j < n; j++) g[v * n + j] = win.g[r * n + j] * s;
    });
    // carriers and minor-allele count (dosages rounded, as cis ma_samples / ma_count)
    let numCarriers = 0;
    let mac = 0;
    for (let v = 0; v < m; v++) mac += win.maCount[rows[v]];
    const carrier = new Uint8Array(n);
    const raw = win.raw!;
    for (const r of rows) {
      const minorAlt = win.af[r] <= 0.5;
      for (let j = 0; j < n; j++) {
        const d = Math.round(raw[r * n + j]);
        if ((minorAlt ? d : 2 - d) > 0) carrier[j] = 1;
      }
    }
    for (let j = 0; j < n; j++) numCarriers += carrier[j];
    const variantIds = rows.map((r) => win.id[r]).join(',');
    const base = { phenotypeId: id, chr, tss, numVar: m, numCarriers, mac, variants: variantIds };
    const out: RareRow[] = [];
    const betaW = Float64Array.from(maf, (x) => mafBeta(x, o.betaParams[0], o.betaParams[1]));

    const burdenP: number[] = [];
    if (o.tests.has('burden') || o.tests.has('acat')) {
      for (const wname of o.weights) {
        const w = this.weightsOf(wname, rows, betaW, ann);
        const b = this.burden(g, rows, sign, w, m);
        const t = burdenTest(b, y, this.dof);
        burdenP.push(t.pval);
        if (o.tests.has('burden'))
          out.push({
            ...base,
            test: 'burden',
            weights: wname,
            agg: o.agg,
            beta: t.beta,
            betaSe: t.se,
            stat: t.lrt,
            pval: t.pval,
            pvalLrt: t.pvalLrt,
            pvalMethod: 'wald',
          });
      }
    }
    let skatP = NaN;
    if (o.tests.has('skat') || o.tests.has('acat')) {
      const zw = Float64Array.from(betaW, (w) => (o.skatWeights === 'skat' ? w : Math.sqrt(w)));
      const s = skatStatistic(g, m, n, zw, y, this.resDf);
      const p = s.lambda.length
        ? skatPvalue(s.q, s.lambda)
        : { p: NaN, method: 'davies' as const, davies: NaN, ifault: 0, liu: NaN };
      skatP = p.p;
      if (p.method === 'davies') this.stats.skatDavies++;
      else this.stats.skatLiu++;
      if (o.tests.has('skat'))
        out.push({
          ...base,
          test: 'skat',
          weights: `beta(${o.betaParams.join(',')})${o.skatWeights === 'cellink' ? ' sqrt' : ''}`,
          agg: '',
          beta: NaN,
          betaSe: NaN,
          stat: s.q,
          pval: p.p,
          pvalLrt: NaN,
          pvalMethod: p.method,
        });
    }
    if (o.tests.has('acat')) {
      const r = acat([...burdenP, skatP]);
      out.push({
        ...base,
        test: 'acat',
        weights: [...o.weights.map((w) => `burden:${w}`), 'skat'].join(','),
        agg: o.agg,
        beta: NaN,
        betaSe: NaN,
        stat: r.stat,
        pval: r.p,
        pvalLrt: NaN,
        pvalMethod: 'cauchy',
      });
    }
    return out;
  }

  private weightsOf(name: string, rows: number[], betaW: Float64Array, ann?: GeneAnnotations): Float64Array {
    if (name === 'maf_beta') return betaW;
    if (name === 'none') return new Float64Array(rows.length).fill(1);
    const col = this.annotations!.columns.indexOf(name);
    return Float64Array.from(rows, (r) => ann!.get(this.window.id[r])![col]);
  }

  /** Residual of the burden (variants with a NaN weight left out). */
  private burden(
    g: Float64Array,
    rows: number[],
    sign: Float64Array,
    w: Float64Array,
    m: number,
  ): Float64Array {
    const n = this.n;
    const b = new Float64Array(n);
    let used = 0;
    for (let v = 0; v < m; v++) if (Number.isFinite(w[v])) used++;
    if (used === 0) return b;
    if (this.options.agg !== 'max') {
      const scale = this.options.agg === 'mean' ? 1 / used : 1;
      for (let v = 0; v < m; v++) {
        if (!Number.isFinite(w[v]) || w[v] === 0) continue;
        const c = w[v] * scale;
        for (let j = 0; j < n; j++) b[j] += c * g[v * n + j];
      }
      return b;
    }
    // max: per sample, the largest weighted minor-allele dosage, then residualized
    const raw = this.window.raw!;
    b.fill(0);
    for (let v = 0; v < m; v++) {
      if (!Number.isFinite(w[v])) continue;
      const r = rows[v];
      for (let j = 0; j < n; j++) {
        const d = sign[v] > 0 ? raw[r * n + j] : 2 - raw[r * n + j];
        const x = w[v] * d;
        if (x > b[j]) b[j] = x;
      }
    }
    this.residualizer.residualize(b);
    return b;
  }
}
