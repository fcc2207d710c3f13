/**
 * SegmentQTL's fine-mapping (`segmentqtl/finemapping.py`): a missing-aware elastic net over the standardised
 * allelic differences d of a gene's cis window, the intercept and covariates unpenalised, λ chosen by 5-fold CV with
 * SegmentQTL's range rule, and stability selection (resampled fits at that λ).
 *
 * Objective (SegmentQTL's; glmnet's times n):
 *   ½ Σ_i (y_i − X_i θ − Σ_{v observed in i} β_v d̃_vi)² + λ α Σ|β_v| + λ (1 − α)/2 Σ β_v²
 * A missing d̃_vi contributes nothing, which is the same as d̃_vi = 0 (d̃ is centred on its observed entries).
 * θ is profiled out (Frisch–Waugh–Lovell): y and each d̃_v are projected off X once with the project's residualizer
 * and plain coordinate descent runs on the projections; the optimum is the same as SegmentQTL's alternating
 * θ refits and glmnet's unpenalised columns (`penalty.factor = 0`). Coordinate descent is written here: no npm
 * package fits an elastic net with unpenalised columns and warm starts over a λ path.
 */
import { Residualizer } from '../../linalg/residualize.js';
import type { Rng } from '../../runner/random.js';

export interface ElasticNetOptions {
  alpha: number;
  maxIter: number;
  /** Stop when no coefficient moves more than this (scaled by its column norm). */
  tol: number;
}

/** Standardised predictors: p columns of length n, column-major (column v at v·n), missing entries 0. */
export interface Design {
  n: number;
  p: number;
  d: Float64Array;
}

/** y and the columns of D projected off [1, covariates] (covariates n × q, row-major). */
export function profileOut(
  y: Float64Array,
  D: Design,
  covariates: Float64Array,
  q: number,
): { y: Float64Array; d: Float64Array; res: Residualizer } {
  const res = Residualizer.of(D.n, covariates, q);
  const yr = Float64Array.from(y);
  res.residualize(yr);
  const dr = Float64Array.from(D.d);
  for (let v = 0; v < D.p; v++) res.residualize(dr, v * D.n);
  return { y: yr, d: dr, res };
}

/** λ at which every β is 0: max_v |⟨d̃_v, My⟩| / α. */
export function lambdaMax(yr: Float64Array, dr: Float64Array, n: number, p: number, alpha: number): number {
  let g = 0;
  for (let v = 0; v < p; v++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += dr[v * n + i] * yr[i];
    g = Math.max(g, Math.abs(s));
  }
  return alpha > 0 ? g / alpha : g * 1e4;
}

/**
 * Coordinate descent on projected data (yr, dr: n × p column-major) at one λ, from `beta` (warm start, updated in
 * place). Returns the passes used.
 */
export function coordinateDescent(
  yr: Float64Array,
  dr: Float64Array,
  n: number,
  p: number,
  lambda: number,
  beta: Float64Array,
  o: ElasticNetOptions,
): number {
  const l1 = lambda * o.alpha;
  const l2 = lambda * (1 - o.alpha);
  const G = new Float64Array(p);
  const r = Float64Array.from(yr);
  for (let v = 0; v < p; v++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += dr[v * n + i] * dr[v * n + i];
    G[v] = s;
    if (beta[v] !== 0) for (let i = 0; i < n; i++) r[i] -= beta[v] * dr[v * n + i];
  }
  let it = 0;
  for (; it < o.maxIter;) {
    it++;
    let change = 0;
    for (let v = 0; v < p; v++) {
      if (!(G[v] > 0)) continue;
      const off = v * n;
      let z = 0;
      for (let i = 0; i < n; i++) z += dr[off + i] * r[i];
      const old = beta[v];
      z += old * G[v];
      const a = Math.abs(z) - l1;
      const nw = a > 0 ? (Math.sign(z) * a) / (G[v] + l2) : 0;
      if (nw !== old) {
        const delta = old - nw;
        for (let i = 0; i < n; i++) r[i] += delta * dr[off + i];
        beta[v] = nw;
        change = Math.max(change, Math.abs(delta) * Math.sqrt(G[v]));
      }
    }
    if (change < o.tol) break;
  }
  return it;
}

/** θ of the unpenalised block for the fitted β: OLS of y − Dβ on [1, covariates] (normal equations, q small). */
export function unpenalisedFit(
  y: Float64Array,
  D: Design,
  beta: Float64Array,
  covariates: Float64Array,
  q: number,
): Float64Array {
  const { n, p } = D;
  const k = q + 1;
  const r = Float64Array.from(y);
  for (let v = 0; v < p; v++) if (beta[v] !== 0) for (let i = 0; i < n; i++) r[i] -= beta[v] * D.d[v * n + i];
  const XtX = new Float64Array(k * k);
  const Xty = new Float64Array(k);
  const row = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    row[0] = 1;
    for (let c = 0; c < q; c++) row[c + 1] = covariates[i * q + c];
    for (let a = 0; a < k; a++) {
      Xty[a] += row[a] * r[i];
      for (let b = 0; b < k; b++) XtX[a * k + b] += row[a] * row[b];
    }
  }
  return solveSymmetric(XtX, Xty, k);
}

