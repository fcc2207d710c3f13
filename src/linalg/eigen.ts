/**
 * Symmetric eigendecomposition by Householder tridiagonalisation and the implicit QL algorithm
 * (the EISPACK tred2/tql2 pair, as in JAMA). Written here because no maintained npm package offers a
 * float64 symmetric eigensolver on typed arrays; it is used for n × n Gram matrices (samples × samples),
 * where n is at most a few thousand.
 */
export interface SymmetricEigen {
  /** Eigenvalues in decreasing order. */
  values: Float64Array;
  /** Eigenvectors as columns of a row-major n × n matrix: vector k is (vectors[i·n + k])_i. */
  vectors: Float64Array;
}

export function symmetricEigen(a: Float64Array, n: number): SymmetricEigen {
  // V holds A on entry (row-major), the eigenvectors on exit.
  const V: Float64Array[] = [];
  for (let i = 0; i < n; i++) V.push(Float64Array.from(a.subarray(i * n, i * n + n)));
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tred2(V, d, e, n);
  tql2(V, d, e, n);
  // tql2 sorts ascending; return descending.
  const order = Array.from({ length: n }, (_, i) => n - 1 - i);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, k) => {
    values[k] = d[src];
    for (let i = 0; i < n; i++) vectors[i * n + k] = V[i][src];
  });
  return { values, vectors };
}

function tred2(V: Float64Array[], d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = V[n - 1][j];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = V[i - 1][j];
        V[i][j] = 0;
        V[j][i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        V[j][i] = f;
        g = e[j] + V[j][j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k][j] * d[k];
          e[k] += V[k][j] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) V[k][j] -= f * e[k] + g * d[k];
        d[j] = V[i - 1][j];
        V[i][j] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    V[n - 1][i] = V[i][i];
    V[i][i] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k][i + 1] / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k][i + 1] * V[k][j];
        for (let k = 0; k <= i; k++) V[k][j] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) V[k][i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[n - 1][j];
    V[n - 1][j] = 0;
  }
  V[n - 1][n - 1] = 1;
  e[0] = 0;
}

function tql2(V: Float64Array[], d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 300) throw new Error('symmetric eigendecomposition did not converge');
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          for (let k = 0; k < n; k++) {
            h = V[k][i + 1];
            V[k][i + 1] = s * V[k][i] + c * h;
            V[k][i] = c * V[k][i] - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
  // sort ascending with vectors
  for (let i = 0; i < n - 1; i++) {
    let k = i;
    let p = d[i];
    for (let j = i + 1; j < n; j++) {
      if (d[j] < p) {
        k = j;
        p = d[j];
      }
    }
    if (k !== i) {
      d[k] = d[i];
      d[i] = p;
      for (let j = 0; j < n; j++) {
        const t = V[j][i];
        V[j][i] = V[j][k];
        V[j][k] = t;
      }
    }
  }
}

/**
 * Gram matrix of the columns of a row-major rows × cols matrix: G = Xᵀ X (cols × cols).
 * Transposed first so every entry is a dot product of two contiguous vectors, computed four × four at a time
 * (each loaded value feeds four products): about 6× faster than rank-1 updates of G, which are bound by
 * memory traffic on G. Written by hand: no maintained npm BLAS reaches even the naive loop's speed
 * (design/STACK.md measurements).
 */
export function gramOfColumns(x: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = x[r * cols + c];
  const g = new Float64Array(cols * cols);
  const len = rows;
  for (let a0 = 0; a0 < cols; a0 += 4) {
    const na = Math.min(4, cols - a0);
    for (let b0 = a0; b0 < cols; b0 += 4) {
      const nb = Math.min(4, cols - b0);
      if (na === 4 && nb === 4) {
        dot4x4(t, a0 * len, b0 * len, len, g, a0, b0, cols);
      } else {
        for (let a = a0; a < a0 + na; a++) {
          for (let b = b0; b < b0 + nb; b++) {
            let sum = 0;
            const oa = a * len;
            const ob = b * len;
            for (let k = 0; k < len; k++) sum += t[oa + k] * t[ob + k];
            g[a * cols + b] = sum;
          }
        }
      }
    }
  }
  for (let a = 0; a < cols; a++) for (let b = 0; b < a; b++) g[a * cols + b] = g[b * cols + a];
  return g;
}

