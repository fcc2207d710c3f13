/**
 * Calibration of cis mapping on simulated cohorts with planted truth (the demo simulator: LD from founder
 * mosaics, negative-binomial counts, planted causal eQTLs), over four replicate cohorts:
 *  - the permutation/beta p-values of planted-null genes are uniform (Kolmogorov–Smirnov at 1%);
 *  - the false-discovery proportion among discoveries at q ≤ 0.05, averaged over the replicates, is ≤ 5% up to
 *    its Monte Carlo error;
 *  - the genomic inflation λ_GC of the nominal p-values of planted-null genes is near 1.
 * No hidden factors are planted; the pipeline's recommended covariates are used (`factors`: 3 genotype PCs + 3
 * expression PCs). Without them the planted-null genes are not null after TMM-CPM: with a few hundred genes, the
 * eQTL genes move every sample's normalization factor, and through the founder structure of the simulated
 * genotypes that shift correlates with variants in every window (measured: 2× the expected null p-values below
 * 0.02; none with raw counts or without planted effects). Genotype PCs absorb it, as they do in real studies.
 */
import { join } from 'node:path';
import { openParquet, toFloat64, toStrings } from '../../src/io/parquet.js';
import { writeDemoCohort } from '../../src/runner/demo-cohort.js';
import { runCli, tempDir } from '../helpers/cli.js';

const seeds = [11, 12, 13, 14];

interface Replicate {
  nullPBeta: number[];
  nullNominal: number[];
  discoveries: number;
  falseDiscoveries: number;
}

async function replicate(seed: number): Promise<Replicate> {
  const dir = tempDir();
  const cohort = writeDemoCohort(dir, {
    samples: 150,
    chromosomes: 1,
    chromosomeLength: 8_000_000,
    variantsPerChromosome: 3_000,
    genesPerChromosome: 200,
    hiddenFactors: 0,
    backgroundGenes: 3000,
    seed,
  });
  const ok = (args: string[]) => {
    const r = runCli([...args, '--quiet']);
    expect([r.code, r.stderr]).toEqual([0, expect.any(String)]);
  };
  const pheno = join(dir, 'phenotypes.parquet');
  ok([
    'normalize',
    '--input',
    cohort.files.counts,
    '--annotation',
    cohort.files.gtf,
    '--out',
    pheno,
    '--int',
  ]);
  const cov = join(dir, 'covariates.parquet');
  ok([
    'factors',
    '--phenotypes',
    pheno,
    '--genotypes',
    cohort.files.vcf,
    '--genotype-pcs',
    '3',
    '--method',
    'pca',
    '--k',
    '3',
    '--out',
    cov,
  ]);
  const common = [
    '--genotypes',
    cohort.files.vcf,
    '--phenotypes',
    pheno,
    '--covariates',
    cov,
    '--window',
    '500000',
  ];
  ok(['cis', ...common, '--mode', 'permute', '--permutations', '300', '--out', join(dir, 'c')]);
  ok(['cis', ...common, '--mode', 'nominal', '--out', join(dir, 'c')]);
  const isNull = new Set(cohort.genes.filter((g) => g.causal.length === 0).map((g) => g.geneId));
  const t = await openParquet(join(dir, 'c.cis_qtl.parquet'));
  const id = toStrings(await t.column('phenotype_id'));
  const pb = toFloat64(await t.column('pval_beta'));
  const q = toFloat64(await t.column('qval'));
  const n = await openParquet(join(dir, 'c.cis_qtl_pairs.1.parquet'));
  const nid = toStrings(await n.column('phenotype_id'));
  const np = toFloat64(await n.column('pval_nominal'));
  return {
    nullPBeta: id.map((g, i) => (isNull.has(g) ? pb[i] : NaN)).filter((x) => !Number.isNaN(x)),
    nullNominal: nid.map((g, i) => (isNull.has(g) ? np[i] : NaN)).filter((x) => !Number.isNaN(x)),
    discoveries: id.filter((_, i) => q[i] <= 0.05).length,
    falseDiscoveries: id.filter((g, i) => q[i] <= 0.05 && isNull.has(g)).length,
  };
}

let reps: Replicate[];
beforeAll(async () => {
  reps = [];
  for (const s of seeds) reps.push(await replicate(s));
}, 900_000);

test('null genes: pval_beta uniform (KS at 1%)', () => {
  const p = reps.flatMap((r) => r.nullPBeta).sort((a, b) => a - b);
  let d = 0;
  p.forEach((x, i) => (d = Math.max(d, Math.abs(x - i / p.length), Math.abs(x - (i + 1) / p.length))));
  const critical = 1.63 / Math.sqrt(p.length);
  console.log(
    `calibration: ${p.length} null genes, KS D = ${d.toFixed(4)} (1% critical ${critical.toFixed(4)})`,
  );
  expect(p.length).toBeGreaterThan(300);
  expect(d).toBeLessThan(critical);
});

test('mean false-discovery proportion at q ≤ 0.05 is at most 5% (up to Monte Carlo error)', () => {
  const fdp = reps.map((r) => (r.discoveries ? r.falseDiscoveries / r.discoveries : 0));
  const mean = fdp.reduce((s, x) => s + x, 0) / fdp.length;
  const se = Math.sqrt(fdp.reduce((s, x) => s + (x - mean) ** 2, 0) / (fdp.length - 1) / fdp.length);
  console.log(
    `calibration: FDP per replicate ${fdp.map((x) => x.toFixed(3)).join(', ')}; mean ${mean.toFixed(4)} ± ${se.toFixed(4)}; discoveries ${reps.map((r) => r.discoveries).join(', ')}`,
  );
  expect(reps.every((r) => r.discoveries > 20)).toBe(true);
  expect(mean).toBeLessThanOrEqual(0.05 + 2 * se);
});

test('λ_GC of planted-null genes’ nominal p-values is near 1', () => {
  // χ²(1) median = 0.45494; λ = median(χ²) / 0.45494, with χ² = qchisq(1 − p, 1) = (Φ⁻¹(p/2))²
  const p = reps.flatMap((r) => r.nullNominal).sort((a, b) => a - b);
  const median = p[Math.floor(p.length / 2)];
  const z = inverseNormalUpper(median / 2);
  const lambda = (z * z) / 0.45494;
  console.log(`calibration: λ_GC over ${p.length} null pairs = ${lambda.toFixed(3)}`);
  expect(lambda).toBeGreaterThan(0.9);
  expect(lambda).toBeLessThan(1.1);
});

/** z with upper tail probability p, by bisection on erfc (test-side, independent of the library's qnorm). */
function inverseNormalUpper(p: number): number {
  let lo = 0;
  let hi = 40;
  for (let k = 0; k < 200; k++) {
    const mid = (lo + hi) / 2;
    // upper tail via the complementary error function's continued fraction is overkill here: p is ~0.25
    const tail = 0.5 * erfcApprox(mid / Math.SQRT2);
    if (tail > p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** erfc by numerical integration (Simpson), accurate to ~1e-10 for the moderate arguments used here. */
function erfcApprox(x: number): number {
  const n = 2000;
  const b = x + 10;
  const h = (b - x) / n;
  let s = 0;
  for (let i = 0; i <= n; i++) {
    const t = x + i * h;
    const w = i === 0 || i === n ? 1 : i % 2 ? 4 : 2;
    s += w * Math.exp(-t * t);
  }
  return ((2 / Math.sqrt(Math.PI)) * s * h) / 3;
}
