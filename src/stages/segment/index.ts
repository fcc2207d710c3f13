/**
 * The `segment` stage: SegmentQTL's segmentation-aware allele-specific QTL mapping over its input files, one
 * chromosome at a time (the genotypes of one chromosome are in memory at once, never the genome).
 *
 * - `nominal`: every gene × cis-window variant fit (model.ts);
 * - `perm`: the lead variant per gene with a Freedman–Lane permutation p-value and its beta approximation, or
 *   SegmentQTL's gene-swap scheme for parity (permute.ts); q-values over genes;
 * - `finemap`: the missing-aware elastic net with stability selection (elasticnet.ts);
 * - `validate`: the fine-mapping model of a discovery cohort scored on an independent cohort.
 * `negControl` tests each gene against the variants of the next chromosome (chr1 … chr22, chrX, wrapping), without
 * the segment filter (meaningless across chromosomes), as SegmentQTL's `--neg_control`.
 */
import { InputError } from '../../io/errors.js';
import { canonicalChrom, compareChrom } from '../../io/genome.js';
import { readAlleleGenotypes } from '../../io/segmentqtl.js';
import type {
  AlleleGenotypes,
  GeneMatrix,
  Quantifications,
  SampleCovariates,
  Segmentation,
} from '../../io/segmentqtl.js';
import type { GemmBackend } from '../../linalg/gemm.js';
import { Residualizer } from '../../linalg/residualize.js';
import { Rng } from '../../runner/random.js';
import { tPvalue } from '../../stats/pvalue.js';
import { estimatePi0, qvalues } from '../../stats/qvalue.js';
import { selectLambda, fitElasticNet, stabilitySelection, standardize } from './elasticnet.js';
import { fitVariant, maskBySegment } from './model.js';
import type { GeneData, VariantBasis, VariantFit } from './model.js';
import { freedmanLane, geneSwap } from './permute.js';
import type { PermutationResult } from './permute.js';

export { MIN_SAMPLES, fitVariant, maskBySegment } from './model.js';

export interface Cohort {
  quant: Quantifications;
  copynumber?: GeneMatrix;
  phenotypeCovariate?: GeneMatrix;
  covariates?: SampleCovariates;
  segmentation: Segmentation;
  genotypesDir: string;
}

export interface FinemapSettings {
  alpha: number;
  resamples: number;
  subsampleFrac: number;
  stabilityThreshold: number;
  nLambda: number;
  lambdaRatio: number;
  cvTau: number;
  coverageTau: number;
  minObsResample: number;
  folds: number;
  /** A fixed λ instead of the CV choice. */
  lambda?: number;
}

/** SegmentQTL's defaults (Finemapping.__init__). */
export const FINEMAP_DEFAULTS: FinemapSettings = {
  alpha: 0.5,
  resamples: 200,
  subsampleFrac: 0.8,
  stabilityThreshold: 0.6,
  nLambda: 30,
  lambdaRatio: 0.01,
  cvTau: 0.8,
  coverageTau: 0.6,
  minObsResample: 20,
  folds: 5,
};

export interface SegmentOptions {
  window: number;
  minSamples: number;
  segmentFilter: boolean;
  negControl: boolean;
  negControlMaxVariants: number;
  permutations: number;
  permMethod: 'freedman-lane' | 'segmentqtl';
  seed: number;
  finemap: FinemapSettings;
  gemm: GemmBackend;
  /** Only these genes. */
  phenotypes?: Set<string>;
  onGene?: (done: number, total: number) => void;
}

export interface NominalRow {
  phenotype: string;
  variant: string;
  chr: string;
  pos: number;
  fit: VariantFit;
}

export interface PermRow extends NominalRow {
  numVar: number;
  perm: PermutationResult;
  qval: number;
}

export interface FinemapRow {
  phenotype: string;
  variant: string;
  nSamples: number;
  nVariants: number;
  nObs: number;
  meanD: number;
  sdD: number;
  stability: number;
  isStable: boolean;
  meanBeta: number;
  signConsistency: number;
  lambda: number;
  betaFull: number;
  betaFullRaw: number;
}

export interface ValidationRow {
  phenotype: string;
  nSamples: number;
  nVariantsUsed: number;
  rmse: number;
  mae: number;
  r2: number;
  r2Baseline: number;
  calibrationIntercept: number;
  calibrationSlope: number;
  rho: number;
  rhoPval: number;
}

export interface SegmentCounts {
  chromosomes: string[];
  genes: number;
  genesTested: number;
  pairs: number;
  maskedEntries: number;
}

