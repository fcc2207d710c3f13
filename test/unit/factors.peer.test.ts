/**
 * PEER-like factor recovery on data with planted factors (N = 300 samples, G = 5,000 genes, K = 10 factors of
 * geometrically decaying strength, gene-specific noise): the inferred factor space contains the strong planted
 * factors (canonical correlations ≥ 0.95), the ARD prior ranks the factors (the strongest by relevance span the
 * strong planted ones) and switches off the 10 surplus factors of a K = 20 fit (relevance 1/α far below the
 * strongest); the variational lower bound never decreases.
 */
import { canonicalCorrelations } from '../../src/linalg/pca.js';
import { Rng } from '../../src/runner/random.js';
import { PEER_DEFAULTS, expressionPca, fitPeer } from '../../src/stages/factors/index.js';

const N = 300;
const G = 5000;
const K_TRUE = 10;
const K_FIT = 20;
/** Planted factors carrying more than 2.5% of a typical gene's factor variance: the first five. */
const STRONG = 5;

function plant(seed: number): { y: Float64Array; factors: Float64Array; share: number[] } {
  const rng = new Rng(seed);
  const factors = Float64Array.from({ length: N * K_TRUE }, () => rng.normal());
  const strength = Array.from({ length: K_TRUE }, (_, k) => 1.5 * Math.pow(0.7, k));
  const total = strength.reduce((s, v) => s + v * v, 0);
  const y = new Float64Array(G * N);
  for (let g = 0; g < G; g++) {
    const w = strength.map((s) => s * rng.normal());
    const noise = 0.5 * Math.pow(4, rng.uniform()); // 0.5 – 2
    for (let n = 0; n < N; n++) {
      let v = noise * rng.normal();
      for (let k = 0; k < K_TRUE; k++) v += factors[n * K_TRUE + k] * w[k];
      y[g * N + n] = v;
    }
  }
  return { y, factors, share: strength.map((s) => (s * s) / total) };
}

const { y, factors, share } = plant(20261201);
const fit = await fitPeer({ y, genes: G, samples: N }, { ...PEER_DEFAULTS, k: K_FIT });
const strong = new Float64Array(N * STRONG);
for (let n = 0; n < N; n++) for (let k = 0; k < STRONG; k++) strong[n * STRONG + k] = factors[n * K_TRUE + k];
const hiddenAlpha = Array.from(fit.alpha.subarray(fit.fixedColumns));

test('the planted factors of the simulation decay from strong to negligible', () => {
  expect(share[STRONG - 1]).toBeGreaterThan(0.025);
  expect(share[STRONG]).toBeLessThan(0.025);
  expect(share[K_TRUE - 1]).toBeLessThan(0.005);
});

test('canonical correlations between the strong planted factors and the inferred factor space are ≥ 0.95', () => {
  const cc = canonicalCorrelations(strong, STRONG, fit.factors, K_FIT, N);
  const all = canonicalCorrelations(factors, K_TRUE, fit.factors, K_FIT, N);
  console.log(
    `PEER K=${K_FIT} on N=${N}, G=${G}, ${K_TRUE} planted: ${fit.iterations} iterations (${fit.stoppedBy}); ` +
      `canonical correlations, strong ${STRONG}: ${Array.from(cc, (v) => v.toFixed(4)).join(' ')}; ` +
      `all ${K_TRUE}: ${Array.from(all, (v) => v.toFixed(4)).join(' ')}`,
  );
  expect(cc.length).toBe(STRONG);
  for (const v of cc) expect(v).toBeGreaterThanOrEqual(0.95);
});

