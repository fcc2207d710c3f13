/**
 * SuSiE (Wang et al. 2020, JRSS-B 82:1273) fitted by iterative Bayesian stepwise selection (IBSS), step for step
 * as susieR 0.12.35 `susie()` (individual-level data) and `susie_suff_stat()` / `susie_rss()` (summary data):
 *
 * - X centred and scaled by its column SDs (n − 1), y centred (intercept); d = diag(XᵀX) on that scale;
 * - L single effects updated in order 1…L in every sweep, each by a single-effect regression (SER) on the
 *   residual of the others: β̂ = Xᵀr/d, ŝ² = σ²/d, per-variable log BF of N(0, V) vs 0, α ∝ π·BF;
 * - the prior variance V of each effect re-estimated in its SER by maximizing the SER likelihood over log V
 *   with R's Brent optimizer on [−30, 15] (keeping the previous V when that is better, 0 when the null is);
 * - the ELBO after every sweep; stop when it rose by less than `tol`; otherwise σ² ← E‖y − Xb‖²/n (bounded);
 * - PIPs from the effects with V > prior_tol; credible sets (coverage, purity = |r| of the members) as
 *   `susie_get_cs`.
 *
 * The data enter through `SusieData`: the individual-level form keeps the standardized X and the fitted values
 * of each effect; the summary form keeps XᵀX and XᵀX·b of each effect. Both give the SER the same inputs
 * (Xᵀr and d), so the IBSS loop, the SER and the credible sets are shared.
 */
import { brentMinimize } from '../../stats/brent.js';
import { median, sumCompensated } from '../../stats/rank.js';
import { Rng } from '../../runner/random.js';
import { matTVec, matVec } from '../../linalg/gemv.js';

export interface SusieOptions {
  /** Number of single effects (capped at the number of variables). */
  L: number;
  /** Prior variance of each effect as a fraction of var(y) (the initial value when it is estimated). */
  scaledPriorVariance: number;
  estimatePriorVariance: boolean;
  estimateResidualVariance: boolean;
  /** Initial residual variance (default var(y)). */
  residualVariance?: number;
  /** Prior inclusion weights (default uniform); normalized to sum 1. */
  priorWeights?: Float64Array;
  maxIter: number;
  /** ELBO tolerance of the stopping rule (susieR 0.12: 1e-3). */
  tol: number;
  coverage: number;
  minAbsCorr: number;
  /** Effects with V ≤ prior_tol are left out of the PIPs and credible sets. */
  priorTol: number;
  /** Credible sets larger than this have their purity computed on a sample of this many members (susieR: 100). */
  nPurity: number;
  checkNullThreshold: number;
}

export const SUSIE_DEFAULTS: SusieOptions = {
  L: 10,
  scaledPriorVariance: 0.2,
  estimatePriorVariance: true,
  estimateResidualVariance: true,
  maxIter: 100,
  tol: 1e-3,
  coverage: 0.95,
  minAbsCorr: 0.5,
  priorTol: 1e-9,
  nPurity: 100,
  checkNullThreshold: 0,
};

/** What the IBSS loop needs from the data. */
export interface SusieData {
  readonly n: number;
  readonly p: number;
  /** diag(XᵀX) of the standardized X. */
  readonly d: Float64Array;
  /** Takes effect l out of the fit and writes Xᵀ(y − Σ_{k≠l} X·b_k) into `out`. */
  residualXty(l: number, out: Float64Array): void;
  /** Puts effect l back with coefficients b (standardized scale). */
  setEffect(l: number, b: Float64Array): void;
  /** E‖y − Xb‖² without the posterior-variance term: ‖y − Xb̄‖² − Σ_l ‖X b_l‖² + … as susieR's get_ER2. */
  fitTerm(): number;
  /** Pearson correlation of variables i and j (credible-set purity). */
  corr(i: number, j: number): number;
}

