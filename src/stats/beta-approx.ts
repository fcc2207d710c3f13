/**
 * The beta approximation of permutation p-values (Ongen et al. 2016, FastQTL), as tensorQTL computes it:
 * the per-permutation maxima r² are turned into p-values with an effective ("true") df chosen so that their
 * Beta fit has shape1 = 1 by moments, then Beta(shape1, shape2) is fitted to them by maximum likelihood, and
 * pval_beta = BetaCDF(p(r²_observed; true_df)).
 *
 * Choices, where FastQTL 2.184 differs: the variance of the permutation p-values uses the population divisor
 * (NumPy's np.var; FastQTL divides by n − 1); the df root is found by the secant method from n − 2 − k with
 * tolerance 1e-4, falling back to Nelder–Mead on |cost| (FastQTL minimizes |1 − shape1| with GSL's Brent
 * method between bounds); the ML fit is an unbounded Nelder–Mead from the moment estimates with tolerance 1e-4
 * (FastQTL's GSL simplex starts from the same point with step sizes of its own). The differences move
 * pval_beta far less than the Monte Carlo noise of 1000 permutations.
 */
import betainc from '@stdlib/math-base-special-betainc';
import gammaln from '@stdlib/math-base-special-gammaln';
import { nelderMead, secant } from './optimize.js';
import { pvalFromR2 } from './pvalue.js';

export interface BetaApprox {
  trueDf: number;
  shape1: number;
  shape2: number;
  pvalTrueDf: number;
  pvalBeta: number;
}

function meanVar(x: Float64Array): [number, number] {
  let m = 0;
  for (const v of x) m += v;
  m /= x.length;
  let s = 0;
  for (const v of x) s += (v - m) * (v - m);
  return [m, s / x.length];
}

function permPvals(r2Perm: Float64Array, dof: number): Float64Array {
  const p = new Float64Array(r2Perm.length);
  for (let i = 0; i < p.length; i++) p[i] = pvalFromR2(r2Perm[i], dof);
  return p;
}

/** tensorQTL's df_cost: shape1 by moments − 1 for the permutation p-values at this df. */
function dfCost(r2Perm: Float64Array, dof: number): number {
  if (!(dof > 0)) return NaN;
  const [m, v] = meanVar(permPvals(r2Perm, dof));
  return m * ((m * (1 - m)) / v - 1) - 1;
}

function betaNegLogLik(p: Float64Array, sumLog: number, sumLog1m: number, s1: number, s2: number): number {
  const logBeta = gammaln(s1) + gammaln(s2) - gammaln(s1 + s2);
  return (1 - s1) * sumLog + (1 - s2) * sumLog1m + p.length * logBeta;
}

/** Fits the beta approximation to the permutation maxima (r²) and applies it to the observed r². */
export function betaApproximation(
  r2Perm: Float64Array,
  r2Observed: number,
  dofInit: number,
  tol = 1e-4,
): BetaApprox {
  let trueDf = secant((x) => dfCost(r2Perm, x), dofInit, tol, 50);
  if (trueDf === undefined || !(trueDf > 0)) {
    const res = nelderMead((x) => Math.abs(dfCost(r2Perm, x[0])), [dofInit], { xatol: tol, fatol: tol });
    trueDf = res.x[0];
  }
  const p = permPvals(r2Perm, trueDf);
  const [m, v] = meanVar(p);
  const s1m = m * ((m * (1 - m)) / v - 1);
  const s2m = s1m * (1 / m - 1);
  let sumLog = 0;
  let sumLog1m = 0;
  for (const x of p) {
    sumLog += Math.log(x);
    sumLog1m += Math.log1p(-x);
  }
  const fit = nelderMead((s) => betaNegLogLik(p, sumLog, sumLog1m, s[0], s[1]), [s1m, s2m], {
    xatol: tol,
    fatol: tol,
  });
  const [shape1, shape2] = fit.x;
  const pvalTrueDf = pvalFromR2(r2Observed, trueDf);
  return { trueDf, shape1, shape2, pvalTrueDf, pvalBeta: betainc(pvalTrueDf, shape1, shape2) };
}
