/**
 * Principal components of a variables × observations matrix (genes × samples, the phenotype layout) through
 * the eigendecomposition of its Gram matrix in the smaller dimension, as R's `prcomp` computes them by SVD:
 * eigenvalues are variances (λ / (n − 1)) and scores are the observations' coordinates (prcomp's `x`).
 * Also the small symmetric helpers the factor models need (inverse and log-determinant of an SPD matrix).
 */
import { gramOfColumns, symmetricEigen, topEigen } from './eigen.js';
import { Residualizer } from './residualize.js';

/** Above this dimension the k leading eigenpairs come from subspace iteration instead of the full QL. */
const FULL_EIGEN_MAX = 1500;

export interface PrincipalComponents {
  /** Number of components returned. */
  k: number;
  /** Variance of each component's scores (prcomp's sdev²), decreasing. */
  variances: Float64Array;
  /** Every component's variance the decomposition found (all of them when the full solver ran, else k). */
  allVariances: Float64Array;
  /** Total variance (sum over variables), so variances / total is the fraction explained. */
  totalVariance: number;
  /** Observations × k, row-major (observation i, component c at i·k + c). */
  scores: Float64Array;
}

/** The k leading eigenpairs of a symmetric PSD matrix, full solver for small n. */
export function leadingEigen(
  a: Float64Array,
  n: number,
  k: number,
  seed?: number,
): { values: Float64Array; vectors: Float64Array; all: Float64Array } {
  if (n <= FULL_EIGEN_MAX) {
    const e = symmetricEigen(a, n);
    const vectors = new Float64Array(n * k);
    for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) vectors[i * k + c] = e.vectors[i * n + c];
    return { values: e.values.slice(0, k), vectors, all: e.values };
  }
  const t = topEigen(a, n, k, 1e-12, 1000, seed);
  return { values: t.values, vectors: t.vectors, all: t.values };
}

/** Row-major transpose of a rows × cols matrix. */
export function transpose(x: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) t[c * rows + r] = x[o + c];
  }
  return t;
}

/**
 * PCA of `x` (variables × observations, row-major, already centred per variable and scaled if wanted).
 * With fewer observations than variables the observation Gram XᵀX gives the scores directly (U·√λ);
 * otherwise the variable Gram XXᵀ gives the loadings V and the scores are XᵀV.
 */
export function principalComponents(
  x: Float64Array,
  variables: number,
  observations: number,
  k: number,
  seed?: number,
): PrincipalComponents {
  const n = observations;
  const denom = n - 1;
  let totalVariance = 0;
  for (let i = 0; i < x.length; i++) totalVariance += x[i] * x[i];
  totalVariance /= denom;
  const scores = new Float64Array(n * k);
  let values: Float64Array;
  let all: Float64Array;
  if (n <= variables) {
    const gram = gramOfColumns(x, variables, n);
    const e = leadingEigen(gram, n, k, seed);
    values = e.values;
    all = e.all;
    for (let c = 0; c < k; c++) {
      const s = Math.sqrt(Math.max(values[c], 0));
      for (let i = 0; i < n; i++) scores[i * k + c] = e.vectors[i * k + c] * s;
    }
  } else {
    const gram = gramOfColumns(transpose(x, variables, n), n, variables);
    const e = leadingEigen(gram, variables, k, seed);
    values = e.values;
    all = e.all;
    for (let g = 0; g < variables; g++) {
      const xo = g * n;
      const vo = g * k;
      for (let c = 0; c < k; c++) {
        const v = e.vectors[vo + c];
        if (v === 0) continue;
        for (let i = 0; i < n; i++) scores[i * k + c] += x[xo + i] * v;
      }
    }
  }
  return {
    k,
    variances: Float64Array.from(values, (v) => Math.max(v, 0) / denom),
    allVariances: Float64Array.from(all, (v) => Math.max(v, 0) / denom),
    totalVariance,
    scores,
  };
}

/** Inverse and log-determinant of a symmetric positive definite n × n matrix (through its eigenvalues). */
export function spdInverse(a: Float64Array, n: number): { inverse: Float64Array; logDet: number } {
  const e = symmetricEigen(a, n);
  const inverse = new Float64Array(n * n);
  let logDet = 0;
  for (let c = 0; c < n; c++) {
    const lam = e.values[c];
    if (!(lam > 0)) throw new Error('matrix is not positive definite');
    logDet += Math.log(lam);
    const w = 1 / lam;
    for (let i = 0; i < n; i++) {
      const vi = e.vectors[i * n + c] * w;
      if (vi === 0) continue;
      for (let j = 0; j < n; j++) inverse[i * n + j] += vi * e.vectors[j * n + c];
    }
  }
  return { inverse, logDet };
}

/**
 * Orthonormal basis of the centred columns of an n × p matrix (dependent columns dropped): the residualizer's
 * basis of [1, columns] without its first (intercept) vector.
 */
function centredBasis(m: Float64Array, n: number, p: number): Float64Array[] {
  const r = Residualizer.of(n, m, p);
  return Array.from({ length: r.rank - 1 }, (_, i) => r.q.subarray((i + 1) * n, (i + 2) * n));
}

/**
 * Canonical correlations between the column spaces of two n-row matrices (a: n × p, b: n × q, row-major),
 * after centring: the singular values of Q_aᵀ Q_b, decreasing. How well one set of factors spans another
 * (a planted truth and its estimate) regardless of rotation, sign and scale.
 */
export function canonicalCorrelations(
  a: Float64Array,
  p: number,
  b: Float64Array,
  q: number,
  n: number,
): Float64Array {
  const qa = centredBasis(a, n, p);
  const qb = centredBasis(b, n, q);
  const c = new Float64Array(qa.length * qb.length);
  qa.forEach((u, i) =>
    qb.forEach((v, j) => {
      let d = 0;
      for (let r = 0; r < n; r++) d += u[r] * v[r];
      c[i * qb.length + j] = d;
    }),
  );
  // singular values of C (ra × rb) from the eigenvalues of C Cᵀ
  const ra = qa.length;
  const ccT = new Float64Array(ra * ra);
  for (let i = 0; i < ra; i++)
    for (let j = 0; j < ra; j++) {
      let s = 0;
      for (let k = 0; k < qb.length; k++) s += c[i * qb.length + k] * c[j * qb.length + k];
      ccT[i * ra + j] = s;
    }
  const e = symmetricEigen(ccT, ra);
  return Float64Array.from(e.values.slice(0, Math.min(ra, qb.length)), (v) =>
    Math.sqrt(Math.min(1, Math.max(0, v))),
  );
}