export interface CredibleSet {
  /** The single effect (1-based, susieR's `L<k>` name / `cs_index`). */
  effect: number;
  /** Member variables (0-based), in column order. */
  variables: number[];
  /** Summed α of the members. */
  coverage: number;
  minAbsCorr: number;
  meanAbsCorr: number;
  medianAbsCorr: number;
  /** min |r| ≥ min_abs_corr: susieR reports only these. */
  pure: boolean;
}

export interface SusieFit {
  L: number;
  p: number;
  /** L × p, row-major: α, posterior mean and second moment given inclusion (standardized scale), log BF. */
  alpha: Float64Array;
  mu: Float64Array;
  mu2: Float64Array;
  lbfVariable: Float64Array;
  /** Per effect: prior variance, log BF of the effect, KL divergence. */
  V: Float64Array;
  lbf: Float64Array;
  KL: Float64Array;
  sigma2: number;
  /** ELBO after each sweep. */
  elbo: number[];
  niter: number;
  converged: boolean;
  pip: Float64Array;
  /**
   * Every credible set that passes susieR's V and de-duplication filters: first the pure ones in susieR's order
   * (decreasing min |r|), then the impure ones (dropped by susieR) in effect order.
   */
  sets: CredibleSet[];
}

const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** log N(x; 0, sd²), computed as R's dnorm(log = TRUE) does. */
function logDnorm0(x: number, sd: number): number {
  const z = Math.abs(x / sd);
  return -(LN_SQRT_2PI + 0.5 * z * z + Math.log(sd));
}

/** Inputs of one single-effect regression, with the V-free part of the log BF precomputed. */
class SerProblem {
  readonly betahat: Float64Array;
  readonly shat2: Float64Array;
  /** log N(β̂; 0, ŝ²); NaN where ŝ² is infinite (d = 0: the log BF is then 0). */
  private readonly base: Float64Array;
  private readonly lbfBuf: Float64Array;

  constructor(
    readonly xtr: Float64Array,
    readonly d: Float64Array,
    readonly sigma2: number,
    readonly pi: Float64Array,
  ) {
    const p = xtr.length;
    this.betahat = new Float64Array(p);
    this.shat2 = new Float64Array(p);
    this.base = new Float64Array(p);
    this.lbfBuf = new Float64Array(p);
    for (let j = 0; j < p; j++) {
      this.betahat[j] = (1 / d[j]) * xtr[j];
      this.shat2[j] = sigma2 / d[j];
      this.base[j] = Number.isFinite(this.shat2[j])
        ? logDnorm0(this.betahat[j], Math.sqrt(this.shat2[j]))
        : NaN;
    }
  }

  /** Per-variable log BF at prior variance V into `out`. */
  lbf(V: number, out: Float64Array = this.lbfBuf): Float64Array {
    const { betahat, shat2, base } = this;
    for (let j = 0; j < out.length; j++)
      out[j] = Number.isNaN(base[j]) ? 0 : logDnorm0(betahat[j], Math.sqrt(V + shat2[j])) - base[j];
    return out;
  }

  /** log Σ π_j BF_j (susieR's `loglik` without the constant). */
  loglik(V: number): number {
    const l = this.lbf(V);
    let max = -Infinity;
    for (let j = 0; j < l.length; j++) if (l[j] > max || Number.isNaN(l[j])) max = l[j];
    let s = 0;
    for (let j = 0; j < l.length; j++) s += Math.exp(l[j] - max) * this.pi[j];
    return Math.log(s) + max;
  }

  /** susieR's optimize_prior_variance(method = "optim"). */
  optimizeV(vInit: number, checkNullThreshold: number): number {
    const negLogLik = (lV: number) => -this.loglik(Math.exp(lV));
    let lV = brentMinimize(negLogLik, -30, 15);
    if (negLogLik(lV) > negLogLik(Math.log(vInit))) lV = Math.log(vInit);
    let V = Math.exp(lV);
    if (this.loglik(0) + checkNullThreshold >= this.loglik(V)) V = 0;
    return V;
  }
}

interface SerResult {
  lbfModel: number;
}

