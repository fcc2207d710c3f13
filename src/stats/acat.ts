/**
 * The aggregated Cauchy association test (ACAT; Liu & Xie 2019, Liu et al. 2019): T = Σ wᵢ tan((0.5 − pᵢ)π)
 * with weights summing to 1 is standard Cauchy under the null whatever the dependence between the p-values,
 * so p = P(Cauchy > T) = ½ − arctan(T)/π. As the ACAT R package: p-values below 1e-16 enter as wᵢ/(pᵢπ)
 * (tan((0.5 − p)π) → 1/(pπ), and tan loses every digit there), and a statistic above 1e15 gives p = 1/(Tπ)
 * (the Cauchy tail, where ½ − arctan(T)/π cancels to 0).
 */

export interface AcatResult {
  p: number;
  /** The Cauchy statistic (weights normalized to sum 1). */
  stat: number;
  /** P-values combined (NaN ones are left out). */
  used: number;
}

export function acat(pvals: ArrayLike<number>, weights?: ArrayLike<number>): AcatResult {
  let wsum = 0;
  let used = 0;
  let zero = false;
  let one = false;
  for (let i = 0; i < pvals.length; i++) {
    const p = pvals[i];
    const w = weights ? weights[i] : 1;
    if (Number.isNaN(p) || !(w > 0)) continue;
    if (p < 0 || p > 1) throw new RangeError(`ACAT: p-value ${p} is not in [0, 1]`);
    if (p === 0) zero = true;
    if (p === 1) one = true;
    wsum += w;
    used++;
  }
  if (used === 0) return { p: NaN, stat: NaN, used };
  // as the ACAT package: a 0 gives 0, a 1 gives 1 (both together cannot be combined)
  if (zero && one) return { p: NaN, stat: NaN, used };
  if (zero) return { p: 0, stat: Infinity, used };
  if (one) return { p: 1, stat: -Infinity, used };
  let stat = 0;
  for (let i = 0; i < pvals.length; i++) {
    const p = pvals[i];
    const w = weights ? weights[i] : 1;
    if (Number.isNaN(p) || !(w > 0)) continue;
    const wn = w / wsum;
    stat += p < 1e-16 ? wn / (p * Math.PI) : wn * Math.tan((0.5 - p) * Math.PI);
  }
  const p = stat > 1e15 ? 1 / (stat * Math.PI) : cauchyUpper(stat);
  return { p, stat, used };
}

/** P(Cauchy > t), computed without cancellation on either side of 0. */
function cauchyUpper(t: number): number {
  // for t < 0, ½ − arctan(t)/π = ½ + arctan(|t|)/π (no loss); for large t use arctan(1/t)/π
  if (t > 1) return Math.atan(1 / t) / Math.PI;
  return 0.5 - Math.atan(t) / Math.PI;
}