/** SegmentQTL's chromosome order for the trans negative control. */
const NEG_CONTROL_ORDER = [...Array.from({ length: 22 }, (_, i) => String(i + 1)), 'X'];

export function negControlChromosome(chr: string): string {
  const c = canonicalChrom(chr);
  const i = NEG_CONTROL_ORDER.indexOf(c);
  if (i < 0)
    throw new InputError(`chromosome '${chr}' has no successor for the negative control`, {
      expected: `one of chr1 … chr22, chrX`,
    });
  const next = NEG_CONTROL_ORDER[(i + 1) % NEG_CONTROL_ORDER.length];
  return chr.startsWith('chr') ? `chr${next}` : next;
}

/** FNV-1a of a string: per-gene seeds that do not depend on which other genes a run holds. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function geneRng(seed: number, gene: string): Rng {
  return new Rng((seed ^ hash(gene)) >>> 0);
}

/** The fixed covariates of gene `g` (copy number, phenotype covariate, sample covariates), samples × q. */
function geneData(c: Cohort, g: number): GeneData {
  const q = c.quant;
  const n = q.samples.length;
  const id = q.geneId[g];
  const blocks: Float64Array[] = [];
  for (const [m, what] of [
    [c.copynumber, 'copy number'],
    [c.phenotypeCovariate, 'phenotype covariate'],
  ] as const) {
    if (!m) continue;
    const row = m.rows.get(id);
    if (row === undefined)
      throw new InputError(`gene '${id}' has no ${what} row`, {
        file: m.file,
        expected: `a row for every gene of ${q.file}`,
        hint: `Add the gene to the ${what} file (gene_id + one value per sample; empty for missing)`,
      });
    blocks.push(m.values.subarray(row * n, (row + 1) * n));
  }
  const k = c.covariates?.names.length ?? 0;
  const qn = blocks.length + k;
  const fixed = new Float64Array(n * qn);
  for (let i = 0; i < n; i++) {
    blocks.forEach((b, j) => (fixed[i * qn + j] = b[i]));
    for (let j = 0; j < k; j++) fixed[i * qn + blocks.length + j] = c.covariates!.values[i * k + j];
  }
  return {
    id,
    chr: q.chr[g],
    start: q.start[g],
    end: q.end[g],
    y: q.values.subarray(g * n, (g + 1) * n),
    fixed,
    q: qn,
  };
}