/** One SER at prior variance V: α, μ, μ² and log BFs into the effect's rows; returns the effect's log BF. */
function serPosterior(
  ser: SerProblem,
  V: number,
  alpha: Float64Array,
  mu: Float64Array,
  mu2: Float64Array,
  lbf: Float64Array,
): SerResult {
  ser.lbf(V, lbf);
  const p = lbf.length;
  let max = -Infinity;
  for (let j = 0; j < p; j++) if (lbf[j] > max || Number.isNaN(lbf[j])) max = lbf[j];
  let sumW = 0;
  for (let j = 0; j < p; j++) {
    const w = Math.exp(lbf[j] - max) * ser.pi[j];
    alpha[j] = w;
    sumW += w;
  }
  for (let j = 0; j < p; j++) alpha[j] = alpha[j] / sumW;
  const { d, xtr, sigma2 } = ser;
  for (let j = 0; j < p; j++) {
    const postVar = 1 / (1 / V + d[j] / sigma2);
    const m = (1 / sigma2) * postVar * xtr[j];
    mu[j] = m;
    mu2[j] = postVar + m * m;
  }
  return { lbfModel: max + Math.log(sumW) };
}

/** var() of R: two-pass, n − 1. */
function sampleVariance(y: ArrayLike<number>): number {
  const n = y.length;
  const mean = sumCompensated(y) / n;
  let s = 0;
  for (let i = 0; i < n; i++) s += (y[i] - mean) * (y[i] - mean);
  return s / (n - 1);
}

/**
 * The IBSS loop shared by both data forms. `varY` sets the initial prior and residual variances (susieR:
 * var(y), or yᵀy/(n − 1) for summary data); `lowerBound` bounds σ² from below.
 */
export function ibss(
  data: SusieData,
  varY: number,
  o: SusieOptions,
  lowerBound: number,
  checkPrior?: (V: Float64Array) => void,
): SusieFit {
  const { p, n, d } = data;
  const L = Math.min(o.L, p);
  const pi = new Float64Array(p);
  if (o.priorWeights) {
    const s = sumCompensated(o.priorWeights);
    for (let j = 0; j < p; j++) pi[j] = o.priorWeights[j] / s;
  } else pi.fill(1 / p);
  const alpha = new Float64Array(L * p).fill(1 / p);
  const mu = new Float64Array(L * p);
  const mu2 = new Float64Array(L * p);
  const lbfVariable = new Float64Array(L * p).fill(NaN);
  const V = new Float64Array(L).fill(o.scaledPriorVariance * varY);
  const lbf = new Float64Array(L).fill(NaN);
  const KL = new Float64Array(L).fill(NaN);
  let sigma2 = o.residualVariance ?? varY;
  if (!(sigma2 > 0)) throw new Error('residual variance must be positive (is var(y) zero?)');
  const xtr = new Float64Array(p);
  const b = new Float64Array(p);
  const elbo: number[] = [];
  let prev = -Infinity;
  let converged = false;
  let iter = 0;
  while (iter < o.maxIter) {
    iter++;
    for (let l = 0; l < L; l++) {
      data.residualXty(l, xtr);
      const ser = new SerProblem(xtr, d, sigma2, pi);
      if (o.estimatePriorVariance) V[l] = ser.optimizeV(V[l], o.checkNullThreshold);
      const off = l * p;
      const a = alpha.subarray(off, off + p);
      const m = mu.subarray(off, off + p);
      const m2 = mu2.subarray(off, off + p);
      const { lbfModel } = serPosterior(ser, V[l], a, m, m2, lbfVariable.subarray(off, off + p));
      lbf[l] = lbfModel;
      // KL = −loglik + E_q[log p(r | b)] of the SER, reduced to the terms that do not cancel
      let eby = 0;
      let eb2 = 0;
      for (let j = 0; j < p; j++) {
        b[j] = a[j] * m[j];
        eby += b[j] * xtr[j];
        eb2 += d[j] * (a[j] * m2[j]);
      }
      KL[l] = -lbfModel - (0.5 / sigma2) * (-2 * eby + eb2);
      data.setEffect(l, b);
    }
    checkPrior?.(V);
    const value = expectedLogLik(data, alpha, mu2, L, sigma2) - sumCompensated(KL);
    if (!Number.isFinite(value)) throw new SusieNumericError('the objective became infinite');
    elbo.push(value);
    if (value - prev < o.tol) {
      converged = true;
      break;
    }
    prev = value;
    if (o.estimateResidualVariance) {
      sigma2 = Math.max(lowerBound, expectedResidualSS(data, alpha, mu2, L) / n);
    }
  }
  const pip = pipFromAlpha(alpha, V, L, p, o.priorTol);
  const sets = credibleSets(alpha, V, L, p, o, (i, j) => data.corr(i, j));
  return { L, p, alpha, mu, mu2, lbfVariable, V, lbf, KL, sigma2, elbo, niter: iter, converged, pip, sets };
}

