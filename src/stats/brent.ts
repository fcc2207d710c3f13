/**
 * One-dimensional minimization by Brent's method (golden-section search with parabolic interpolation; Brent
 * 1973, "Algorithms for Minimization without Derivatives", ch. 5). R's `optimize()` — and so
 * `optim(method = "Brent")`, which susieR uses for the prior variance of each single effect — runs exactly this
 * procedure; the steps, the start at the golden-section point of [lower, upper] and the stopping rule
 * |x − m| ≤ 2·tol₁ − (b − a)/2 with tol₁ = √ε·|x| + tol/3 are kept as published so a fit follows the same path of
 * function evaluations as R's. No npm package exposes this variant (the ones found use other stopping rules or
 * bracketing), hence written out here.
 */

const GOLDEN = (3 - Math.sqrt(5)) / 2;
const SQRT_EPS = Math.sqrt(Number.EPSILON);

/** x in [lower, upper] minimizing f, to tolerance `tol` (R's default for optim's Brent: √ε). */
export function brentMinimize(
  f: (x: number) => number,
  lower: number,
  upper: number,
  tol = SQRT_EPS,
): number {
  let a = lower;
  let b = upper;
  let v = a + GOLDEN * (b - a);
  let w = v;
  let x = v;
  let d = 0;
  let e = 0;
  let fx = f(x);
  let fv = fx;
  let fw = fx;
  const tol3 = tol / 3;
  for (;;) {
    const xm = (a + b) / 2;
    const tol1 = SQRT_EPS * Math.abs(x) + tol3;
    const t2 = 2 * tol1;
    if (Math.abs(x - xm) <= t2 - (b - a) / 2) break;
    let p = 0;
    let q = 0;
    let r = 0;
    if (Math.abs(e) > tol1) {
      // trial parabola through x, w, v
      r = (x - w) * (fx - fv);
      q = (x - v) * (fx - fw);
      p = (x - v) * q - (x - w) * r;
      q = 2 * (q - r);
      if (q > 0) p = -p;
      else q = -q;
      r = e;
      e = d;
    }
    let u: number;
    if (Math.abs(p) >= Math.abs(0.5 * q * r) || p <= q * (a - x) || p >= q * (b - x)) {
      // golden-section step into the larger part of the bracket
      e = x < xm ? b - x : a - x;
      d = GOLDEN * e;
    } else {
      // parabolic step, kept at least tol1 away from the bracket ends
      d = p / q;
      u = x + d;
      if (u - a < t2 || b - u < t2) d = x < xm ? tol1 : -tol1;
    }
    // never evaluate closer than tol1 to x
    u = Math.abs(d) >= tol1 ? x + d : d > 0 ? x + tol1 : x - tol1;
    const fu = f(u);
    if (fu <= fx) {
      if (u < x) b = x;
      else a = x;
      v = w;
      fv = fw;
      w = x;
      fw = fx;
      x = u;
      fx = fu;
    } else {
      if (u < x) a = u;
      else b = u;
      if (fu <= fw || w === x) {
        v = w;
        fv = fw;
        w = u;
        fw = fu;
      } else if (fu <= fv || v === x || v === w) {
        v = u;
        fv = fu;
      }
    }
  }
  return x;
}