function lowerBound(pos: Int32Array, x: number): number {
  let lo = 0;
  let hi = pos.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (pos[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface Window {
  ids: string[];
  pos: Int32Array;
  /** variants × samples, row-major, masked. */
  alt: Float64Array;
  ref: Float64Array;
  masked: number;
}

/** The gene's cis window (or its negative-control variants), with the segment filter applied. */
function geneWindow(c: Cohort, g: GeneData, geno: AlleleGenotypes, o: SegmentOptions): Window {
  const n = c.quant.samples.length;
  let rows: number[];
  if (o.negControl) {
    const V = geno.pos.length;
    rows = Array.from({ length: V }, (_, i) => i);
    if (V > o.negControlMaxVariants) {
      const perm = geneRng(o.seed, g.id).permutation(V);
      rows = Array.from(perm.subarray(0, o.negControlMaxVariants)).sort((a, b) => a - b);
    }
  } else {
    const a = lowerBound(geno.pos, g.start - o.window);
    const b = lowerBound(geno.pos, g.end + o.window + 1);
    rows = Array.from({ length: b - a }, (_, i) => a + i);
  }
  const V = rows.length;
  const alt = new Float64Array(V * n);
  const ref = new Float64Array(V * n);
  rows.forEach((r, v) => {
    alt.set(geno.alt.subarray(r * n, (r + 1) * n), v * n);
    ref.set(geno.ref.subarray(r * n, (r + 1) * n), v * n);
  });
  const pos = Int32Array.from(rows, (r) => geno.pos[r]);
  let masked = 0;
  if (o.segmentFilter && !o.negControl) {
    const chr = canonicalChrom(g.chr);
    masked = maskBySegment(
      alt,
      ref,
      pos,
      c.quant.samples,
      (s) => c.segmentation.get(s)?.get(chr),
      g.start,
      g.end,
    );
  }
  return { ids: rows.map((r) => geno.variantId[r]), pos, alt, ref, masked };
}

/** Genes by chromosome in natural order (restricted to `phenotypes` when given). */
function genesByChromosome(c: Cohort, o: SegmentOptions): [string, number[]][] {
  const by = new Map<string, number[]>();
  c.quant.geneId.forEach((id, g) => {
    if (o.phenotypes && !o.phenotypes.has(id)) return;
    const chr = c.quant.chr[g];
    if (!by.has(chr)) by.set(chr, []);
    by.get(chr)!.push(g);
  });
  if (o.phenotypes) {
    const missing = [...o.phenotypes].filter((p) => !c.quant.geneId.includes(p));
    if (missing.length)
      throw new InputError(`phenotype '${missing[0]}' is not in the quantifications`, {
        file: c.quant.file,
        hint: 'Name genes of the gene_id column in --phenotype-ids',
      });
  }
  return [...by.entries()].sort((a, b) => compareChrom(a[0], b[0]));
}

/** Runs `body` for every gene with its window, loading each chromosome's genotypes once. */
async function forEachGene(
  c: Cohort,
  o: SegmentOptions,
  counts: SegmentCounts,
  body: (g: GeneData, w: Window, index: number, chrGenes: number[]) => void,
): Promise<void> {
  const chromosomes = genesByChromosome(c, o);
  const total = chromosomes.reduce((s, [, gs]) => s + gs.length, 0);
  let done = 0;
  for (const [chr, genes] of chromosomes) {
    const genoChr = o.negControl ? negControlChromosome(chr) : chr;
    const geno = await readAlleleGenotypes(c.genotypesDir, genoChr, c.quant.samples);
    counts.chromosomes.push(chr);
    for (const g of genes) {
      const gd = geneData(c, g);
      const w = geneWindow(c, gd, geno, o);
      counts.genes++;
      counts.maskedEntries += w.masked;
      body(gd, w, g, genes);
      o.onGene?.(++done, total);
    }
  }
}

function newCounts(): SegmentCounts {
  return { chromosomes: [], genes: 0, genesTested: 0, pairs: 0, maskedEntries: 0 };
}

/** Every testable gene × variant pair. */
export async function segmentNominal(
  c: Cohort,
  o: SegmentOptions,
  write: (rows: NominalRow[]) => void,
): Promise<SegmentCounts> {
  const counts = newCounts();
  const n = c.quant.samples.length;
  await forEachGene(c, o, counts, (g, w) => {
    const rows: NominalRow[] = [];
    for (let v = 0; v < w.ids.length; v++) {
      const r = fitVariant(g, w.alt, w.ref, v * n, o.minSamples);
      if (r) rows.push({ phenotype: g.id, variant: w.ids[v], chr: g.chr, pos: w.pos[v], fit: r.fit });
    }
    if (rows.length) counts.genesTested++;
    counts.pairs += rows.length;
    write(rows);
  });
  return counts;
}

/** The window's fits; the lead is the best p-value (first on ties). */
function scanWindow(g: GeneData, w: Window, minSamples: number, n: number, y?: Float64Array) {
  const fits: { v: number; fit: VariantFit; basis: VariantBasis }[] = [];
  for (let v = 0; v < w.ids.length; v++) {
    const r = fitVariant(g, w.alt, w.ref, v * n, minSamples, y ?? g.y);
    if (r) fits.push({ v, ...r });
  }
  let lead = -1;
  fits.forEach((f, i) => {
    if (lead < 0 || f.fit.p < fits[lead].fit.p) lead = i;
  });
  return { fits, lead };
}

/** The lead variant per gene with permutation p-values; q-values (Storey) over the tested genes. */
export async function segmentPermutation(
  c: Cohort,
  o: SegmentOptions,
): Promise<{ rows: PermRow[]; counts: SegmentCounts }> {
  const counts = newCounts();
  const n = c.quant.samples.length;
  const rows: PermRow[] = [];
  await forEachGene(c, o, counts, (g, w, _index, chrGenes) => {
    const { fits, lead } = scanWindow(g, w, o.minSamples, n);
    if (lead < 0) return;
    counts.genesTested++;
    counts.pairs += fits.length;
    const best = fits[lead];
    const rng = geneRng(o.seed, g.id);
    let perm: PermutationResult;
    if (o.permMethod === 'freedman-lane') {
      perm = freedmanLane(
        g,
        fits.map((f) => f.basis),
        best.fit.p,
        best.fit.dof,
        o.permutations,
        rng,
        o.gemm,
      );
    } else {
      // SegmentQTL: other genes of the chromosome, drawn without replacement
      const others = chrGenes.filter((k) => c.quant.geneId[k] !== g.id);
      const order = rng.permutation(others.length);
      const take = Math.min(o.permutations, others.length);
      const swapped = new Float64Array(take);
      for (let j = 0; j < take; j++) {
        const k = others[order[j]];
        const s = scanWindow(g, w, o.minSamples, n, c.quant.values.subarray(k * n, (k + 1) * n));
        swapped[j] = s.lead >= 0 ? s.fits[s.lead].fit.p : NaN;
      }
      perm = geneSwap(swapped, best.fit.p);
    }
    rows.push({
      phenotype: g.id,
      variant: w.ids[best.v],
      chr: g.chr,
      pos: w.pos[best.v],
      fit: best.fit,
      numVar: fits.length,
      perm,
      qval: NaN,
    });
  });
  const p = rows.map((r) => r.perm.pvalBeta);
  const ok = rows.map((_, i) => i).filter((i) => Number.isFinite(p[i]));
  if (ok.length) {
    const sub = ok.map((i) => p[i]);
    const q = qvalues(sub, estimatePi0(sub).pi0);
    ok.forEach((i, k) => (rows[i].qval = q[k]));
  }
  return { rows, counts };
}

/** The samples of a gene with phenotype and fixed covariates. */
function geneSamples(g: GeneData): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < g.y.length; i++) {
    let ok = Number.isFinite(g.y[i]);
    for (let c = 0; ok && c < g.q; c++) ok = Number.isFinite(g.fixed[i * g.q + c]);
    if (ok) out.push(i);
  }
  return Int32Array.from(out);
}

function pick(g: GeneData, idx: Int32Array): { y: Float64Array; fixed: Float64Array } {
  const y = Float64Array.from(idx, (i) => g.y[i]);
  const fixed = new Float64Array(idx.length * g.q);
  idx.forEach((i, k) => {
    for (let c = 0; c < g.q; c++) fixed[k * g.q + c] = g.fixed[i * g.q + c];
  });
  return { y, fixed };
}

/** d = REFlr − ALTlr of window variant v on the samples `idx` (NaN where masked). */
function rawD(w: Window, v: number, idx: Int32Array, n: number): Float64Array {
  return Float64Array.from(idx, (i) => w.ref[v * n + i] - w.alt[v * n + i]);
}

/** Elastic net with stability selection per gene (SegmentQTL `finemap`). */
export async function segmentFinemap(
  c: Cohort,
  o: SegmentOptions,
  write: (rows: FinemapRow[]) => void,
): Promise<SegmentCounts> {
  const counts = newCounts();
  const n = c.quant.samples.length;
  const f = o.finemap;
  const en = { alpha: f.alpha, maxIter: 10_000, tol: 1e-9 };
  await forEachGene(c, o, counts, (g, w) => {
    const idx = geneSamples(g);
    const m = idx.length;
    if (m < o.minSamples || w.ids.length === 0) return;
    const { y, fixed } = pick(g, idx);
    const need = Math.max(o.minSamples, Math.floor(f.coverageTau * m));
    const kept: { v: number; raw: Float64Array; mean: number; sd: number; nObs: number }[] = [];
    const D = new Float64Array(w.ids.length * m);
    for (let v = 0; v < w.ids.length; v++) {
      const raw = rawD(w, v, idx, n);
      const st = standardize(raw, D, kept.length * m);
      if (st.nObs < need || !(st.sd >= 1e-10)) continue;
      kept.push({ v, raw, ...st });
    }
    if (kept.length === 0) return;
    counts.genesTested++;
    counts.pairs += kept.length;
    const design = { n: m, p: kept.length, d: D.subarray(0, kept.length * m) };
    const rng = geneRng(o.seed, g.id);
    const sel =
      f.lambda !== undefined
        ? { lambda: f.lambda }
        : selectLambda(
            y,
            design,
            fixed,
            g.q,
            { ...en, nLambda: f.nLambda, lambdaRatio: f.lambdaRatio, folds: f.folds, cvTau: f.cvTau },
            rng,
          );
    const full = fitElasticNet(y, design, fixed, g.q, sel.lambda, en);
    const stab = stabilitySelection(
      y,
      kept.map((k) => k.raw),
      fixed,
      g.q,
      sel.lambda,
      { ...en, resamples: f.resamples, subsampleFrac: f.subsampleFrac, minObs: f.minObsResample },
      rng,
    );
    write(
      kept.map((k, j) => ({
        phenotype: g.id,
        variant: w.ids[k.v],
        nSamples: m,
        nVariants: kept.length,
        nObs: k.nObs,
        meanD: k.mean,
        sdD: k.sd,
        stability: stab.pi[j],
        isStable: stab.pi[j] >= f.stabilityThreshold,
        meanBeta: stab.meanBeta[j],
        signConsistency: stab.signConsistency[j],
        lambda: sel.lambda,
        betaFull: full.beta[j],
        betaFullRaw: full.beta[j] / k.sd,
      })),
    );
  });
  return counts;
}

export interface FinemapModel {
  variant: string;
  meanD: number;
  sdD: number;
  beta: number;
}

function ols(y: Float64Array, x: Float64Array): { a: number; b: number } {
  const n = y.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
  }
  const b = sxx > 0 ? sxy / sxx : NaN;
  return { a: my - b * mx, b };
}

