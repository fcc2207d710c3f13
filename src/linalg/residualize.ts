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

  /** `covariates`: samples × k, row-major (sample i, covariate j at i·k + j). */
  constructor(
    readonly n: number,
    covariates: Float64Array,
    k: number,
    names: string[] = [],
  ) {
    const basis: Float64Array[] = [];
    const dropped: string[] = [];
    for (let j = -1; j < k; j++) {
      const v = new Float64Array(n);
      for (let i = 0; i < n; i++) v[i] = j < 0 ? 1 : covariates[i * k + j];
      const norm0 = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
      for (let pass = 0; pass < 2; pass++)
        for (const b of basis) {
          let d = 0;
          for (let i = 0; i < n; i++) d += b[i] * v[i];
          for (let i = 0; i < n; i++) v[i] -= d * b[i];
        }
      const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
      if (!(norm > 1e-8 * norm0) || norm0 === 0) {
        if (j >= 0) dropped.push(names[j] ?? `covariate ${j + 1}`);
        continue;
      }
      for (let i = 0; i < n; i++) v[i] /= norm;
      basis.push(v);
    }
    this.rank = basis.length;
    this.dropped = dropped;
    this.q = new Float64Array(this.rank * n);
    basis.forEach((b, r) => this.q.set(b, r * n));
  }

  /** x[off … off+n) ← x − Q(Qᵀx), in place. */
  residualize(x: Float64Array, off = 0): void {
    const { n, q } = this;
    for (let r = 0; r < this.rank; r++) {
      const b = r * n;
      let d = 0;
      for (let i = 0; i < n; i++) d += q[b + i] * x[off + i];
      for (let i = 0; i < n; i++) x[off + i] -= d * q[b + i];
    }
  }
}
