/**
 * The GEMM backends (src/linalg/gemm.ts) against a plain triple loop, on awkward sizes (single rows and
 * columns, sizes that are not multiples of the 4 × 4 blocks, empty inner dimension). The native OpenBLAS
 * backend is optional for users; CI installs OpenBLAS and sets QTLFLOW_REQUIRE_NATIVE=1, so there it must load.
 */
import { nativeGemm, portableGemm } from '../../src/linalg/gemm.js';
import type { GemmBackend } from '../../src/linalg/gemm.js';
import { Rng } from '../../src/runner/random.js';

function naive(a: Float64Array, m: number, b: Float64Array, p: number, n: number): Float64Array {
  const c = new Float64Array(m * p);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[i * n + k] * b[j * n + k];
      c[i * p + j] = s;
    }
  return c;
}

const sizes: [number, number, number][] = [
  [1, 1, 1],
  [1, 1000, 330],
  [7, 5, 3],
  [33, 17, 330],
  [474, 1000, 330],
  [5, 9, 0],
];

function check(backend: GemmBackend) {
  const rng = new Rng(7);
  for (const [m, p, n] of sizes) {
    const a = Float64Array.from({ length: m * n }, () => rng.normal());
    const b = Float64Array.from({ length: p * n }, () => rng.normal());
    const c = new Float64Array(m * p).fill(NaN);
    backend.gemmABt(a, m, b, p, n, c);
    const want = naive(a, m, b, p, n);
    let worst = 0;
    for (let i = 0; i < c.length; i++) worst = Math.max(worst, Math.abs(c[i] - want[i]) / Math.sqrt(n + 1));
    expect([m, p, n, worst < 1e-12]).toEqual([m, p, n, true]);
  }
}

test('portable backend equals the triple loop', () => check(portableGemm));

const native = nativeGemm();
const requireNative = process.env.QTLFLOW_REQUIRE_NATIVE === '1';

test('the native backend is built where it is required', () => {
  if (requireNative) expect(native?.name).toBe('native');
  else expect(native === undefined || native.name === 'native').toBe(true);
});

(native ? test : test.skip)('native (OpenBLAS) backend equals the triple loop', () => {
  expect(native!.detail).toMatch(/OpenBLAS/);
  check(native!);
});

(native ? test : test.skip)('native backend rejects arrays shorter than their dimensions', () => {
  const a = new Float64Array(6);
  expect(() => native!.gemmABt(a, 3, a, 3, 3, new Float64Array(9))).toThrow(/shorter/);
});
