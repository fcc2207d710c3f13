import { rankAverage, quantileType7, meanR, median, sumCompensated } from '../../src/stats/rank.js';
import { qnorm } from '../../src/stats/normal.js';

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
