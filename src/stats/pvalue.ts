/**
 * p-values of correlation and t statistics: the regularized incomplete beta function I_x(dof/2, 1/2), the
 * upper tail of F(1, dof) at t².
 *
 * Written here rather than called from @stdlib's betainc (a port of Boost's ibeta) because it is the per-pair
 * cost of the nominal pass: betainc is general (any a, b; series, asymptotic and continued-fraction branches,
 * with their checks) and measured ~650–800 ns per call at dof = 324, this ~150 ns. It is the classical
 * evaluation (Numerical Recipes `betai`; DiDonato & Morris's starting point): the prefix x^a·y^b / B(a, b)
 * in logarithms, times the continued fraction of I_x(a, b) on the side of the mean where it converges fast
 * (x < (a + 1)/(a + b + 2)), else 1 − I_y(b, a). Both x = 1 − r² and y = r² are taken as given (log1p for
 * ln x), so a p-value near 1 keeps the digits betainc(1 − r², …) loses to the rounding of 1 − r². ln B(a, ½)
 * comes from lgamma for small a and from the Stirling series of ln Γ(a + ½) − ln Γ(a) for large a, where
 * the difference of two lgamma values would cancel. test/unit/stats.test.ts checks it against betainc and
 * the closed forms of dof = 1 and 2 (≤ 1e-12 relative down to 1e-300).
 */
import gammaln from '@stdlib/math-base-special-gammaln';

const TINY = 1e-300;
const EPS = 2.3e-16;
const MAX_ITER = 100_000;
const HALF_LN_PI = 0.5 * Math.log(Math.PI);

/** Continued fraction of I_x(a, b) (modified Lentz), converging fast for x < (a + 1)/(a + b + 2). */
function betaFraction(a: number, b: number, x: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= MAX_ITER; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return h;
}

/** ln Γ(a + ½) − ln Γ(a): Stirling's series for a ≥ 10 (no cancellation of two large lgamma values). */
function lnGammaHalfRatio(a: number): number {
  if (a < 10) return gammaln(a + 0.5) - gammaln(a);
  const s = (z: number) => {
    const z2 = 1 / (z * z);
    return (1 / z) * (1 / 12 - z2 * (1 / 360 - z2 * (1 / 1260 - z2 * (1 / 1680 - z2 / 1188))));
  };
  return 0.5 * Math.log(a) + (a * Math.log1p(0.5 / a) - 0.5) + s(a + 0.5) - s(a);
}

const lnBetaCache = new Map<number, number>();

/** ln B(a, ½), memoized (a run uses one or a few dof). */
function lnBetaHalf(a: number): number {
  let v = lnBetaCache.get(a);
  if (v === undefined) {
    v = HALF_LN_PI - lnGammaHalfRatio(a);
    if (lnBetaCache.size > 256) lnBetaCache.clear();
    lnBetaCache.set(a, v);
  }
  return v;
}

/** I_x(a, ½) with y = 1 − x given separately (each as accurate as the caller has it). */
function betaHalf(x: number, y: number, a: number): number {
  if (!(x > 0)) return x === 0 ? 0 : NaN;
  if (!(y > 0)) return y === 0 ? 1 : NaN;
  const b = 0.5;
  const lx = x > 0.5 ? Math.log1p(-y) : Math.log(x);
  const front = Math.exp(a * lx + b * Math.log(y) - lnBetaHalf(a));
  if (x < (a + 1) / (a + b + 2)) return (front * betaFraction(a, b, x)) / a;
  return 1 - (front * betaFraction(b, a, y)) / b;
}

/** Two-sided Student-t p-value of t with dof degrees of freedom (dof may be fractional). */
export function tPvalue(t: number, dof: number): number {
  if (!Number.isFinite(t)) return Number.isNaN(t) ? NaN : 0;
  if (!(dof > 0)) return NaN;
  const t2 = t * t;
  return betaHalf(dof / (dof + t2), t2 / (dof + t2), dof / 2);
}

/**
 * Two-sided p-value of a correlation r (given as r²) with dof residual degrees of freedom: the t-test of the
 * slope, t² = dof·r²/(1 − r²), i.e. the upper tail of F(1, dof) at t². Equal to I_{1−r²}(dof/2, 1/2).
 */
export function pvalFromR2(r2: number, dof: number): number {
  if (!(r2 >= 0) || !(dof > 0)) return NaN;
  if (r2 >= 1) return 0;
  return betaHalf(1 - r2, r2, dof / 2);
}
