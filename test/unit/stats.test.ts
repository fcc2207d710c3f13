import { rankAverage, quantileType7, meanR, median, sumCompensated } from '../../src/stats/rank.js';
import betainc from '@stdlib/math-base-special-betainc';
import { qnorm } from '../../src/stats/normal.js';
import { pvalFromR2, tPvalue } from '../../src/stats/pvalue.js';

describe('rankAverage (R rank ties.method = "average")', () => {
  test('ties share the mean of their ranks', () => {
    expect(Array.from(rankAverage([10, 20, 10, 30, 20, 20]))).toEqual([1.5, 4, 1.5, 6, 4, 4]);
  });
  test('all equal → (n+1)/2', () => {
    expect(Array.from(rankAverage([0, 0, 0, 0]))).toEqual([2.5, 2.5, 2.5, 2.5]);
  });
});

describe('quantileType7 (R quantile default)', () => {
  test('interpolates between order statistics', () => {
    // R: quantile(c(1, 2, 3, 4, 10), 0.75) = 4; quantile(1:10, 0.75) = 7.75; quantile(c(5, 1, 3), 0.3) = 2.2
    expect(quantileType7([1, 2, 3, 4, 10], 0.75)).toBe(4);
    expect(quantileType7([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.75)).toBeCloseTo(7.75, 15);
    expect(quantileType7([5, 1, 3], 0.3)).toBeCloseTo(2.2, 15);
  });
});

describe('means and sums', () => {
  test('meanR refines the naive mean', () => {
    expect(meanR([1e16, 1, -1e16, 1])).toBeCloseTo(0.5, 10);
    expect(meanR([1, 2, 3, 4])).toBe(2.5);
  });
  test('median of even and odd length', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
  test('compensated sum keeps small terms', () => {
    expect(sumCompensated([1e16, 1, 1, -1e16])).toBe(2);
  });
});

describe('qnorm', () => {
  // Reference values: R qnorm / SciPy norm.ppf.
  test.each([
    [0.5, 0],
    [0.975, 1.959963984540054],
    [0.025, -1.959963984540054],
    [1e-10, -6.361340902404056],
    [1e-20, -9.262340089798409],
    [1 / 359, -2.77201595188127],
  ])('qnorm(%p) = %p', (p, q) => {
    expect(Math.abs(qnorm(p) - q)).toBeLessThan(1e-13 * Math.max(1, Math.abs(q)));
  });
  test('symmetric and defined at the ends', () => {
    expect(qnorm(0.3)).toBeCloseTo(-qnorm(0.7), 15);
    expect(qnorm(0)).toBe(-Infinity);
    expect(qnorm(1)).toBe(Infinity);
    expect(qnorm(1.5)).toBeNaN();
  });
});

describe('pvalFromR2 / tPvalue: I_x(dof/2, 1/2)', () => {
  /** r² from 1e-14 to 1 − 1e-14 on a log grid of both r² and 1 − r², finer from 1e-3 up (the tails of large dof). */
  const grid = (): number[] => {
    const out: number[] = [];
    for (let e = -14; e < 0; e += 0.01) out.push(10 ** e, 1 - 10 ** e);
    for (let e = -3; e < 0; e += 0.0005) out.push(10 ** e);
    return out.filter((r2) => r2 > 0 && r2 < 1);
  };
  const worst = (dof: number, ref: (r2: number) => number, keep: (r2: number) => boolean) => {
    let w = 0;
    let n = 0;
    for (const r2 of grid().filter(keep)) {
      const p = ref(r2);
      if (!(p > 1e-300)) continue;
      n++;
      w = Math.max(w, Math.abs(pvalFromR2(r2, dof) - p) / p);
    }
    expect(n).toBeGreaterThan(200);
    return w;
  };

  test('equals the closed forms of dof = 1 and 2 over the whole range, p near 1 included', () => {
    // dof 1: p = (2/π)·atan(√((1 − r²)/r²)); dof 2: p = 1 − r = (1 − r²)/(1 + r)
    expect(
      worst(
        1,
        (r2) => (2 / Math.PI) * Math.atan(Math.sqrt((1 - r2) / r2)),
        () => true,
      ),
    ).toBeLessThan(1e-13);
    expect(
      worst(
        2,
        (r2) => (1 - r2) / (1 + Math.sqrt(r2)),
        () => true,
      ),
    ).toBeLessThan(1e-13);
  });

  test.each([
    [3, 1e-12],
    [28.5, 1e-12],
    [50, 1e-12],
    [324, 1e-12],
    [997, 1e-12],
    [5000, 1e-12],
    [100000, 1e-11],
  ])('dof %d: equals @stdlib betainc within %d relative down to p = 1e-300', (dof, tol) => {
    // r² ≥ 0.01: betainc takes x = 1 − r², whose rounding would dominate the comparison for tiny r²
    expect(
      worst(
        dof,
        (r2) => betainc(1 - r2, dof / 2, 0.5),
        (r2) => r2 >= 0.01,
      ),
    ).toBeLessThan(tol);
  });

  test('tPvalue is the same test; limits and bad input', () => {
    for (const [t, dof] of [
      [0.3, 5],
      [-2.5, 324],
      [40, 17.5],
      [1e-9, 100],
    ]) {
      const r2 = (t * t) / (dof + t * t);
      expect(Math.abs(tPvalue(t, dof) / pvalFromR2(r2, dof) - 1)).toBeLessThan(1e-13);
    }
    // dof 1: p = (2/π)·atan(1/|t|)
    expect(tPvalue(1e6, 1) / ((2 / Math.PI) * Math.atan(1e-6)) - 1).toBeLessThan(1e-13);
    expect([pvalFromR2(0, 10), pvalFromR2(1, 10), tPvalue(Infinity, 3), tPvalue(0, 3)]).toEqual([1, 0, 0, 1]);
    expect(
      [pvalFromR2(NaN, 10), pvalFromR2(0.5, 0), tPvalue(NaN, 3), tPvalue(1, -1)].every(Number.isNaN),
    ).toBe(true);
  });
});
