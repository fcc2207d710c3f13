/**
 * p-values of correlation and t statistics through the regularized incomplete beta function (@stdlib's port
 * of Boost's ibeta, accurate far into the tails, where 1 − CDF would round to 0).
 */
import betainc from '@stdlib/math-base-special-betainc';

/** Two-sided Student-t p-value of t with dof degrees of freedom (dof may be fractional). */
export function tPvalue(t: number, dof: number): number {
  if (!Number.isFinite(t)) return Number.isNaN(t) ? NaN : 0;
  return betainc(dof / (dof + t * t), dof / 2, 0.5);
}

/**
 * Two-sided p-value of a correlation r (given as r²) with dof residual degrees of freedom: the t-test of the
 * slope, t² = dof·r²/(1 − r²), i.e. the upper tail of F(1, dof) at t². Equal to I_{1−r²}(dof/2, 1/2).
 */
export function pvalFromR2(r2: number, dof: number): number {
  if (!(r2 >= 0)) return NaN;
  if (r2 >= 1) return 0;
  return betainc(1 - r2, dof / 2, 0.5);
}