export class SusieNumericError extends Error {}

function expectedResidualSS(data: SusieData, alpha: Float64Array, mu2: Float64Array, L: number): number {
  const { p, d } = data;
  let post = 0;
  for (let l = 0; l < L; l++) for (let j = 0; j < p; j++) post += d[j] * (alpha[l * p + j] * mu2[l * p + j]);
  return data.fitTerm() + post;
}

function expectedLogLik(
  data: SusieData,
  alpha: Float64Array,
  mu2: Float64Array,
  L: number,
  s2: number,
): number {
  return (
    -(data.n / 2) * Math.log(2 * Math.PI * s2) - (1 / (2 * s2)) * expectedResidualSS(data, alpha, mu2, L)
  );
}

/** 1 − Π_l (1 − α_lj) over the effects with V > prior_tol (susie_get_pip, prune_by_cs = FALSE). */
export function pipFromAlpha(alpha: Float64Array, V: Float64Array, L: number, p: number, priorTol: number) {
  const keep = new Float64Array(p).fill(1);
  let any = false;
  for (let l = 0; l < L; l++) {
    if (!(V[l] > priorTol)) continue;
    any = true;
    for (let j = 0; j < p; j++) keep[j] *= 1 - alpha[l * p + j];
  }
  const pip = new Float64Array(p);
  if (any) for (let j = 0; j < p; j++) pip[j] = 1 - keep[j];
  return pip;
}

/** The variables of the smallest set of largest α reaching `coverage` (susieR's in_CS_x), in column order. */
function coveringSet(a: Float64Array, coverage: number): number[] {
  const order = Array.from(a.keys()).sort((i, j) => a[j] - a[i] || i - j);
  // cumsum(sort(x, decreasing = TRUE)) < coverage, accumulated as R does (long double): compensated sum
  let count = 0;
  let sum = 0;
  let c = 0;
  for (const i of order) {
    const v = a[i];
    const t = sum + v;
    if (Math.abs(sum) >= Math.abs(v)) c += sum - t + v;
    else c += v - t + sum;
    sum = t;
    if (sum + c < coverage) count++;
    else break;
  }
  return order.slice(0, count + 1).sort((x, y) => x - y);
}

/** min, mean and median |r| over the pairs of `vars` (susieR's get_purity). */
function purity(vars: number[], corr: (i: number, j: number) => number, nPurity: number, seed: number) {
  if (vars.length === 1) return [1, 1, 1];
  let pos = vars;
  if (pos.length > nPurity) {
    // susieR draws the members at random (R's sample()); a seeded draw keeps runs reproducible
    const rng = new Rng(seed);
    const pool = pos.slice();
    for (let i = 0; i < nPurity; i++) {
      const k = i + Math.floor(rng.uniform() * (pool.length - i));
      [pool[i], pool[k]] = [pool[k], pool[i]];
    }
    pos = pool.slice(0, nPurity).sort((x, y) => x - y);
  }
  const values: number[] = [];
  for (let jj = 1; jj < pos.length; jj++)
    for (let ii = 0; ii < jj; ii++) values.push(Math.abs(corr(pos[ii], pos[jj])));
  let min = Infinity;
  for (const v of values) if (v < min) min = v;
  return [min, sumCompensated(values) / values.length, median(values)];
}

