/**
 * segment --mode perm on a null cohort (no planted effect, no breakpoint; src/runner/simulate-segment.ts):
 * Freedman–Lane p-values with the beta approximation are calibrated (Kolmogorov–Smirnov against the uniform, QQ
 * quantiles reported), the empirical and beta-approximated p-values agree, the same seed gives the same table, and
 * SegmentQTL's gene-swap scheme (--perm-method segmentqtl) runs for parity with its QQ reported beside ours. On a
 * cohort with effects, the planted eQTLs have small permutation p-values.
 */
import { join } from 'node:path';
import { simulateSegmentCohort } from '../../src/runner/simulate-segment.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { readColumns } from '../helpers/shared.js';
import { segmentInputArgs } from '../helpers/segment.js';

const dir = tempDir('qtlflow-segment-perm-');
const nullCohort = simulateSegmentCohort(join(dir, 'null'), {
  effects: false,
  genesPerChromosome: 100,
  variantsPerChromosome: 300,
  seed: 7,
});
const effects = simulateSegmentCohort(join(dir, 'effects'), { genesPerChromosome: 20, seed: 11 });

function perm(cohort: typeof nullCohort, out: string, extra: string[] = []): string {
  const F = cohort.files;
  const r = runCli([
    'segment',
    '--mode',
    'perm',
    ...segmentInputArgs(F),
    '--window',
    '300000',
    '--out',
    join(dir, out),
    '--quiet',
    ...extra,
  ]);
  expect([r.code, r.stderr]).toEqual([0, '']);
  return `${join(dir, out)}.segment_perm.parquet`;
}

/** Kolmogorov–Smirnov distance of p from the uniform. */
function ks(p: ArrayLike<number>): number {
  const s = Float64Array.from(p).sort();
  let d = 0;
  s.forEach((x, i) => (d = Math.max(d, Math.abs(x - i / s.length), Math.abs(x - (i + 1) / s.length))));
  return d;
}

const qq = (p: ArrayLike<number>) => {
  const s = Float64Array.from(p).sort();
  return [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9]
    .map((q) => `${q}:${s[Math.floor(q * s.length)].toFixed(3)}`)
    .join(' ');
};

test('Freedman–Lane p-values are uniform under the null (KS, QQ reported); empirical and beta p agree', async () => {
  const path = perm(nullCohort, 'fl', ['--permutations', '1000']);
  const { o, t } = await readColumns(path, [
    'phenotype',
    'p_adj',
    'pval_perm',
    'nominal_p',
    'num_perm',
    'true_df',
  ]);
  const pAdj = o.p_adj as Float64Array;
  expect(t.numRows).toBe(200);
  expect(Array.from(o.num_perm as Int32Array).every((x) => x === 1000)).toBe(true);
  const D = ks(pAdj);
  const Dnominal = ks(o.nominal_p as Float64Array);
  // 1% critical value of the one-sample KS test: 1.63/√m
  const critical = 1.63 / Math.sqrt(pAdj.length);
  console.log(
    `null cohort, ${pAdj.length} genes: Freedman–Lane beta p KS D = ${D.toFixed(4)} (1% critical ${critical.toFixed(4)}), QQ ${qq(pAdj)}; ` +
      `lead nominal p (uncorrected) KS D = ${Dnominal.toFixed(4)}, QQ ${qq(o.nominal_p as Float64Array)}`,
  );
  expect(D).toBeLessThan(critical);
  // the uncorrected lead p-values are far from uniform: the permutation does the work
  expect(Dnominal).toBeGreaterThan(3 * critical);
  const empirical = o.pval_perm as Float64Array;
  let worst = 0;
  pAdj.forEach((p, i) => (worst = Math.max(worst, Math.abs(p - empirical[i]))));
  expect(worst).toBeLessThan(0.05);
  // the same seed gives the same table
  const again = perm(nullCohort, 'fl2', ['--permutations', '1000']);
  const b = await readColumns(again, ['p_adj']);
  expect(Array.from(b.o.p_adj as Float64Array)).toEqual(Array.from(pAdj));
});

test('SegmentQTL gene-swap parity mode runs (QQ reported next to Freedman–Lane)', async () => {
  const path = perm(nullCohort, 'swap', [
    '--perm-method',
    'segmentqtl',
    '--permutations',
    '50',
    '--chromosome',
    'chr1',
  ]);
  const { o } = await readColumns(path, ['p_adj', 'num_perm', 'beta_shape1', 'true_df']);
  const p = o.p_adj as Float64Array;
  expect(Array.from(o.num_perm as Int32Array).every((x) => x === 50)).toBe(true);
  expect(Array.from(o.true_df as Float64Array).every((x) => Number.isNaN(x))).toBe(true);
  expect(p.every((x) => x >= 0 && x <= 1)).toBe(true);
  console.log(
    `null cohort, SegmentQTL gene swap (50 other genes, chr1): p_adj KS D = ${ks(p).toFixed(4)}, QQ ${qq(p)}`,
  );
});

test('planted allele-specific eQTLs get small permutation p-values and q-values', async () => {
  const path = perm(effects, 'effects', ['--permutations', '1000']);
  const { o } = await readColumns(path, ['phenotype', 'variant', 'p_adj', 'qval']);
  const genes = o.phenotype as string[];
  const causal = Object.entries(effects.causal);
  let found = 0;
  for (const [g, v] of causal) {
    const i = genes.indexOf(g);
    if ((o.qval as Float64Array)[i] < 0.05 && (o.variant as string[])[i] === v) found++;
  }
  expect(found).toBeGreaterThanOrEqual(Math.floor(causal.length / 2));
});
