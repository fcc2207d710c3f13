import erfc from '@stdlib/math-base-special-erfc';
import erfcinv from '@stdlib/math-base-special-erfcinv';

/**
 * Standard normal quantile Φ⁻¹(p) = −√2·erfc⁻¹(2p).
 * Not @stdlib's normal-quantile package: it returns −∞ below p ≈ 1e-17 (checked against SciPy). erfcinv is
 * within 7e-14 relative of SciPy's `norm.ppf` down to p = 1e-300. For p > ½ the symmetric form on 1−p (exact
 * in floating point there) avoids the cancellation in 2p near 2.
 */
export function qnorm(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return NaN;
  return p <= 0.5 ? -Math.SQRT2 * erfcinv(2 * p) : Math.SQRT2 * erfcinv(2 * (1 - p));
}

/** Two-sided standard normal p-value of z, erfc(|z|/√2) (accurate far into the tail). */
export function normalTwoSidedP(z: number): number {
  return erfc(Math.abs(z) / Math.SQRT2);
}