/** susie_get_cs: every candidate set with its purity (pure ones first, in susieR's order). */
export function credibleSets(
  alpha: Float64Array,
  V: Float64Array,
  L: number,
  p: number,
  o: Pick<SusieOptions, 'coverage' | 'minAbsCorr' | 'nPurity'>,
  corr: (i: number, j: number) => number,
): CredibleSet[] {
  const candidates: CredibleSet[] = [];
  const seen = new Set<string>();
  for (let l = 0; l < L; l++) {
    const a = alpha.subarray(l * p, (l + 1) * p);
    const vars = coveringSet(a, o.coverage);
    const key = vars.join(',');
    // duplicated() in susieR runs over every effect, including those later dropped for V
    const duplicate = seen.has(key);
    seen.add(key);
    if (!(V[l] > 1e-9) || duplicate || vars.length === 0) continue;
    const [minAbsCorr, meanAbsCorr, medianAbsCorr] = purity(vars, corr, o.nPurity, 1 + l);
    candidates.push({
      effect: l + 1,
      variables: vars,
      coverage: sumCompensated(vars.map((j) => a[j])),
      minAbsCorr,
      meanAbsCorr,
      medianAbsCorr,
      pure: minAbsCorr >= o.minAbsCorr,
    });
  }
  const pure = candidates.filter((c) => c.pure);
  // order(purity[, 1], decreasing = TRUE): stable, so equal purities keep effect order
  const ordered = pure
    .map((c, i) => [c, i] as const)
    .sort((x, y) => y[0].minAbsCorr - x[0].minAbsCorr || x[1] - y[1])
    .map(([c]) => c);
  return [...ordered, ...candidates.filter((c) => !c.pure)];
}

/**
 * Individual-level data: X (p variables × n samples, variable-major) is centred and scaled in place by its
 * column SDs, as susieR's compute_colstats (a constant column keeps scale 1 and gets d = 0).
 */
export class IndividualData implements SusieData {
  readonly d: Float64Array;
  readonly colMean: Float64Array;
  readonly colScale: Float64Array;
  readonly y: Float64Array;
  readonly meanY: number;
  private readonly fitted: Float64Array;
  private readonly effectFit: Float64Array;
  private readonly residual: Float64Array;
  private readonly scratch: Float64Array;

  constructor(
    readonly x: Float64Array,
    readonly p: number,
    readonly n: number,
    y: ArrayLike<number>,
    L: number,
  ) {
    this.meanY = sumCompensated(y) / n;
    this.y = Float64Array.from(y, (v) => v - this.meanY);
    this.d = new Float64Array(p);
    this.colMean = new Float64Array(p);
    this.colScale = new Float64Array(p);
    for (let j = 0; j < p; j++) {
      const row = x.subarray(j * n, (j + 1) * n);
      const m = sumCompensated(row) / n;
      let ss = 0;
      for (let i = 0; i < n; i++) ss += (row[i] - m) * (row[i] - m);
      const sd = Math.sqrt(ss / (n - 1));
      const scale = sd === 0 ? 1 : sd;
      this.colMean[j] = m;
      this.colScale[j] = scale;
      this.d[j] = ((n - 1) * sd * sd) / (scale * scale);
      for (let i = 0; i < n; i++) row[i] = (row[i] - m) / scale;
    }
    this.fitted = new Float64Array(n);
    this.effectFit = new Float64Array(Math.min(L, p) * n);
    this.residual = new Float64Array(n);
    this.scratch = new Float64Array(n);
  }

  residualXty(l: number, out: Float64Array): void {
    const { n } = this;
    const fl = this.effectFit.subarray(l * n, (l + 1) * n);
    for (let i = 0; i < n; i++) {
      this.fitted[i] -= fl[i];
      this.residual[i] = this.y[i] - this.fitted[i];
    }
    matVec(this.x, this.p, n, this.residual, out);
  }

