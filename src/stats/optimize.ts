/**
 * The two optimizers tensorQTL's beta approximation calls from SciPy, written out so the fitted numbers follow
 * the same steps and stopping rules (no npm package reproduces SciPy's): the secant method of
 * `scipy.optimize.newton` without a derivative, and the Nelder–Mead simplex of `scipy.optimize.minimize`.
 */

/** Secant root finding as scipy.optimize.newton(f, x0, tol, maxiter) without fprime; undefined if it fails. */
export function secant(
  f: (x: number) => number,
  x0: number,
  tol = 1.48e-8,
  maxIter = 50,
): number | undefined {
  const eps = 1e-4;
  let p0 = x0;
  let p1 = x0 * (1 + eps);
  p1 += p1 >= 0 ? eps : -eps;
  let q0 = f(p0);
  let q1 = f(p1);
  if (Math.abs(q1) < Math.abs(q0)) {
    [p0, p1] = [p1, p0];
    [q0, q1] = [q1, q0];
  }
  for (let it = 0; it < maxIter; it++) {
    if (q1 === q0) return p1 !== p0 ? undefined : p1; // flat: SciPy warns and gives up
    const p =
      Math.abs(q1) > Math.abs(q0)
        ? ((-q0 / q1) * p1 + p0) / (1 - q0 / q1)
        : ((-q1 / q0) * p0 + p1) / (1 - q1 / q0);
    if (!Number.isFinite(p)) return undefined;
    if (Math.abs(p - p1) < tol) return p;
    p0 = p1;
    q0 = q1;
    p1 = p;
    q1 = f(p1);
    if (Number.isNaN(q1)) return undefined;
  }
  return undefined;
}

/**
 * Nelder–Mead as scipy.optimize.minimize(method='Nelder-Mead', tol): initial simplex x0 and x0 with each
 * coordinate scaled by 1.05 (0.00025 for a zero), reflection 1, expansion 2, contraction 0.5, shrink 0.5;
 * stops when the simplex spans ≤ xatol in every coordinate and ≤ fatol in value, or after 200·N iterations
 * or function evaluations.
 */
export function nelderMead(
  f: (x: Float64Array) => number,
  x0: ArrayLike<number>,
  options: { xatol?: number; fatol?: number; maxIter?: number } = {},
): { x: Float64Array; fun: number; iterations: number } {
  const n = x0.length;
  const xatol = options.xatol ?? 1e-4;
  const fatol = options.fatol ?? 1e-4;
  const maxIter = options.maxIter ?? 200 * n;
  const maxFun = 200 * n;
  let calls = 0;
  const fn = (x: Float64Array) => {
    calls++;
    const v = f(x);
    return Number.isNaN(v) ? Infinity : v;
  };
  let sim: Float64Array[] = [Float64Array.from(x0)];
  for (let k = 0; k < n; k++) {
    const y = Float64Array.from(x0);
    y[k] = y[k] !== 0 ? 1.05 * y[k] : 0.00025;
    sim.push(y);
  }
  let fsim = sim.map(fn);
  const order = () => {
    const idx = fsim.map((_, i) => i).sort((a, b) => fsim[a] - fsim[b]);
    sim = idx.map((i) => sim[i]);
    fsim = idx.map((i) => fsim[i]);
  };
  order();
  const comb = (a: number, x: Float64Array, b: number, y: Float64Array) => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = a * x[i] + b * y[i];
    return out;
  };
  let it = 0;
  while (calls < maxFun && it < maxIter) {
    let spanX = 0;
    let spanF = 0;
    for (let j = 1; j <= n; j++) {
      spanF = Math.max(spanF, Math.abs(fsim[0] - fsim[j]));
      for (let i = 0; i < n; i++) spanX = Math.max(spanX, Math.abs(sim[j][i] - sim[0][i]));
    }
    if (spanX <= xatol && spanF <= fatol) break;
    const xbar = new Float64Array(n);
    for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) xbar[i] += sim[j][i] / n;
    const worst = sim[n];
    const xr = comb(2, xbar, -1, worst);
    const fxr = fn(xr);
    let shrink = false;
    if (fxr < fsim[0]) {
      const xe = comb(3, xbar, -2, worst);
      const fxe = fn(xe);
      if (fxe < fxr) [sim[n], fsim[n]] = [xe, fxe];
      else [sim[n], fsim[n]] = [xr, fxr];
    } else if (fxr < fsim[n - 1]) {
      [sim[n], fsim[n]] = [xr, fxr];
    } else if (fxr < fsim[n]) {
      const xc = comb(1.5, xbar, -0.5, worst);
      const fxc = fn(xc);
      if (fxc <= fxr) [sim[n], fsim[n]] = [xc, fxc];
      else shrink = true;
    } else {
      const xcc = comb(0.5, xbar, 0.5, worst);
      const fxcc = fn(xcc);
      if (fxcc < fsim[n]) [sim[n], fsim[n]] = [xcc, fxcc];
      else shrink = true;
    }
    if (shrink)
      for (let j = 1; j <= n; j++) {
        sim[j] = comb(0.5, sim[0], 0.5, sim[j]);
        fsim[j] = fn(sim[j]);
      }
    it++;
    order();
  }
  return { x: sim[0], fun: fsim[0], iterations: it };
}
