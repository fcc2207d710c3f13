/**
 * ACAT against its closed form and the ACAT package's published example; Davies' method against an independent
 * inversion of the characteristic function (Imhof's integral in SciPy, Debian python3-scipy); the modified Liu
 * approximation against SciPy's noncentral χ²; SKAT's Davies → Liu fallback.
 */
import { acat } from '../../src/stats/acat.js';
import {
  chisqUpper,
  davies,
  liuModified,
  liuParams,
  nchisqUpper,
  skatPvalue,
} from '../../src/stats/quadform.js';
import { burdenTest, skatLambda } from '../../src/stages/rare/index.js';
import { describeWithTool, hasCommand, python, SYSTEM_PYTHON } from '../helpers/tools.js';

describe('ACAT', () => {
  test("the ACAT package's example: ACAT(c(2e-02, 4e-04, 0.2, 0.1, 0.8)) = 0.001953404", () => {
    expect(acat([2e-2, 4e-4, 0.2, 0.1, 0.8]).p).toBeCloseTo(0.001953404, 9);
  });

  test('closed form: ½ − arctan(Σ wᵢ tan((½ − pᵢ)π) / Σ w)/π, weighted', () => {
    const p = [0.3, 0.01, 0.7];
    const w = [1, 2, 3];
    const T = (1 * Math.tan(0.2 * Math.PI) + 2 * Math.tan(0.49 * Math.PI) + 3 * Math.tan(-0.2 * Math.PI)) / 6;
    const r = acat(p, w);
    expect(r.stat).toBeCloseTo(T, 12);
    expect(r.p).toBeCloseTo(0.5 - Math.atan(T) / Math.PI, 14);
  });

  test('p < 1e-16 enters as 1/(pπ); a statistic > 1e15 gives 1/(Tπ)', () => {
    const r = acat([1e-20, 0.5]);
    expect(r.stat).toBeCloseTo(1 / (1e-20 * Math.PI) / 2, -5);
    expect(r.p / (1 / (r.stat * Math.PI))).toBeCloseTo(1, 12);
    expect(r.p).toBeCloseTo(2e-20, 30);
    // above the threshold the tan form is used (0.5 − p rounds p to ~1e-17 absolute, so ~1e-7 relative here)
    expect(acat([1e-10]).p / 1e-10).toBeCloseTo(1, 5);
  });

  test('a p-value of 0 gives 0, of 1 gives 1; NaN ones are left out; both 0 and 1 cannot be combined', () => {
    expect(acat([0, 0.3]).p).toBe(0);
    expect(acat([1, 0.3]).p).toBe(1);
    expect(acat([NaN, 0.3]).p).toBeCloseTo(0.3, 14);
    expect(acat([0, 1]).p).toBeNaN();
    expect(() => acat([1.2])).toThrow(/not in \[0, 1\]/);
  });
});

describe('χ² tails', () => {
  test('central: χ²₁ upper tail at 3.841459 is 0.05; χ²₂ at x is exp(−x/2)', () => {
    expect(chisqUpper(3.841458820694124, 1)).toBeCloseTo(0.05, 13);
    expect(chisqUpper(50, 2) / Math.exp(-25)).toBeCloseTo(1, 12);
  });
  test('noncentral with ncp = 0 is the central tail', () => {
    expect(nchisqUpper(7, 3, 0)).toBe(chisqUpper(7, 3));
  });
});

describe('Davies → Liu fallback (SKAT Get_PValue)', () => {
  test('one eigenvalue: Liu', () => {
    const r = skatPvalue(5, [2]);
    expect(r.method).toBe('liu');
    // one λ: Q/λ is χ²₁, and the matched χ² is exact
    expect(r.p).toBeCloseTo(chisqUpper(2.5, 1), 12);
  });
  test('a p-value beyond Davies’ accuracy (returned ≤ 0) falls back to Liu', () => {
    const lambda = [3, 2, 1, 0.5, 0.25];
    const q = 400;
    const d = davies(q, lambda);
    expect(d.p <= 0 || d.p > 1).toBe(true);
    const r = skatPvalue(q, lambda);
    expect(r.method).toBe('liu');
    expect(r.p).toBe(liuModified(q, lambda));
    expect(r.p).toBeGreaterThan(0);
    expect(r.p).toBeLessThan(1e-30);
  });
  test('too few integration terms allowed (ifault 1 or 4) is a failure, not a p-value', () => {
    const d = davies(10, [5, 4, 3, 2, 1, 0.5], { lim: 5 });
    expect([1, 4]).toContain(d.ifault);
    expect(d.p > 0 && d.p <= 1).toBe(false);
  });
  test('SKAT keeps the eigenvalues above mean/1e5', () => {
    expect(Array.from(skatLambda(Float64Array.from([4, 2, 1e-6, -1e-9])))).toEqual([4, 2]);
  });
});

