import { symmetricEigen, gramOfColumns } from '../../src/linalg/eigen.js';

function randomSymmetric(n: number, seed: number): Float64Array {
  let s = seed;
  const rnd = (): number => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = rnd();
  return a;
}

describe('symmetricEigen', () => {
  test('2×2 closed form', () => {
    const { values, vectors } = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2);
    expect(values[0]).toBeCloseTo(3, 14);
    expect(values[1]).toBeCloseTo(1, 14);
    expect(Math.abs(vectors[0])).toBeCloseTo(Math.SQRT1_2, 14);
  });

  test.each([5, 40, 120])('reconstructs a random %i×%i matrix with orthonormal vectors', (n) => {
    const a = randomSymmetric(n, n);
    const { values, vectors } = symmetricEigen(a, n);
    for (let k = 1; k < n; k++) expect(values[k]).toBeLessThanOrEqual(values[k - 1]);
    let maxErr = 0;
    let maxOrth = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let r = 0;
        let o = 0;
        for (let k = 0; k < n; k++) {
          r += vectors[i * n + k] * values[k] * vectors[j * n + k];
          o += vectors[k * n + i] * vectors[k * n + j];
        }
        maxErr = Math.max(maxErr, Math.abs(r - a[i * n + j]));
        maxOrth = Math.max(maxOrth, Math.abs(o - (i === j ? 1 : 0)));
      }
    }
    expect(maxErr).toBeLessThan(1e-12);
    expect(maxOrth).toBeLessThan(1e-12);
  });
});

test('gramOfColumns equals XᵀX', () => {
  const x = Float64Array.from([1, 2, 3, 4, 5, 6]); // 2 rows × 3 cols
  expect(Array.from(gramOfColumns(x, 2, 3))).toEqual([17, 22, 27, 22, 29, 36, 27, 36, 45]);
});