// prettier-ignore
function dot4x4(t: Float64Array, oa: number, ob: number, len: number, g: Float64Array, a0: number, b0: number, cols: number): void {
  let s00 = 0, s01 = 0, s02 = 0, s03 = 0;
  let s10 = 0, s11 = 0, s12 = 0, s13 = 0;
  let s20 = 0, s21 = 0, s22 = 0, s23 = 0;
  let s30 = 0, s31 = 0, s32 = 0, s33 = 0;
  const a1 = oa + len, a2 = oa + 2 * len, a3 = oa + 3 * len;
  const b1 = ob + len, b2 = ob + 2 * len, b3 = ob + 3 * len;
  for (let k = 0; k < len; k++) {
    const x0 = t[oa + k], x1 = t[a1 + k], x2 = t[a2 + k], x3 = t[a3 + k];
    const y0 = t[ob + k], y1 = t[b1 + k], y2 = t[b2 + k], y3 = t[b3 + k];
    s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
    s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
    s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2; s23 += x2 * y3;
    s30 += x3 * y0; s31 += x3 * y1; s32 += x3 * y2; s33 += x3 * y3;
  }
  const r0 = a0 * cols + b0, r1 = r0 + cols, r2 = r1 + cols, r3 = r2 + cols;
  g[r0] = s00; g[r0 + 1] = s01; g[r0 + 2] = s02; g[r0 + 3] = s03;
  g[r1] = s10; g[r1 + 1] = s11; g[r1 + 2] = s12; g[r1 + 3] = s13;
  g[r2] = s20; g[r2 + 1] = s21; g[r2 + 2] = s22; g[r2 + 3] = s23;
  g[r3] = s30; g[r3 + 1] = s31; g[r3 + 2] = s32; g[r3 + 3] = s33;
}

export interface TopEigen {
  /** The k largest eigenvalues, decreasing. */
  values: Float64Array;
  /** Their eigenvectors as columns of a row-major n × k matrix. */
  vectors: Float64Array;
  iterations: number;
}

/**
 * The k largest eigenpairs of a symmetric positive semi-definite n × n matrix by block subspace iteration
 * with Rayleigh–Ritz (a block of k + 8 vectors, a deterministic start from `startSeed`), until the k Ritz values change by less
 * than `tol` relative. O(n²·k) per iteration instead of the O(n³) full decomposition, which is what makes
 * sample QC on thousands of samples cheap.
 */
export function topEigen(
  a: Float64Array,
  n: number,
  k: number,
  tol = 1e-12,
  maxIter = 1000,
  startSeed = 12345,
): TopEigen {
  const p = Math.min(n, k + 8);
  let q: Float64Array = new Float64Array(n * p);
  let seed = startSeed;
  for (let i = 0; i < n * p; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    q[i] = seed / 4294967296 - 0.5;
  }
  orthonormalizeColumns(q, n, p);
  let prev: Float64Array = new Float64Array(k).fill(NaN);
  let ritz: SymmetricEigen = { values: new Float64Array(p), vectors: new Float64Array(p * p) };
  let iter = 0;
  while (iter < maxIter) {
    iter++;
    const z = multiplySymmetric(a, n, q, p); // A Q
    // Rayleigh–Ritz: H = Qᵀ A Q (p × p), rotate Q onto H's eigenvectors
    const h = new Float64Array(p * p);
    for (let i = 0; i < p; i++) {
      for (let j = i; j < p; j++) {
        let sum = 0;
        for (let r = 0; r < n; r++) sum += q[r * p + i] * z[r * p + j];
        h[i * p + j] = h[j * p + i] = sum;
      }
    }
    ritz = symmetricEigen(h, p);
    let converged = true;
    for (let i = 0; i < k; i++) {
      if (!(Math.abs(ritz.values[i] - prev[i]) <= tol * Math.max(Math.abs(ritz.values[0]), 1e-300)))
        converged = false;
    }
    prev = ritz.values.slice(0, k);
    if (converged) break;
    q = z;
    orthonormalizeColumns(q, n, p);
  }
  // final vectors: Q · (Ritz vectors), first k
  const vectors = new Float64Array(n * k);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < k; c++) {
      let sum = 0;
      for (let j = 0; j < p; j++) sum += q[r * p + j] * ritz.vectors[j * p + c];
      vectors[r * k + c] = sum;
    }
  }
  return { values: ritz.values.slice(0, k), vectors, iterations: iter };
}

/** A · Q for symmetric A (n × n) and Q (n × p), both row-major. */
function multiplySymmetric(a: Float64Array, n: number, q: Float64Array, p: number): Float64Array {
  const out = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    const oi = i * p;
    for (let r = 0; r < n; r++) {
      const v = a[i * n + r];
      if (v === 0) continue;
      const orow = r * p;
      for (let j = 0; j < p; j++) out[oi + j] += v * q[orow + j];
    }
  }
  return out;
}

/** Modified Gram–Schmidt on the columns of a row-major n × p matrix, twice for stability. */
function orthonormalizeColumns(q: Float64Array, n: number, p: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < p; j++) {
      for (let i = 0; i < j; i++) {
        let d = 0;
        for (let r = 0; r < n; r++) d += q[r * p + i] * q[r * p + j];
        for (let r = 0; r < n; r++) q[r * p + j] -= d * q[r * p + i];
      }
      let norm = 0;
      for (let r = 0; r < n; r++) norm += q[r * p + j] ** 2;
      norm = Math.sqrt(norm);
      for (let r = 0; r < n; r++) q[r * p + j] = norm > 0 ? q[r * p + j] / norm : 0;
    }
  }
}
