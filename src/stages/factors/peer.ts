/**
 * PEER-like hidden factors (Stegle et al. 2010, 2012; the PEER library's `cVBFA`): Y (samples × genes) =
 * X Wᵀ + noise, fitted by variational Bayes with
 *   x_n ~ N(0, I) for hidden factors; known covariates (and a mean column) are columns of X with prior mean
 *        equal to their values and precision 100 (PEER's `covariate_prec`), so they stay where they are;
 *   w_g ~ N(0, diag(α)⁻¹) with an ARD prior α_k ~ Gamma(0.001, 0.1) (shape, rate) per factor column: factors
 *        the data do not need get a large α and weights that shrink to zero ("switched off");
 *   y_ng ~ N(x_nᵀ w_g, 1/τ_g) with per-gene noise precision τ_g ~ Gamma(0.1, 10).
 * Updates in PEER's order (W, α, X, τ), initialisation as PEER (covariate weights by least squares, hidden
 * factors from the SVD of the residuals), PEER's lower bound and stopping rules (|Δbound| < 1e-3 or
 * |Δ residual variance| < 1e-5, at most 1000 iterations), PEER's default phenotype variance 0.01 in E[y²].
 *
 * The per-gene weight covariance Σ_g = (diag(α) + τ_g A)⁻¹, A = E[XᵀX], is never formed gene by gene (PEER
 * inverts G matrices of K × K per iteration): with B = D^{-1/2} A D^{-1/2} = U Λ Uᵀ and V = D^{-1/2} U,
 * Σ_g = V diag(1/(1 + τ_g λ)) Vᵀ exactly, so every sum over genes the updates and the bound need is a
 * K-vector per gene. An iteration costs two N·G·K products (Y against X and against τ-weighted W) and
 * O(G·K²) besides.
 */
import digamma from '@stdlib/math-base-special-digamma';
import gammaln from '@stdlib/math-base-special-gammaln';
import { gramOfColumns, symmetricEigen } from '../../linalg/eigen.js';
import { gemmBackend } from '../../linalg/gemm.js';
import { sharedFloat64 } from '../../linalg/gemm-pool.js';
import type { GemmPool } from '../../linalg/gemm-pool.js';
import { leadingEigen, spdInverse, transpose } from '../../linalg/pca.js';

export interface PeerOptions {
  /** Hidden factors to infer. */
  k: number;
  maxIterations: number;
  /** Stop when the lower bound changes by less than this (absolute), as PEER's `tolerance`. */
  boundTolerance: number;
  /** Stop when the mean squared residual changes by less than this, as PEER's `var_tolerance`. */
  varianceTolerance: number;
  /** Gamma(shape, rate) prior of the ARD precisions. */
  alphaPrior: [number, number];
  /** Gamma(shape, rate) prior of the per-gene noise precisions. */
  noisePrior: [number, number];
  /** Add a mean column to the covariates (PEER's `add_mean`). */
  addMean: boolean;
  /** Prior precision that holds covariate columns of X at their values. */
  covariatePrecision: number;
  /** Observation variance PEER assumes for each expression value (adds to E[y²]). */
  phenotypeVariance: number;
  /** Start of the subspace iteration behind the initial SVD when there are too many samples for a full one. */
  seed?: number;
  /** Worker threads for the two N·G·K products of each iteration (results identical with or without). */
  pool?: GemmPool;
  /** Called after every iteration (progress, logging). */
  onIteration?: (iteration: number, bound: number, residualVariance: number) => void;
}

export const PEER_DEFAULTS: Omit<PeerOptions, 'k'> = {
  maxIterations: 1000,
  boundTolerance: 1e-3,
  varianceTolerance: 1e-5,
  alphaPrior: [0.001, 0.1],
  noisePrior: [0.1, 10],
  addMean: true,
  covariatePrecision: 100,
  phenotypeVariance: 0.01,
};

export interface PeerInput {
  /** Genes × samples, row-major (the phenotype layout). */
  y: Float64Array;
  genes: number;
  samples: number;
  /** Samples × c known covariates, row-major (full column rank together with the mean column). */
  covariates?: Float64Array;
  covariateCount?: number;
}

export type PeerStop = 'bound' | 'residual_variance' | 'max_iterations';

