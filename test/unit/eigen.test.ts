import { symmetricEigen, gramOfColumns, topEigen } from '../../src/linalg/eigen.js';

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

test('topEigen matches the full decomposition on the leading eigenpairs', () => {
  const n = 150;
  // PSD matrix with a clear spectrum: B Bᵀ of a random 150 × 60 matrix
  let s = 7;
  const rnd = (): number => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5;
  const b = Float64Array.from({ length: n * 60 }, rnd);
  const g = gramOfColumns(
    Float64Array.from({ length: 60 * n }, (_, i) => b[(i % n) * 60 + Math.floor(i / n)]),
    60,
    n,
  );
  const full = symmetricEigen(g, n);
  const top = topEigen(g, n, 3);
  for (let k = 0; k < 3; k++) {
    expect(Math.abs(top.values[k] - full.values[k]) / full.values[k]).toBeLessThan(1e-10);
    let dot = 0;
    for (let i = 0; i < n; i++) dot += top.vectors[i * 3 + k] * full.vectors[i * n + k];
    expect(Math.abs(Math.abs(dot) - 1)).toBeLessThan(1e-8);
  }
});

test('gramOfColumns handles sizes that are not multiples of the 4 × 4 block', () => {
  const rows = 7;
  const cols = 11;
  const x = Float64Array.from({ length: rows * cols }, (_, i) => Math.sin(i));
  const g = gramOfColumns(x, rows, cols);
  for (let a = 0; a < cols; a++) {
    for (let b = 0; b < cols; b++) {
      let sum = 0;
      for (let r = 0; r < rows; r++) sum += x[r * cols + a] * x[r * cols + b];
      expect(g[a * cols + b]).toBeCloseTo(sum, 12);
    }
  }
});
