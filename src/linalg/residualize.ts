/**
 * Projection onto the orthogonal complement of [1, covariates]: an orthonormal basis Q by modified
 * Gram–Schmidt with re-orthogonalization; a column left with < 1e-8 of its norm after projecting out the
 * columns before it is linearly dependent and dropped (named, so the stage can warn). x − Q(Qᵀx) then removes
 * the intercept and every covariate from x, as FastQTL's and tensorQTL's residualizers do.
 */
export class Residualizer {
  /** Orthonormal basis vectors, each of length n, vector-major (r × n). */
  readonly q: Float64Array;
  readonly rank: number;
  /** Covariate names (not the intercept) found linearly dependent on the columns before them. */
  readonly dropped: string[];

  private constructor(
    readonly n: number,
    basis: Float64Array[],
    dropped: string[],
  ) {
    this.rank = basis.length;
    this.dropped = dropped;
    this.q = new Float64Array(this.rank * n);
    basis.forEach((b, r) => this.q.set(b, r * n));
  }

  /** The residualizer of [1, covariates]; `covariates`: samples × k, row-major (sample i, covariate j at i·k + j). */
  static of(n: number, covariates: Float64Array, k: number, names: string[] = []): Residualizer {
    const columns: Float64Array[] = [new Float64Array(n).fill(1)];
    for (let j = 0; j < k; j++) {
      const v = new Float64Array(n);
      for (let i = 0; i < n; i++) v[i] = covariates[i * k + j];
      columns.push(v);
    }
    const { basis, dependent } = orthonormalize([], columns, n);
    const dropped = dependent.filter((j) => j > 0).map((j) => names[j - 1] ?? `covariate ${j}`);
    return new Residualizer(n, basis, dropped);
  }

  /**
   * The residualizer of [1, covariates, extra columns]: `extra` holds `count` vectors of length n, row-major
   * (e.g. the genotypes of variants conditioned on). Dependent extra columns add nothing.
   */
  extend(extra: Float64Array, count: number): Residualizer {
    const { n } = this;
    const existing = Array.from({ length: this.rank }, (_, r) => this.q.subarray(r * n, (r + 1) * n));
    const columns = Array.from({ length: count }, (_, c) =>
      Float64Array.from(extra.subarray(c * n, (c + 1) * n)),
    );
    const { basis } = orthonormalize(existing, columns, n);
    return new Residualizer(n, [...existing, ...basis], this.dropped);
  }

  /**
   * x[off … off+n) ← x − Q(Qᵀx), in place. Q is orthonormal, so the projections onto four basis vectors are
   * taken in one pass over x and removed in a second (classical Gram–Schmidt, two passes per four vectors
   * instead of two per vector); the loops are short and monomorphic so V8 keeps them in registers.
   */
  residualize(x: Float64Array, off = 0): void {
    const { n, q, rank } = this;
    let r = 0;
    for (; r + 4 <= rank; r += 4) {
      const b0 = r * n;
      const b1 = b0 + n;
      const b2 = b1 + n;
      const b3 = b2 + n;
      let d0 = 0;
      let d1 = 0;
      let d2 = 0;
      let d3 = 0;
      for (let i = 0; i < n; i++) {
        const v = x[off + i];
        d0 += q[b0 + i] * v;
        d1 += q[b1 + i] * v;
        d2 += q[b2 + i] * v;
        d3 += q[b3 + i] * v;
      }
      for (let i = 0; i < n; i++)
        x[off + i] -= d0 * q[b0 + i] + d1 * q[b1 + i] + d2 * q[b2 + i] + d3 * q[b3 + i];
    }
    for (; r < rank; r++) {
      const b = r * n;
      let d = 0;
      for (let i = 0; i < n; i++) d += q[b + i] * x[off + i];
      for (let i = 0; i < n; i++) x[off + i] -= d * q[b + i];
    }
  }
}

/**
 * Modified Gram–Schmidt with re-orthogonalization of `columns` against `existing` (orthonormal) and each
 * other. A column left with < 1e-8 of its norm is dependent: its index is reported and it adds no vector.
 */
function orthonormalize(
  existing: Float64Array[],
  columns: Float64Array[],
  n: number,
): { basis: Float64Array[]; dependent: number[] } {
  const all = [...existing];
  const basis: Float64Array[] = [];
  const dependent: number[] = [];
  columns.forEach((v, j) => {
    const norm0 = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    for (let pass = 0; pass < 2; pass++)
      for (const b of all) {
        let d = 0;
        for (let i = 0; i < n; i++) d += b[i] * v[i];
        for (let i = 0; i < n; i++) v[i] -= d * b[i];
      }
    const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    if (!(norm > 1e-8 * norm0) || norm0 === 0) {
      dependent.push(j);
      return;
    }
    for (let i = 0; i < n; i++) v[i] /= norm;
    all.push(v);
    basis.push(v);
  });
  return { basis, dependent };
}