  setEffect(l: number, b: Float64Array): void {
    const { n } = this;
    const fl = this.effectFit.subarray(l * n, (l + 1) * n);
    matTVec(this.x, this.p, n, b, this.scratch);
    fl.set(this.scratch);
    for (let i = 0; i < n; i++) this.fitted[i] += fl[i];
  }

  fitTerm(): number {
    const { n } = this;
    let rss = 0;
    for (let i = 0; i < n; i++) rss += (this.y[i] - this.fitted[i]) ** 2;
    let each = 0;
    for (let k = 0; k < this.effectFit.length; k++) each += this.effectFit[k] * this.effectFit[k];
    return rss - each;
  }

  corr(i: number, j: number): number {
    const { n, x } = this;
    let sab = 0;
    let saa = 0;
    let sbb = 0;
    for (let k = 0; k < n; k++) {
      const a = x[i * n + k];
      const b = x[j * n + k];
      sab += a * b;
      saa += a * a;
      sbb += b * b;
    }
    return sab / Math.sqrt(saa * sbb);
  }
}

/** susieR `susie(X, y, L, …)` on individual-level data; X (p × n, variable-major) is standardized in place. */
export function susie(
  x: Float64Array,
  p: number,
  n: number,
  y: ArrayLike<number>,
  options: Partial<SusieOptions> = {},
) {
  const o = { ...SUSIE_DEFAULTS, ...options };
  checkOptions(o);
  const data = new IndividualData(x, p, n, y, o.L);
  const varY = sampleVariance(data.y);
  const fit = ibss(data, varY, o, varY / 1e4);
  return { fit, data };
}

function checkOptions(o: SusieOptions): void {
  if (!(o.scaledPriorVariance >= 0)) throw new RangeError('scaled prior variance must be ≥ 0');
  if (o.scaledPriorVariance > 1)
    throw new RangeError('scaled prior variance must be ≤ 1 with standardized X');
  if (!(o.L >= 1)) throw new RangeError('L must be ≥ 1');
}

/**
 * Summary data (susie_suff_stat): XᵀX (p × p, symmetric, row-major), Xᵀy, yᵀy and n, standardized as susieR
 * does (each variable divided by √(XᵀX_jj/(n − 1))).
 */
export class SufficientStats implements SusieData {
  readonly d: Float64Array;
  readonly scale: Float64Array;
  private readonly xtxr: Float64Array;
  private readonly effectXtxb: Float64Array;
  private readonly effectB: Float64Array;
  private readonly scratch: Float64Array;
  private readonly unitDiagonal: boolean;

  constructor(
    readonly xtx: Float64Array,
    readonly xty: Float64Array,
    readonly yty: number,
    readonly n: number,
    readonly p: number,
    L: number,
  ) {
    this.scale = new Float64Array(p);
    for (let j = 0; j < p; j++) {
      const s = Math.sqrt(xtx[j * p + j] / (n - 1));
      this.scale[j] = s === 0 ? 1 : s;
    }
    for (let i = 0; i < p; i++)
      for (let j = 0; j < p; j++) xtx[i * p + j] = ((1 / this.scale[i]) * xtx[i * p + j]) / this.scale[j];
    for (let j = 0; j < p; j++) xty[j] = xty[j] / this.scale[j];
    this.d = new Float64Array(p);
    for (let j = 0; j < p; j++) this.d[j] = xtx[j * p + j];
    this.unitDiagonal = this.d.every((v) => v === 0 || v === 1);
    const l = Math.min(L, p);
    this.xtxr = new Float64Array(p);
    this.effectXtxb = new Float64Array(l * p);
    this.effectB = new Float64Array(l * p);
    this.scratch = new Float64Array(p);
  }

  residualXty(l: number, out: Float64Array): void {
    const { p } = this;
    const e = this.effectXtxb.subarray(l * p, (l + 1) * p);
    for (let j = 0; j < p; j++) {
      this.xtxr[j] -= e[j];
      out[j] = this.xty[j] - this.xtxr[j];
    }
  }

