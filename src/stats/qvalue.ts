/**
 * Multiple testing across phenotypes: Storey's q-values as R `qvalue` 2.x computes them (π0 from the cubic
 * smoothing spline with df = 3 over λ = 0.05…0.95 by default, or at one fixed λ), Benjamini–Hochberg, and the
 * per-phenotype nominal p-value thresholds of FastQTL's `calculateSignificanceFastQTL.R`.
 */
import betaincinv from '@stdlib/math-base-special-betaincinv';
import { symmetricEigen } from '../linalg/eigen.js';

export interface Pi0Estimate {
  pi0: number;
  /**
   * `fallback`: the estimate was ≤ 0 (too few p-values, or none ≥ λ), where R qvalue stops with an error;
   * π0 = 1 is used instead, which makes the q-values Benjamini–Hochberg's (conservative).
   */
  method: 'smoother' | 'fixed-lambda' | 'fallback';
  lambda: number[];
  /** π0(λ) = #{p ≥ λ} / (m (1 − λ)) for each λ. */
  pi0Lambda: number[];
}

const DEFAULT_LAMBDA = Array.from({ length: 19 }, (_, i) => Number((0.05 * (i + 1)).toFixed(2)));

/**
 * The cubic smoothing spline through (x, y) with effective degrees of freedom `df`, evaluated at x (what
 * R's `predict(smooth.spline(x, y, df = df), x)$y` gives, up to R's search tolerance on spar). With knots
 * at every x the fit is the natural cubic spline S(λ)y = (I + λK)⁻¹y, K = Q R⁻¹ Qᵀ (Reinsch form); λ is
 * found by bisection on log λ so that tr S(λ) = Σ 1/(1 + λ d_i) = df, d_i the eigenvalues of K.
 */
export function smoothingSplineFit(x: number[], y: number[], df: number): number[] {
  const n = x.length;
  const h = x.slice(1).map((v, i) => v - x[i]);
  // Q: n × (n−2), R: (n−2) × (n−2) tridiagonal
  const m = n - 2;
  const Q = new Float64Array(n * m);
  const R = new Float64Array(m * m);
  for (let j = 0; j < m; j++) {
    Q[j * m + j] = 1 / h[j];
    Q[(j + 1) * m + j] = -1 / h[j] - 1 / h[j + 1];
    Q[(j + 2) * m + j] = 1 / h[j + 1];
    R[j * m + j] = (h[j] + h[j + 1]) / 3;
    if (j + 1 < m) R[j * m + j + 1] = R[(j + 1) * m + j] = h[j + 1] / 6;
  }
  // K = Q R⁻¹ Qᵀ through R's eigen-decomposition (R is symmetric positive definite)
  const er = symmetricEigen(R, m);
  const K = new Float64Array(n * n);
  for (let a = 0; a < n; a++)
    for (let b = a; b < n; b++) {
      let s = 0;
      for (let k = 0; k < m; k++) {
        let qa = 0;
        let qb = 0;
        for (let l = 0; l < m; l++) {
          const v = er.vectors[l * m + k];
          qa += Q[a * m + l] * v;
          qb += Q[b * m + l] * v;
        }
        s += (qa * qb) / er.values[k];
      }
      K[a * n + b] = K[b * n + a] = s;
    }
  const ek = symmetricEigen(K, n);
  const d = ek.values.map((v) => Math.max(v, 0));
  const trace = (lam: number) => d.reduce((s, di) => s + 1 / (1 + lam * di), 0);
  let lo = -30;
  let hi = 30;
  for (let it = 0; it < 200; it++) {
    const mid = (lo + hi) / 2;
    if (trace(Math.exp(mid)) > df) lo = mid;
    else hi = mid;
  }
  const lam = Math.exp((lo + hi) / 2);
  // fit = V diag(1/(1+λd)) Vᵀ y
  const fit = new Array<number>(n).fill(0);
  for (let k = 0; k < n; k++) {
    let c = 0;
    for (let i = 0; i < n; i++) c += ek.vectors[i * n + k] * y[i];
    c /= 1 + lam * d[k];
    for (let i = 0; i < n; i++) fit[i] += ek.vectors[i * n + k] * c;
  }
  return fit;
}

/** π0 as qvalue::pi0est: the smoother (default λ grid, df 3) or one fixed λ. */
export function estimatePi0(p: ArrayLike<number>, lambda?: number): Pi0Estimate {
  const lambdas = lambda === undefined ? DEFAULT_LAMBDA : [lambda];
  const m = p.length;
  const pi0Lambda = lambdas.map((l) => {
    let c = 0;
    for (let i = 0; i < m; i++) if (p[i] >= l) c++;
    return c / (m * (1 - l));
  });
  const fixed = lambdas.length === 1;
  const pi0 = fixed
    ? Math.min(pi0Lambda[0], 1)
    : Math.min(smoothingSplineFit(lambdas, pi0Lambda, 3).at(-1)!, 1);
  if (!(pi0 > 0)) return { pi0: 1, method: 'fallback', lambda: lambdas, pi0Lambda };
  return { pi0, method: fixed ? 'fixed-lambda' : 'smoother', lambda: lambdas, pi0Lambda };
}

/** q-values as qvalue(p, pi0): π0 · min(1, cummin over decreasing p of p·m/rank). */
export function qvalues(p: ArrayLike<number>, pi0: number): Float64Array {
  const m = p.length;
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => p[b] - p[a] || b - a);
  const q = new Float64Array(m);
  let running = Infinity;
  order.forEach((idx, k) => {
    const rank = m - k;
    running = Math.min(running, (p[idx] * m) / rank);
    q[idx] = pi0 * Math.min(1, running);
  });
  return q;
}

/** Benjamini–Hochberg adjusted p-values (qvalues with π0 = 1). */
export function benjaminiHochberg(p: ArrayLike<number>): Float64Array {
  return qvalues(p, 1);
}

/**
 * FastQTL's per-phenotype nominal thresholds: the min-p threshold is the midpoint between the largest
 * pval_beta with q ≤ fdr and the smallest with q > fdr; each phenotype's threshold is its Beta quantile.
 * Undefined when no phenotype (or every phenotype) passes.
 */
export function nominalThresholds(
  pvalBeta: ArrayLike<number>,
  qval: ArrayLike<number>,
  shape1: ArrayLike<number>,
  shape2: ArrayLike<number>,
  fdr: number,
): { pThreshold: number; thresholds: Float64Array } | undefined {
  let lb = -Infinity;
  let ub = Infinity;
  for (let i = 0; i < pvalBeta.length; i++) {
    if (qval[i] <= fdr) lb = Math.max(lb, pvalBeta[i]);
    else ub = Math.min(ub, pvalBeta[i]);
  }
  if (!Number.isFinite(lb) || !Number.isFinite(ub)) return undefined;
  const pThreshold = (lb + ub) / 2;
  const thresholds = new Float64Array(pvalBeta.length);
  for (let i = 0; i < thresholds.length; i++) thresholds[i] = betaincinv(pThreshold, shape1[i], shape2[i]);
  return { pThreshold, thresholds };
}