export interface PeerResult {
  /** Samples × k hidden factors (posterior means), row-major. */
  factors: Float64Array;
  k: number;
  /** Columns of X before the hidden factors: the known covariates, then the mean column when added. */
  fixedColumns: number;
  /** Posterior mean of α for every column of X (fixed columns first). */
  alpha: Float64Array;
  /** Genes × (fixed + k) weight posterior means, row-major. */
  weights: Float64Array;
  /** Samples × (fixed + k) posterior means of X (covariate columns included), row-major. */
  x: Float64Array;
  /** Per-gene posterior mean noise precision. */
  noisePrecision: Float64Array;
  /** Lower bound after each iteration. */
  bound: number[];
  /** Mean squared residual (Y − X Wᵀ) after each iteration. */
  residualVariance: number[];
  iterations: number;
  stoppedBy: PeerStop;
  /** Fraction of the total (centred) sum of squares of Y each hidden factor's x_k w_kᵀ carries. */
  varianceExplained: Float64Array;
}

const LN_2PI = Math.log(2 * Math.PI);

/** Σ over a vector of Gamma(a_i, b_i) nodes of E[ln p] − E[ln q] (PEER's cGammaNode::calcBound). */
function gammaBound(a: Float64Array, b: Float64Array, pa: number, pb: number): number {
  let bound = 0;
  const lgPa = gammaln(pa);
  for (let i = 0; i < a.length; i++) {
    const e = a[i] / b[i];
    const lnE = digamma(a[i]) - Math.log(b[i]);
    bound += pa * Math.log(pb) + (pa - 1) * lnE - pb * e - lgPa;
    bound += a[i] - Math.log(b[i]) + gammaln(a[i]) + (1 - a[i]) * digamma(a[i]);
  }
  return bound;
}

/** out (rows × k) = a (rows × k) · m (k × k), row-major. */
function timesSmall(a: Float64Array, rows: number, m: Float64Array, k: number): Float64Array {
  const out = new Float64Array(rows * k);
  gemmBackend().gemmABt(a, rows, transpose(m, k, k), k, k, out);
  return out;
}