  setEffect(l: number, b: Float64Array): void {
    const { p } = this;
    matVec(this.xtx, p, p, b, this.scratch);
    this.effectXtxb.set(this.scratch, l * p);
    this.effectB.set(b, l * p);
    for (let j = 0; j < p; j++) this.xtxr[j] += this.scratch[j];
  }

  fitTerm(): number {
    const { p } = this;
    const L = this.effectB.length / p;
    const bbar = new Float64Array(p);
    let each = 0;
    for (let l = 0; l < L; l++)
      for (let j = 0; j < p; j++) {
        bbar[j] += this.effectB[l * p + j];
        each += this.effectB[l * p + j] * this.effectXtxb[l * p + j];
      }
    let bty = 0;
    let bxxb = 0;
    for (let j = 0; j < p; j++) {
      bty += bbar[j] * this.xty[j];
      bxxb += bbar[j] * this.xtxr[j];
    }
    return this.yty - 2 * bty + bxxb - each;
  }

  corr(i: number, j: number): number {
    const { p, xtx } = this;
    // susie_suff_stat: cov2cor(XᵀX) unless every diagonal element is 0 or 1, then XᵀX itself
    if (this.unitDiagonal) return xtx[i * p + j];
    return xtx[i * p + j] / Math.sqrt(xtx[i * p + i] * xtx[j * p + j]);
  }
}

export interface RssOptions extends SusieOptions {
  /** Warn-worthy asymmetry of R found (and removed) before fitting. */
  onAsymmetry?: (maxAbsDiff: number) => void;
}

/**
 * susieR `susie_rss(z, R, n, …)`: z-scores (NaN → 0) shrunk by the PVE adjustment z·√((n − 1)/(z² + n − 2)),
 * then susie_suff_stat on XᵀX = (n − 1)R, Xᵀy = √(n − 1)·z, yᵀy = n − 1, with the residual variance fixed at 1
 * unless asked otherwise, and susie_rss's check that no prior variance exceeds 100·max(z²) (a sign that z and R
 * disagree). `ld` is p × p row-major; it is not modified.
 */
export function susieRss(
  z: ArrayLike<number>,
  ld: Float64Array,
  n: number,
  options: Partial<RssOptions> = {},
) {
  const o: RssOptions = { ...SUSIE_DEFAULTS, estimateResidualVariance: false, ...options };
  checkOptions(o);
  if (!(n > 1)) throw new RangeError('n must be greater than 1');
  const p = z.length;
  if (ld.length !== p * p) throw new RangeError(`LD matrix has ${ld.length} entries for ${p} variables`);
  const xtx = new Float64Array(p * p);
  let asym = 0;
  for (let i = 0; i < p; i++)
    for (let j = 0; j < p; j++) {
      const a = ld[i * p + j];
      const b = ld[j * p + i];
      asym = Math.max(asym, Math.abs(a - b));
      xtx[i * p + j] = (n - 1) * ((a + b) / 2);
    }
  if (asym > 0) o.onAsymmetry?.(asym);
  const xty = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    const zj = Number.isNaN(z[j]) ? 0 : z[j];
    const adj = (n - 1) / (zj * zj + n - 2);
    xty[j] = Math.sqrt(n - 1) * (Math.sqrt(adj) * zj);
  }
  const data = new SufficientStats(xtx, xty, n - 1, n, p, o.L);
  const varY = (n - 1) / (n - 1);
  const sigma0 = o.residualVariance ?? varY;
  let zm = 0;
  for (let j = 0; j < p; j++) {
    const zz = Math.abs(xty[j] / data.d[j] / Math.sqrt(sigma0 / data.d[j]));
    if (zz > zm) zm = zz;
  }
  const checkPrior = (V: Float64Array) => {
    if (V.some((v) => v > 100 * zm * zm))
      throw new SusieNumericError(
        'the estimated prior variance is unreasonably large; this is usually caused by a mismatch between the summary statistics and the LD matrix',
      );
  };
  const fit = ibss(data, varY, o, 0, checkPrior);
  return { fit, data };
}