/** Solves A x = b for symmetric positive (semi)definite A by Cholesky, a dependent column getting 0. */
function solveSymmetric(A: Float64Array, b: Float64Array, k: number): Float64Array {
  const L = new Float64Array(k * k);
  const ok = new Uint8Array(k);
  for (let j = 0; j < k; j++) {
    let s = A[j * k + j];
    for (let m = 0; m < j; m++) s -= L[j * k + m] * L[j * k + m];
    if (s <= 1e-12 * Math.max(1, A[j * k + j])) continue;
    ok[j] = 1;
    L[j * k + j] = Math.sqrt(s);
    for (let i = j + 1; i < k; i++) {
      let t = A[i * k + j];
      for (let m = 0; m < j; m++) t -= L[i * k + m] * L[j * k + m];
      L[i * k + j] = t / L[j * k + j];
    }
  }
  const z = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    if (!ok[i]) continue;
    let s = b[i];
    for (let m = 0; m < i; m++) s -= L[i * k + m] * z[m];
    z[i] = s / L[i * k + i];
  }
  const x = new Float64Array(k);
  for (let i = k - 1; i >= 0; i--) {
    if (!ok[i]) continue;
    let s = z[i];
    for (let m = i + 1; m < k; m++) s -= L[m * k + i] * x[m];
    x[i] = s / L[i * k + i];
  }
  return x;
}

/** Fits the elastic net at one λ on (y, D) with [1, covariates] unpenalised. */
export function fitElasticNet(
  y: Float64Array,
  D: Design,
  covariates: Float64Array,
  q: number,
  lambda: number,
  o: ElasticNetOptions,
  warm?: Float64Array,
): { beta: Float64Array; theta: Float64Array; iterations: number } {
  const pr = profileOut(y, D, covariates, q);
  const beta = warm ? Float64Array.from(warm) : new Float64Array(D.p);
  const iterations = coordinateDescent(pr.y, pr.d, D.n, D.p, lambda, beta, o);
  return { beta, theta: unpenalisedFit(y, D, beta, covariates, q), iterations };
}

export interface PathCvOptions extends ElasticNetOptions {
  nLambda: number;
  lambdaRatio: number;
  folds: number;
  cvTau: number;
}

/** Rows `idx` of D (column-major) and of the row-major covariates. */
function subset(D: Design, covariates: Float64Array, q: number, y: Float64Array, idx: Int32Array) {
  const n = idx.length;
  const d = new Float64Array(n * D.p);
  for (let v = 0; v < D.p; v++) for (let k = 0; k < n; k++) d[v * n + k] = D.d[v * D.n + idx[k]];
  const c = new Float64Array(n * q);
  for (let k = 0; k < n; k++) for (let j = 0; j < q; j++) c[k * q + j] = covariates[idx[k] * q + j];
  return { D: { n, p: D.p, d }, covariates: c, y: Float64Array.from(idx, (i) => y[i]) };
}

/**
 * λ by K-fold CV over a log grid from λ_max down to λ_max·ratio, with SegmentQTL's range rule: the largest λ whose
 * mean CV error is within cvTau of the improvement over the null model (CV_min + τ(CV_null − CV_min)); the null
 * model (λ_max) when nothing improves on it. Folds from a seeded permutation of the samples.
 */
export function selectLambda(
  y: Float64Array,
  D: Design,
  covariates: Float64Array,
  q: number,
  o: PathCvOptions,
  rng: Rng,
): { lambda: number; lambdas: Float64Array; cvError: Float64Array } {
  const pr = profileOut(y, D, covariates, q);
  let lmax = lambdaMax(pr.y, pr.d, D.n, D.p, o.alpha);
  if (!(lmax > 0)) lmax = 1;
  const L = Math.max(2, o.nLambda);
  const lambdas = Float64Array.from({ length: L }, (_, i) => lmax * Math.pow(o.lambdaRatio, i / (L - 1)));
  const n = D.n;
  const order = rng.permutation(n);
  const fold = new Int32Array(n);
  order.forEach((s, i) => (fold[s] = i % o.folds));
  const err = new Float64Array(L * o.folds);
  for (let f = 0; f < o.folds; f++) {
    const train = Int32Array.from(order.filter((i) => fold[i] !== f)).sort();
    const test = Int32Array.from(order.filter((i) => fold[i] === f)).sort();
    if (train.length === 0 || test.length === 0) continue;
    const tr = subset(D, covariates, q, y, train);
    const te = subset(D, covariates, q, y, test);
    const ptr = profileOut(tr.y, tr.D, tr.covariates, q);
    const beta = new Float64Array(D.p);
    for (let l = 0; l < L; l++) {
      coordinateDescent(ptr.y, ptr.d, tr.D.n, D.p, lambdas[l], beta, o);
      const theta = unpenalisedFit(tr.y, tr.D, beta, tr.covariates, q);
      let sse = 0;
      for (let k = 0; k < te.D.n; k++) {
        let pred = theta[0];
        for (let c = 0; c < q; c++) pred += theta[c + 1] * te.covariates[k * q + c];
        for (let v = 0; v < D.p; v++) if (beta[v] !== 0) pred += beta[v] * te.D.d[v * te.D.n + k];
        sse += (te.y[k] - pred) ** 2;
      }
      err[l * o.folds + f] = sse / te.D.n;
    }
  }
  const cvError = Float64Array.from({ length: L }, (_, l) => {
    let s = 0;
    for (let f = 0; f < o.folds; f++) s += err[l * o.folds + f];
    return s / o.folds;
  });
  const cvNull = cvError[0];
  let iMin = 0;
  for (let l = 1; l < L; l++) if (cvError[l] < cvError[iMin]) iMin = l;
  let sel = 0;
  if (cvError[iMin] < cvNull) {
    const threshold = cvError[iMin] + o.cvTau * (cvNull - cvError[iMin]);
    sel = iMin;
    for (let l = 0; l < L; l++)
      if (cvError[l] <= threshold) {
        sel = l;
        break;
      }
  }
  return { lambda: lambdas[sel], lambdas, cvError };
}