describe('burden test', () => {
  test('Wald t and LRT of y ~ b on residuals', () => {
    const b = Float64Array.from([1, -1, 2, -2, 0.5, -0.5]);
    const y = Float64Array.from([1.2, -0.7, 2.5, -1.9, 0.1, -1.2]);
    const t = burdenTest(b, y, 4);
    const bb = b.reduce((s, x) => s + x * x, 0);
    const by = b.reduce((s, x, i) => s + x * y[i], 0);
    expect(t.beta).toBeCloseTo(by / bb, 14);
    const rss0 = y.reduce((s, x) => s + x * x, 0);
    const rss1 = rss0 - (by * by) / bb;
    expect(t.lrt).toBeCloseTo(6 * Math.log(rss0 / rss1), 12);
    expect(t.se).toBeCloseTo(Math.sqrt(rss1 / 4 / bb), 12);
  });
});

const IMHOF = `
import json, sys
import numpy as np
from scipy import integrate, stats
cases = json.loads(sys.argv[1])
out = []
for lam, q in cases:
    lam = np.array(lam, dtype=float)
    f = lambda u: np.sin(0.5 * np.sum(np.arctan(lam * u)) - 0.5 * q * u) / (u * np.exp(0.25 * np.sum(np.log1p((lam * u) ** 2))))
    v, _ = integrate.quad(f, 0, np.inf, limit=20000, epsabs=1e-14, epsrel=1e-12)
    out.append(0.5 + v / np.pi)
liu = []
for l, d, x in json.loads(sys.argv[2]):
    liu.append(float(stats.ncx2.sf(x, l, d)) if d > 0 else float(stats.chi2.sf(x, l)))
json.dump({"imhof": out, "ncx2": liu}, sys.stdout)
`;

describeWithTool(hasCommand(SYSTEM_PYTHON, ['-c', 'import scipy']), 'python3-scipy')(
  'against SciPy (independent implementations)',
  () => {
    const cases: [number[], number][] = [
      [[1, 1, 1], 3],
      [[5, 2, 1, 0.5, 0.1], 12],
      [[0.9, 0.6, 0.45, 0.3, 0.2, 0.1, 0.05], 0.8],
      [[100, 30, 1, 0.01], 400],
      [[2.5, 2.4, 2.3, 0.2], 30],
    ];
    test('Davies (acc 1e-6: an absolute bound) equals Imhof’s integral within 1e-6, and 1e-5 relative', () => {
      const liuCases = cases.map(([lam, q]) => {
        const p = liuParams(lam);
        return [p.l, p.d, ((q - p.muQ) / p.sigmaQ) * p.sigmaX + p.muX];
      });
      const ref = python<{ imhof: number[]; ncx2: number[] }>(IMHOF, [
        JSON.stringify(cases),
        JSON.stringify(liuCases),
      ]);
      cases.forEach(([lam, q], i) => {
        const d = davies(q, lam);
        expect(d.ifault).toBe(0);
        expect(Math.abs(d.p - ref.imhof[i])).toBeLessThan(1e-6);
        expect(Math.abs(d.p - ref.imhof[i]) / ref.imhof[i]).toBeLessThan(1e-5);
        // the modified Liu approximation is SciPy's noncentral χ² at the matched point
        expect(Math.abs(liuModified(q, lam) - ref.ncx2[i]) / ref.ncx2[i]).toBeLessThan(1e-9);
      });
    });
  },
);