test('ARD: the most relevant factors span the strong planted ones; the surplus factors are switched off', () => {
  const byRelevance = hiddenAlpha.map((a, k) => [a, k] as const).sort((p, q) => p[0] - q[0]);
  console.log(`α (ascending): ${byRelevance.map(([a]) => a.toPrecision(3)).join(' ')}`);
  const top = new Float64Array(N * STRONG);
  byRelevance.slice(0, STRONG).forEach(([, k], c) => {
    for (let n = 0; n < N; n++) top[n * STRONG + c] = fit.factors[n * K_FIT + k];
  });
  const cc = canonicalCorrelations(strong, STRONG, top, STRONG, N);
  for (const v of cc) expect(v).toBeGreaterThanOrEqual(0.95);
  // relevance 1/α below 1% of the strongest factor's: at least the 10 surplus factors
  const maxRelevance = 1 / byRelevance[0][0];
  const off = hiddenAlpha.filter((a) => 1 / a < 0.01 * maxRelevance).length;
  expect(off).toBeGreaterThanOrEqual(K_FIT - K_TRUE);
  // and the strong planted factors are not among them: the STRONG most relevant stay on
  expect(1 / byRelevance[STRONG - 1][0]).toBeGreaterThan(0.01 * maxRelevance);
});

test('the lower bound never decreases and the run stops by one of PEER’s rules', () => {
  for (let i = 1; i < fit.bound.length; i++)
    expect(fit.bound[i]).toBeGreaterThanOrEqual(fit.bound[i - 1] - 1e-9 * Math.abs(fit.bound[i - 1]));
  expect(fit.iterations).toBe(fit.bound.length);
  expect(['bound', 'residual_variance']).toContain(fit.stoppedBy);
  const dVar = fit.residualVariance[fit.iterations - 2] - fit.residualVariance[fit.iterations - 1];
  if (fit.stoppedBy === 'residual_variance')
    expect(Math.abs(dVar)).toBeLessThan(PEER_DEFAULTS.varianceTolerance);
});

test('PEER spans the strong planted factors at least as well as the same number of expression PCs', () => {
  const pca = expressionPca(y, G, N, K_FIT, false);
  const ccPca = canonicalCorrelations(strong, STRONG, pca.scores, K_FIT, N);
  const ccPeer = canonicalCorrelations(strong, STRONG, fit.factors, K_FIT, N);
  console.log(
    `weakest strong-factor canonical correlation: PEER ${ccPeer[STRONG - 1].toFixed(5)}, PCA ${ccPca[STRONG - 1].toFixed(5)}`,
  );
  expect(ccPeer[STRONG - 1]).toBeGreaterThanOrEqual(ccPca[STRONG - 1] - 1e-3);
});

test('known covariates enter as fixed factors: their columns of X stay at their values (prior precision 100)', async () => {
  const rng = new Rng(5);
  const n = 120;
  const g = 400;
  const cov = Float64Array.from({ length: n * 2 }, () => rng.normal());
  const f = Float64Array.from({ length: n * 3 }, () => rng.normal());
  const yy = new Float64Array(g * n);
  for (let i = 0; i < g; i++) {
    const w = [rng.normal(), rng.normal(), rng.normal(), rng.normal(), rng.normal()];
    for (let j = 0; j < n; j++)
      yy[i * n + j] =
        w[0] * cov[j * 2] +
        w[1] * cov[j * 2 + 1] +
        w[2] * f[j * 3] +
        w[3] * f[j * 3 + 1] +
        w[4] * f[j * 3 + 2] +
        rng.normal();
  }
  const r = await fitPeer(
    { y: yy, genes: g, samples: n, covariates: cov, covariateCount: 2 },
    { ...PEER_DEFAULTS, k: 3 },
  );
  expect(r.fixedColumns).toBe(3); // two covariates and the mean
  const kt = r.fixedColumns + r.k;
  for (let c = 0; c < 2; c++) {
    let ss = 0;
    let dev = 0;
    for (let j = 0; j < n; j++) {
      ss += cov[j * 2 + c] ** 2;
      dev += (r.x[j * kt + c] - cov[j * 2 + c]) ** 2;
    }
    // the posterior moves a covariate by well under its prior SD of 0.1 per sample on average
    expect(Math.sqrt(dev / n)).toBeLessThan(0.1);
    expect(dev / ss).toBeLessThan(0.01);
  }
  // hidden factors recover the three planted ones, not the covariates
  const cc = canonicalCorrelations(f, 3, r.factors, 3, n);
  for (const v of cc) expect(v).toBeGreaterThan(0.95);
});
