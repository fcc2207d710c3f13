/**
 * Matrix products behind one backend interface. The association kernels need C = A·Bᵀ for row-major A
 * (m × n) and B (p × n): every row of A against every row of B (variants × permuted phenotypes).
 *
 * Two backends give the same results within float tolerance (test/unit/gemm.test.ts):
 * - `native`: OpenBLAS dgemm through the N-API addon in native/gemm, built by `npm ci` when OpenBLAS is
 *   installed (scripts/build-native.mjs). OpenBLAS's own threads are set to 1: parallelism comes from the
 *   stages' worker threads, so the two never multiply.
 * - `portable`: a register-blocked typed-array kernel (4 × 4 dot products per pass over n, so each loaded value
 *   feeds four multiply–adds); it needs nothing but Node.
 * `QTLFLOW_GEMM=native|portable` forces one (native fails when the addon is not built); the default takes the
 * native one when it loads.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface GemmBackend {
  readonly name: 'native' | 'portable';
  /** What runs underneath (the OpenBLAS build, or the kernel). */
  readonly detail: string;
  /** C (m × p, row-major) = A (m × n) · Bᵀ, B p × n; all row-major. */
  gemmABt(a: Float64Array, m: number, b: Float64Array, p: number, n: number, c: Float64Array): void;
}

function dot(a: Float64Array, ao: number, b: Float64Array, bo: number, n: number): number {
  let s = 0;
  for (let k = 0; k < n; k++) s += a[ao + k] * b[bo + k];
  return s;
}

// prettier-ignore
export const portableGemm: GemmBackend = {
  name: 'portable',
  detail: 'typed-array 4x4 register-blocked kernel',
  gemmABt(a, m, b, p, n, c) {
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const a0 = i * n;
      const a1 = a0 + n;
      const a2 = a1 + n;
      const a3 = a2 + n;
      let j = 0;
      for (; j + 4 <= p; j += 4) {
        const b0 = j * n;
        const b1 = b0 + n;
        const b2 = b1 + n;
        const b3 = b2 + n;
        let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
        let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
        let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (let k = 0; k < n; k++) {
          const x0 = a[a0 + k];
          const x1 = a[a1 + k];
          const x2 = a[a2 + k];
          const x3 = a[a3 + k];
          const y0 = b[b0 + k];
          const y1 = b[b1 + k];
          const y2 = b[b2 + k];
          const y3 = b[b3 + k];
          c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2; c03 += x0 * y3;
          c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2; c13 += x1 * y3;
          c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2; c23 += x2 * y3;
          c30 += x3 * y0; c31 += x3 * y1; c32 += x3 * y2; c33 += x3 * y3;
        }
        const r0 = i * p + j;
        c[r0] = c00; c[r0 + 1] = c01; c[r0 + 2] = c02; c[r0 + 3] = c03;
        const r1 = r0 + p;
        c[r1] = c10; c[r1 + 1] = c11; c[r1 + 2] = c12; c[r1 + 3] = c13;
        const r2 = r1 + p;
        c[r2] = c20; c[r2 + 1] = c21; c[r2 + 2] = c22; c[r2 + 3] = c23;
        const r3 = r2 + p;
        c[r3] = c30; c[r3 + 1] = c31; c[r3 + 2] = c32; c[r3 + 3] = c33;
      }
      for (; j < p; j++)
        for (let r = 0; r < 4; r++) c[(i + r) * p + j] = dot(a, (i + r) * n, b, j * n, n);
    }
    for (; i < m; i++) for (let j = 0; j < p; j++) c[i * p + j] = dot(a, i * n, b, j * n, n);
  },
};

/**
 * r = A·x for row-major A (m × n): four rows per pass over x, so each x[k] is loaded once for four
 * multiply–adds. Pure typed-array arithmetic in a fixed order: the result does not depend on where A lies in
 * memory (BLAS matrix–vector kernels may change their summation order with alignment).
 */
export function matVec(a: Float64Array, m: number, x: Float64Array, n: number, r: Float64Array): void {
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const a0 = i * n;
    const a1 = a0 + n;
    const a2 = a1 + n;
    const a3 = a2 + n;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let k = 0; k < n; k++) {
      const v = x[k];
      s0 += a[a0 + k] * v;
      s1 += a[a1 + k] * v;
      s2 += a[a2 + k] * v;
      s3 += a[a3 + k] * v;
    }
    r[i] = s0;
    r[i + 1] = s1;
    r[i + 2] = s2;
    r[i + 3] = s3;
  }
  for (; i < m; i++) r[i] = dot(a, i * n, x, 0, n);
}

interface NativeAddon {
  gemmABt(a: Float64Array, m: number, b: Float64Array, p: number, n: number, c: Float64Array): void;
  setThreads(k: number): void;
  config(): string;
}

/** The addon's path: native/gemm/build/Release beside package.json, found from src/ or dist/src/. */
function addonPath(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, 'native', 'gemm', 'build', 'Release', 'qtlflow_gemm.node');
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  return undefined;
}

let nativeCache: GemmBackend | null | undefined;

/** The OpenBLAS backend, or undefined when the addon is not built or does not load. */
export function nativeGemm(): GemmBackend | undefined {
  if (nativeCache !== undefined) return nativeCache ?? undefined;
  nativeCache = null;
  const path = addonPath();
  if (!path) return undefined;
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    addon.setThreads(1);
    nativeCache = {
      name: 'native',
      detail: addon.config(),
      gemmABt: (a, m, b, p, n, c) => addon.gemmABt(a, m, b, p, n, c),
    };
  } catch {
    nativeCache = null;
  }
  return nativeCache ?? undefined;
}

/** The backend the stages use: QTLFLOW_GEMM if set, else native when available, else portable. */
export function gemmBackend(): GemmBackend {
  const want = process.env.QTLFLOW_GEMM;
  if (want === 'portable') return portableGemm;
  const native = nativeGemm();
  if (want === 'native' && !native)
    throw new Error(
      'QTLFLOW_GEMM=native but the native GEMM addon is not built (install libopenblas-dev, then npm ci)',
    );
  if (want !== undefined && want !== 'native')
    throw new Error(`QTLFLOW_GEMM must be 'native' or 'portable', not '${want}'`);
  return native ?? portableGemm;
}
