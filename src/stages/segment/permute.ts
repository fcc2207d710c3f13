/**
 * Permutation p-values for the lead variant of a gene.
 *
 * `freedmanLane`: Freedman & Lane (1983). The phenotype is split into the fit ŷ and residuals e of the reduced
 * model [1, copy number, phenotype covariate, sample covariates] (what SegmentQTL's own FL code uses; s and d vary
 * by variant and are the tested part), and each permutation tests y* = ŷ + e[π] against every variant of the cis
 * window with the variant's own design (s as a covariate, its own usable samples). The statistic is the window's
 * best p-value (max |t| when every variant has the same df). The per-permutation minima then go through the
 * project's beta approximation (src/stats/beta-approx.ts: true-df fit, ML Beta), after mapping each p-value to the r²
 * that gives it at a reference df (the lead variant's; exact when every variant has that df).
 *
 * One pass per block of permutations is two matrix products on the GEMM backend: every variant's normalised
 * residualized d and its covariate basis against the permuted phenotypes, and every variant's sample mask against
 * their squares; from these, each variant's t follows without a per-variant loop over samples.
 *
 * `geneSwap`: SegmentQTL's published "perm" (segmentQTL.py, `gene_variant_regressions_permutations`): the
 * expression of other genes of the chromosome is swapped in for the gene's, the window is scanned again for each,
 * a Beta is fitted to the best p-values by moments and p_adj = BetaCDF(p_lead). It is kept for parity only: other
 * genes' expression is not exchangeable with this gene's (different means, variances, co-expression, copy-number
 * dependence), so it is not a permutation test and its p-values are not calibrated.
 */
import betainc from '@stdlib/math-base-special-betainc';
import betaincinv from '@stdlib/math-base-special-betaincinv';
import type { GemmBackend } from '../../linalg/gemm.js';
import { Residualizer } from '../../linalg/residualize.js';
import { betaApproximation } from '../../stats/beta-approx.js';
import { tPvalue } from '../../stats/pvalue.js';
import type { Rng } from '../../runner/random.js';
import type { GeneData, VariantBasis } from './model.js';

export interface PermutationResult {
  /** Best p-value of each permutation. */
  permP: Float64Array;
  /** (1 + #{perm ≤ observed}) / (1 + permutations). */
  pvalPerm: number;
  pvalBeta: number;
  shape1: number;
  shape2: number;
  trueDf: number;
  pvalTrueDf: number;
}

/** The r² whose correlation test at `dof` degrees of freedom has p-value p (the inverse of pvalFromR2). */
function r2FromP(p: number, dof: number): number {
  if (p >= 1) return 0;
  if (p <= 0) return 1;
  return 1 - betaincinv(p, dof / 2, 0.5);
}

const BLOCK = 128;