/** Centres and scales the observed entries of a raw column (population SD); missing entries become 0. */
export function standardize(
  raw: Float64Array,
  out: Float64Array,
  off: number,
): { mean: number; sd: number; nObs: number } {
  let n = 0;
  let m = 0;
  for (const v of raw)
    if (Number.isFinite(v)) {
      n++;
      m += v;
    }
  m /= n;
  let s = 0;
  for (const v of raw) if (Number.isFinite(v)) s += (v - m) * (v - m);
  const sd = Math.sqrt(s / n);
  for (let i = 0; i < raw.length; i++)
    out[off + i] = Number.isFinite(raw[i]) && sd > 0 ? (raw[i] - m) / sd : 0;
  return { mean: m, sd, nObs: n };
}

export interface StabilityOptions extends ElasticNetOptions {
  resamples: number;
  subsampleFrac: number;
  minObs: number;
}

/**
 * Stability selection at a fixed λ (SegmentQTL's `_stability_selection`): subsamples of max(30, ⌊frac·n⌋) samples
 * without replacement; each variant re-standardised on the subsample (skipped there with fewer than `minObs`
 * observed entries or no variance); π_v = the fraction of effective resamples in which β_v ≠ 0.
 */
export function stabilitySelection(
  y: Float64Array,
  raw: Float64Array[],
  covariates: Float64Array,
  q: number,
  lambda: number,
  o: StabilityOptions,
  rng: Rng,
): { pi: Float64Array; meanBeta: Float64Array; signConsistency: Float64Array; effective: number } {
  const n = y.length;
  const p = raw.length;
  const m = Math.min(n, Math.max(30, Math.floor(n * o.subsampleFrac)));
  const count = new Float64Array(p);
  const sum = new Float64Array(p);
  const pos = new Float64Array(p);
  let effective = 0;
  for (let b = 0; b < o.resamples; b++) {
    // m of n without replacement: a partial Fisher–Yates, then sorted
    const all = new Int32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    for (let i = 0; i < m; i++) {
      const j = i + Math.floor(rng.uniform() * (n - i));
      [all[i], all[j]] = [all[j], all[i]];
    }
    const idx = all.slice(0, m).sort();
    const cols: number[] = [];
    const d = new Float64Array(m * p);
    const sub = new Float64Array(m);
    for (let v = 0; v < p; v++) {
      for (let k = 0; k < m; k++) sub[k] = raw[v][idx[k]];
      const st = standardize(sub, d, cols.length * m);
      if (st.nObs < o.minObs || !(st.sd >= 1e-10)) continue;
      cols.push(v);
    }
    if (cols.length === 0) continue;
    effective++;
    const D: Design = { n: m, p: cols.length, d: d.subarray(0, cols.length * m) };
    const cov = new Float64Array(m * q);
    for (let k = 0; k < m; k++) for (let c = 0; c < q; c++) cov[k * q + c] = covariates[idx[k] * q + c];
    const ys = Float64Array.from(idx, (i) => y[i]);
    const pr = profileOut(ys, D, cov, q);
    const beta = new Float64Array(cols.length);
    coordinateDescent(pr.y, pr.d, m, cols.length, lambda, beta, o);
    cols.forEach((v, j) => {
      if (Math.abs(beta[j]) > 1e-10) {
        count[v]++;
        sum[v] += beta[j];
        if (beta[j] > 0) pos[v]++;
      }
    });
  }
  return {
    pi: Float64Array.from(count, (c) => c / Math.max(effective, 1)),
    meanBeta: Float64Array.from(count, (c, v) => (c > 0 ? sum[v] / c : 0)),
    signConsistency: Float64Array.from(count, (c, v) => (c > 0 ? pos[v] / c : NaN)),
    effective,
  };
}