export async function fitPeer(input: PeerInput, options: PeerOptions): Promise<PeerResult> {
  const gemm = gemmBackend();
  const { genes: G, samples: N } = input;
  const pool = options.pool;
  // the large operands live in shared memory when worker threads compute the products
  const alloc = pool ? sharedFloat64 : (n: number) => new Float64Array(n);
  const big = (a: Float64Array, m: number, b: Float64Array, p: number, n: number, c: Float64Array) =>
    pool ? pool.gemmABt(a, m, b, p, n, c) : Promise.resolve(gemm.gemmABt(a, m, b, p, n, c));
  const shared = (x: Float64Array): Float64Array => {
    const out = alloc(x.length);
    out.set(x);
    return out;
  };
  const y = pool ? shared(input.y) : input.y;
  const nKnown = input.covariateCount ?? 0;
  const nFixed = nKnown + (options.addMean ? 1 : 0);
  const K = options.k;
  const Kt = nFixed + K;
  const [pa, pb] = options.alphaPrior;
  const [ea, eb] = options.noisePrior;

  // Y in both layouts: genes × samples for Y·X, samples × genes for Yᵀ·(τW)
  const ys = shared(transpose(y, G, N));
  const ySq = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    let s = 0;
    for (let n = 0; n < N; n++) s += y[g * N + n] ** 2;
    ySq[g] = s;
  }

  // --- initialisation (PEER's init_net) ---
  const covs = new Float64Array(N * nFixed);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < nKnown; c++) covs[n * nFixed + c] = input.covariates![n * nKnown + c];
    if (options.addMean) covs[n * nFixed + nKnown] = 1;
  }
  const x = new Float64Array(N * Kt);
  const w = new Float64Array(G * Kt);
  const resid = Float64Array.from(y);
  if (nFixed > 0) {
    // least-squares covariate weights: (CᵀC)⁻¹ Cᵀ y_g for every gene
    const ctc = gramOfColumns(covs, N, nFixed);
    const { inverse } = spdInverse(ctc, nFixed);
    const cty = new Float64Array(G * nFixed);
    gemm.gemmABt(y, G, transpose(covs, N, nFixed), nFixed, N, cty);
    const cw = timesSmall(cty, G, inverse, nFixed); // G × nFixed
    for (let g = 0; g < G; g++) {
      for (let c = 0; c < nFixed; c++) w[g * Kt + c] = cw[g * nFixed + c];
      for (let n = 0; n < N; n++) {
        let fit = 0;
        for (let c = 0; c < nFixed; c++) fit += covs[n * nFixed + c] * cw[g * nFixed + c];
        resid[g * N + n] -= fit;
      }
    }
    for (let n = 0; n < N; n++) for (let c = 0; c < nFixed; c++) x[n * Kt + c] = covs[n * nFixed + c];
  }
  if (K > 0) {
    // thin SVD of the residuals (samples × genes): left singular vectors from the sample Gram matrix
    const gram = gramOfColumns(resid, G, N);
    const e = leadingEigen(gram, N, K, options.seed);
    const u = e.vectors; // N × K, unit columns
    // PEER starts X at U (unit columns, 1/√N of the N(0, 1) prior's scale) and W at V·S; VB then needs
    // hundreds of iterations to move that scale, and PEER's residual-variance rule stops long before. The
    // same product starting from X = √N·U, W = V·S/√N puts the factors at their prior scale from the start.
    const sqrtN = Math.sqrt(N);
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) x[n * Kt + nFixed + k] = u[n * K + k] * sqrtN;
    const vs = new Float64Array(G * K); // V·S = Rᵀ U
    gemm.gemmABt(resid, G, transpose(u, N, K), K, N, vs);
    for (let g = 0; g < G; g++) for (let k = 0; k < K; k++) w[g * Kt + nFixed + k] = vs[g * K + k] / sqrtN;
  }
  const prior = new Float64Array(Kt).fill(1);
  for (let c = 0; c < nFixed; c++) prior[c] = options.covariatePrecision;

  let xE2S = gramOfColumns(x, N, Kt);
  let wE2S = gramOfColumns(w, G, Kt);
  const alphaA = new Float64Array(Kt).fill(pa + 0.5 * G);
  const alphaB = Float64Array.from({ length: Kt }, (_, k) => pb + 0.5 * wE2S[k * Kt + k]);
  const alpha = Float64Array.from(alphaB, (b, k) => alphaA[k] / b);
  const tauA = new Float64Array(G).fill(ea);
  const tauB = new Float64Array(G).fill(eb);
  const tau = Float64Array.from(tauB, (b, g) => tauA[g] / b);
  const yx = alloc(G * Kt);
  await big(y, G, shared(transpose(x, N, Kt)), Kt, N, yx);

  const bound: number[] = [];
  const residualVariance: number[] = [];
  let lastBound = -Infinity;
  let lastResidualVariance = Infinity;
  let stoppedBy: PeerStop = 'max_iterations';
  let iter = 0;
  const sumYSq = ySq.reduce((s, v) => s + v, 0);

  while (iter < options.maxIterations) {
    iter++;
    // --- W: Σ_g = V diag(1/(1 + τ_g λ)) Vᵀ, m_g = τ_g Σ_g Xᵀ y_g ---
    const dInvSqrt = Float64Array.from(alpha, (a) => 1 / Math.sqrt(a));
    const bMat = new Float64Array(Kt * Kt);
    for (let i = 0; i < Kt; i++)
      for (let j = 0; j < Kt; j++) bMat[i * Kt + j] = xE2S[i * Kt + j] * dInvSqrt[i] * dInvSqrt[j];
    const eb2 = symmetricEigen(bMat, Kt);
    const lambda = Float64Array.from(eb2.values, (v) => Math.max(v, 0));
    const V = new Float64Array(Kt * Kt);
    for (let i = 0; i < Kt; i++)
      for (let j = 0; j < Kt; j++) V[i * Kt + j] = dInvSqrt[i] * eb2.vectors[i * Kt + j];
    const tauW = Float64Array.from(tau);
    const cw = new Float64Array(G * Kt);
    gemm.gemmABt(yx, G, transpose(V, Kt, Kt), Kt, Kt, cw); // (XᵀY)ᵀ V
    const diagSum = new Float64Array(Kt);
    const tauSum = new Float64Array(Kt);
    let logDetSum = 0;
    let sumLnAlpha = 0;
    for (let k = 0; k < Kt; k++) sumLnAlpha += Math.log(alpha[k]);
    for (let g = 0; g < G; g++) {
      const t = tauW[g];
      const o = g * Kt;
      for (let j = 0; j < Kt; j++) {
        const d = 1 / (1 + t * lambda[j]);
        cw[o + j] *= t * d;
        diagSum[j] += d;
        tauSum[j] += t * d;
        logDetSum += Math.log(d);
      }
    }
    logDetSum -= G * sumLnAlpha;
    const wNew = new Float64Array(G * Kt);
    gemm.gemmABt(cw, G, V, Kt, Kt, wNew);
    w.set(wNew);
    const vDiagVt = (diag: Float64Array): Float64Array => {
      const out = new Float64Array(Kt * Kt);
      for (let i = 0; i < Kt; i++)
        for (let j = i; j < Kt; j++) {
          let s = 0;
          for (let l = 0; l < Kt; l++) s += V[i * Kt + l] * diag[l] * V[j * Kt + l];
          out[i * Kt + j] = out[j * Kt + i] = s;
        }
      return out;
    };
    wE2S = vDiagVt(diagSum);
    const wtw = gramOfColumns(w, G, Kt);
    for (let i = 0; i < Kt * Kt; i++) wE2S[i] += wtw[i];
    const scaledW = new Float64Array(G * Kt);
    for (let g = 0; g < G; g++) {
      const s = Math.sqrt(tauW[g]);
      for (let k = 0; k < Kt; k++) scaledW[g * Kt + k] = w[g * Kt + k] * s;
    }
    const xPrec = vDiagVt(tauSum);
    const wtTw = gramOfColumns(scaledW, G, Kt);
    for (let i = 0; i < Kt * Kt; i++) xPrec[i] += wtTw[i];

    // --- α ---
    for (let k = 0; k < Kt; k++) {
      alphaB[k] = pb + 0.5 * wE2S[k * Kt + k];
      alpha[k] = alphaA[k] / alphaB[k];
    }

    // --- X: shared covariance (Σ_g τ_g E[w_g w_gᵀ] + P)⁻¹, means from Σ_g τ_g y_g m_gᵀ + offset·P ---
    for (let k = 0; k < Kt; k++) xPrec[k * Kt + k] += prior[k];
    const { inverse: xCov, logDet: xPrecLogDet } = spdInverse(xPrec, Kt);
    const tw = alloc(Kt * G); // (τW)ᵀ
    for (let g = 0; g < G; g++) for (let k = 0; k < Kt; k++) tw[k * G + g] = tauW[g] * w[g * Kt + k];
    const lin = alloc(N * Kt); // Yᵀ τ W
    await big(ys, N, tw, Kt, G, lin);
    for (let n = 0; n < N; n++)
      for (let c = 0; c < nFixed; c++) lin[n * Kt + c] += covs[n * nFixed + c] * prior[c];
    x.set(timesSmall(lin, N, xCov, Kt));
    const xtx = gramOfColumns(x, N, Kt);
    xE2S = Float64Array.from(xtx, (v, i) => v + N * xCov[i]);
    await big(y, G, shared(transpose(x, N, Kt)), Kt, N, yx);

    // --- τ: b_g = pb + ½ΣE[y²] − Σ y (X m_g) + ½ tr(E[XᵀX] E[w_g w_gᵀ]) ---
    const h = new Float64Array(Kt); // diag(Vᵀ E[XᵀX] V)
    for (let j = 0; j < Kt; j++) {
      let s = 0;
      for (let a = 0; a < Kt; a++) {
        const va = V[a * Kt + j];
        if (va === 0) continue;
        let t = 0;
        for (let b = 0; b < Kt; b++) t += xE2S[a * Kt + b] * V[b * Kt + j];
        s += va * t;
      }
      h[j] = s;
    }
    const wq = timesSmall(w, G, xE2S, Kt); // rows m_gᵀ E[XᵀX]
    const wq2 = timesSmall(w, G, xtx, Kt); // rows m_gᵀ XᵀX
    let r1 = 0;
    let r2 = 0;
    let r3 = 0;
    let r4 = 0;
    let crossSum = 0;
    let fitSq = 0;
    const tauANew = ea + 0.5 * N;
    const tauBNew = new Float64Array(G);
    const eTerm = new Float64Array(G);
    const cross = new Float64Array(G);
    const quadTr = new Float64Array(G);
    for (let g = 0; g < G; g++) {
      const o = g * Kt;
      let c = 0;
      let quad = 0;
      let quad2 = 0;
      let tr = 0;
      for (let k = 0; k < Kt; k++) {
        c += yx[o + k] * w[o + k];
        quad += wq[o + k] * w[o + k];
        quad2 += wq2[o + k] * w[o + k];
        tr += h[k] / (1 + tauW[g] * lambda[k]);
      }
      eTerm[g] = ySq[g] + options.phenotypeVariance * N;
      cross[g] = c;
      quadTr[g] = tr + quad;
      crossSum += c;
      fitSq += quad2;
      tauBNew[g] = eb + 0.5 * eTerm[g] - c + 0.5 * quadTr[g];
    }
    for (let g = 0; g < G; g++) {
      tauA[g] = tauANew;
      tauB[g] = tauBNew[g];
      tau[g] = tauA[g] / tauB[g];
      const lnTau = digamma(tauA[g]) - Math.log(tauB[g]);
      r1 += lnTau;
      r2 -= 0.5 * tau[g] * eTerm[g];
      r3 += tau[g] * cross[g];
      r4 -= 0.5 * tau[g] * quadTr[g];
    }
    r1 = 0.5 * N * r1 - 0.5 * N * G * LN_2PI;

    // --- lower bound (PEER's calcBound) and stopping rules ---
    let lnAlphaSum = 0;
    let alphaE2 = 0;
    for (let k = 0; k < Kt; k++) {
      lnAlphaSum += digamma(alphaA[k]) - Math.log(alphaB[k]);
      alphaE2 += alpha[k] * wE2S[k * Kt + k];
    }
    const wBound =
      -0.5 * G * (Kt * LN_2PI - lnAlphaSum) - 0.5 * alphaE2 + 0.5 * G * Kt * LN_2PI + 0.5 * logDetSum;
    let xBound = -0.5 * N * Kt * LN_2PI;
    for (let k = 0; k < Kt; k++) {
      xBound += 0.5 * N * Math.log(prior[k]);
      let sq = 0;
      let dotOff = 0;
      let offSq = 0;
      for (let n = 0; n < N; n++) {
        const v = x[n * Kt + k];
        const off = k < nFixed ? covs[n * nFixed + k] : 0;
        sq += v * v;
        dotOff += v * off;
        offSq += off * off;
      }
      xBound -= 0.5 * prior[k] * (N * xCov[k * Kt + k] + sq - 2 * dotOff + offSq);
    }
    xBound += 0.5 * N * (Kt * LN_2PI + Kt - xPrecLogDet);
    const current =
      r1 +
      r2 +
      r3 +
      r4 +
      wBound +
      gammaBound(alphaA, alphaB, pa, pb) +
      xBound +
      gammaBound(tauA, tauB, ea, eb);
    const resVar = (sumYSq - 2 * crossSum + fitSq) / (N * G);
    bound.push(current);
    residualVariance.push(resVar);
    options.onIteration?.(iter, current, resVar);
    const dBound = current - lastBound;
    const dVar = lastResidualVariance - resVar;
    lastBound = current;
    lastResidualVariance = resVar;
    if (Math.abs(dBound) < options.boundTolerance) {
      stoppedBy = 'bound';
      break;
    }
    if (Math.abs(dVar) < options.varianceTolerance) {
      stoppedBy = 'residual_variance';
      break;
    }
  }

  const factors = new Float64Array(N * K);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) factors[n * K + k] = x[n * Kt + nFixed + k];
  // variance explained: ‖x_k w_kᵀ‖² over the total centred sum of squares
  let total = 0;
  for (let g = 0; g < G; g++) {
    let m = 0;
    for (let n = 0; n < N; n++) m += y[g * N + n];
    m /= N;
    total += ySq[g] - N * m * m;
  }
  const varianceExplained = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    let xs = 0;
    for (let n = 0; n < N; n++) xs += x[n * Kt + nFixed + k] ** 2;
    let ws = 0;
    for (let g = 0; g < G; g++) ws += w[g * Kt + nFixed + k] ** 2;
    varianceExplained[k] = total > 0 ? (xs * ws) / total : 0;
  }
  return {
    factors,
    k: K,
    fixedColumns: nFixed,
    alpha,
    weights: w,
    x,
    noisePrecision: tau,
    bound,
    residualVariance,
    iterations: iter,
    stoppedBy,
    varianceExplained,
  };
}