export function freedmanLane(
  g: GeneData,
  bases: VariantBasis[],
  observedP: number,
  leadDof: number,
  permutations: number,
  rng: Rng,
  gemm: GemmBackend,
): PermutationResult {
  // the gene's samples with phenotype and fixed covariates (each variant's samples are a subset)
  const n = g.y.length;
  const pos = new Int32Array(n).fill(-1);
  const keep: number[] = [];
  for (let i = 0; i < n; i++) {
    let ok = Number.isFinite(g.y[i]);
    for (let c = 0; ok && c < g.q; c++) ok = Number.isFinite(g.fixed[i * g.q + c]);
    if (ok) {
      pos[i] = keep.length;
      keep.push(i);
    }
  }
  const m = keep.length;
  const fx = new Float64Array(m * g.q);
  const y = new Float64Array(m);
  keep.forEach((i, k) => {
    y[k] = g.y[i];
    for (let c = 0; c < g.q; c++) fx[k * g.q + c] = g.fixed[i * g.q + c];
  });
  const reduced = Residualizer.of(m, fx, g.q);
  const e = Float64Array.from(y);
  reduced.residualize(e);
  const yhat = Float64Array.from(y, (v, k) => v - e[k]);

  // rows: per variant its q_d, then its basis vectors; and its sample mask (all padded to the gene's m samples)
  const V = bases.length;
  const qdRow = new Int32Array(V);
  const basisStart = new Int32Array(V);
  const rank = new Int32Array(V);
  let rows = 0;
  bases.forEach((b, v) => {
    qdRow[v] = rows++;
    basisStart[v] = rows;
    rank[v] = b.rs.rank;
    rows += b.rs.rank;
  });
  const A = new Float64Array(rows * m);
  const M = new Float64Array(V * m);
  bases.forEach((b, v) => {
    const ni = b.idx.length;
    for (let k = 0; k < ni; k++) {
      const col = pos[b.idx[k]];
      A[qdRow[v] * m + col] = b.qd[k];
      M[v * m + col] = 1;
      for (let r = 0; r < b.rs.rank; r++) A[(basisStart[v] + r) * m + col] = b.rs.q[r * ni + k];
    }
  });
  // variants grouped by df: the best p of a permutation is the best of each group's largest t²
  const dofs = [...new Set(bases.map((b) => b.dof))];
  const group = Int32Array.from(bases, (b) => dofs.indexOf(b.dof));

  const permP = new Float64Array(permutations);
  const Y = new Float64Array(BLOCK * m);
  const Y2 = new Float64Array(BLOCK * m);
  const C1 = new Float64Array(rows * BLOCK);
  const C2 = new Float64Array(V * BLOCK);
  const best = new Float64Array(dofs.length);
  for (let p0 = 0; p0 < permutations; p0 += BLOCK) {
    const b = Math.min(BLOCK, permutations - p0);
    for (let j = 0; j < b; j++) {
      const perm = rng.permutation(m);
      for (let k = 0; k < m; k++) {
        const v = yhat[k] + e[perm[k]];
        Y[j * m + k] = v;
        Y2[j * m + k] = v * v;
      }
    }
    gemm.gemmABt(A, rows, Y, b, m, C1);
    gemm.gemmABt(M, V, Y2, b, m, C2);
    for (let j = 0; j < b; j++) {
      best.fill(0);
      for (let v = 0; v < V; v++) {
        const num = C1[qdRow[v] * b + j];
        let proj = num * num;
        for (let r = 0; r < rank[v]; r++) {
          const c = C1[(basisStart[v] + r) * b + j];
          proj += c * c;
        }
        const rss = C2[v * b + j] - proj;
        if (!(rss > 0)) continue;
        const t2 = ((num * num) / rss) * bases[v].dof;
        if (t2 > best[group[v]]) best[group[v]] = t2;
      }
      let pmin = 1;
      for (let k = 0; k < dofs.length; k++) pmin = Math.min(pmin, tPvalue(Math.sqrt(best[k]), dofs[k]));
      permP[p0 + j] = pmin;
    }
  }
  let exceed = 0;
  for (const p of permP) if (p <= observedP) exceed++;
  const r2Perm = Float64Array.from(permP, (p) => r2FromP(p, leadDof));
  const beta = betaApproximation(r2Perm, r2FromP(observedP, leadDof), leadDof);
  return {
    permP,
    pvalPerm: (1 + exceed) / (1 + permutations),
    pvalBeta: beta.pvalBeta,
    shape1: beta.shape1,
    shape2: beta.shape2,
    trueDf: beta.trueDf,
    pvalTrueDf: beta.pvalTrueDf,
  };
}

/**
 * SegmentQTL's gene-swap "permutation" (see the file comment): `swappedBest` holds the window's best p-value for
 * each other gene's expression. Beta shapes by moments (population variance, as SegmentQTL's TensorFlow code).
 */
export function geneSwap(swappedBest: Float64Array, observedP: number): PermutationResult {
  const p = swappedBest.filter((x) => Number.isFinite(x));
  let mean = 0;
  for (const x of p) mean += x;
  mean /= p.length;
  let v = 0;
  for (const x of p) v += (x - mean) * (x - mean);
  v /= p.length;
  const shape1 = mean * ((mean * (1 - mean)) / v - 1);
  const shape2 = shape1 * (1 / mean - 1);
  let exceed = 0;
  for (const x of p) if (x <= observedP) exceed++;
  const ok = p.length > 1 && shape1 > 0 && shape2 > 0;
  return {
    permP: Float64Array.from(p),
    pvalPerm: (1 + exceed) / (1 + p.length),
    pvalBeta: ok ? betainc(observedP, shape1, shape2) : NaN,
    shape1: ok ? shape1 : NaN,
    shape2: ok ? shape2 : NaN,
    trueDf: NaN,
    pvalTrueDf: NaN,
  };
}