/**
 * Scores a discovery cohort's fine-mapping model on this (validation) cohort, SegmentQTL's `recalibrated` mode: the
 * genetic component g = Σ β_v (d_v − μ_v)/σ_v (discovery β, μ, σ; observed entries only) is frozen and the
 * unpenalised block (intercept, copy number, covariates) refitted here; R² against the covariates-only baseline,
 * calibration y = a + b·ŷ, and the transfer slope ρ of y ~ covariates + ρ·g with its t-test.
 */
export async function segmentValidate(
  c: Cohort,
  o: SegmentOptions,
  models: Map<string, FinemapModel[]>,
): Promise<{ rows: ValidationRow[]; counts: SegmentCounts }> {
  const counts = newCounts();
  const n = c.quant.samples.length;
  const rows: ValidationRow[] = [];
  const genes = new Set([...models.keys()].filter((g) => c.quant.geneId.includes(g)));
  await forEachGene(c, { ...o, phenotypes: o.phenotypes ?? genes }, counts, (g, w) => {
    const model = models.get(g.id)?.filter((m) => m.beta !== 0);
    if (!model?.length) return;
    const idx = geneSamples(g);
    const m = idx.length;
    if (m < 3 + g.q) return;
    const { y, fixed } = pick(g, idx);
    const rowOf = new Map(w.ids.map((id, v) => [id, v]));
    const gen = new Float64Array(m);
    let used = 0;
    for (const mv of model) {
      const v = rowOf.get(mv.variant);
      if (v === undefined) continue;
      used++;
      const d = rawD(w, v, idx, n);
      for (let k = 0; k < m; k++) if (Number.isFinite(d[k])) gen[k] += (mv.beta * (d[k] - mv.meanD)) / mv.sdD;
    }
    if (used === 0) return;
    counts.genesTested++;
    counts.pairs += used;
    const res = Residualizer.of(m, fixed, g.q);
    // recalibrated prediction: ŷ = X θ + g with θ the OLS of y − g on X, i.e. ŷ = (y − g) − M(y − g) + g
    const yg = Float64Array.from(y, (v, k) => v - gen[k]);
    const rg = Float64Array.from(yg);
    res.residualize(rg);
    const yhat = Float64Array.from(y, (v, k) => v - rg[k]);
    const ry = Float64Array.from(y);
    res.residualize(ry);
    let mean = 0;
    for (const v of y) mean += v;
    mean /= m;
    let sst = 0;
    let sse = 0;
    let sae = 0;
    let sseBase = 0;
    for (let k = 0; k < m; k++) {
      sst += (y[k] - mean) ** 2;
      sse += rg[k] * rg[k];
      sae += Math.abs(rg[k]);
      sseBase += ry[k] * ry[k];
    }
    const cal = ols(y, yhat);
    // transfer slope: y ~ X + ρ g
    const mg = Float64Array.from(gen);
    res.residualize(mg);
    let gg = 0;
    let gy = 0;
    for (let k = 0; k < m; k++) {
      gg += mg[k] * mg[k];
      gy += mg[k] * ry[k];
    }
    let rho = NaN;
    let rhoP = NaN;
    const dof = m - res.rank - 1;
    if (gg > 1e-20 && dof > 0) {
      rho = gy / gg;
      const rss = sseBase - rho * gy;
      rhoP = tPvalue(rho / Math.sqrt(rss / dof / gg), dof);
    }
    rows.push({
      phenotype: g.id,
      nSamples: m,
      nVariantsUsed: used,
      rmse: Math.sqrt(sse / m),
      mae: sae / m,
      r2: sst > 0 ? 1 - sse / sst : NaN,
      r2Baseline: sst > 0 ? 1 - sseBase / sst : NaN,
      calibrationIntercept: cal.a,
      calibrationSlope: cal.b,
      rho,
      rhoPval: rhoP,
    });
  });
  return { rows, counts };
}
