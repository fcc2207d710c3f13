/**
 * What the factors buy in cis-eQTL mapping, end to end through the CLIs: a simulated cohort
 * (src/runner/simulate-eqtl.ts: 300 samples, 600 genes, 6,000 variants with LD, 229 planted cis-eQTLs,
 * 10 hidden factors of decaying strength, gene-specific noise) mapped by `qtlflow cis --mode permute` with no
 * covariates, with k expression PCs and with k PEER-like factors from `qtlflow factors`, for k = 10 (the
 * planted number) and k = auto (GTEx's 45 for 300 samples). PEER finds more eGenes than no correction and at
 * least as many as the same number of PCs; the table (and how many eGenes are planted eQTLs) is printed.
 * The cis window is 200 kb and 100 permutations keep the run short; the planted eQTLs lie within 100 kb.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writePhenotypes } from '../../src/io/contracts.js';
import { GenotypeParquetWriter } from '../../src/io/genotypes/parquet.js';
import { openParquet, toFloat64, toStrings } from '../../src/io/parquet.js';
import { DEFAULT_EQTL_COHORT, simulateEqtlCohort } from '../../src/runner/simulate-eqtl.js';
import { runCli, tempDir } from '../helpers/cli.js';

const dir = tempDir('qtlflow-factors-egenes-');
const cohort = simulateEqtlCohort(DEFAULT_EQTL_COHORT);
const planted = new Set(cohort.genes.id.filter((_, g) => cohort.truth.causalVariant[g] >= 0));
const ph = join(dir, 'phenotypes.parquet');
const geno = join(dir, 'genotypes.parquet');

interface Mapping {
  eGenes: number;
  plantedAmongThem: number;
}
const results = new Map<string, Mapping>();

function run(args: string[]): void {
  const r = runCli([...args, '--quiet']);
  if (r.code !== 0) throw new Error(`qtlflow ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
}

async function cis(tag: string, covariates?: string): Promise<void> {
  const out = join(dir, `cis_${tag}`);
  run([
    'cis',
    '--genotypes',
    geno,
    '--phenotypes',
    ph,
    ...(covariates ? ['--covariates', covariates] : []),
    '--mode',
    'permute',
    '--permutations',
    '100',
    '--window',
    '200000',
    '--out',
    out,
  ]);
  const t = await openParquet(`${out}.cis_qtl.parquet`);
  const ids = toStrings(await t.column('phenotype_id'));
  const q = toFloat64(await t.column('qval'));
  const sig = ids.filter((_, i) => q[i] <= 0.05);
  const summary = JSON.parse(readFileSync(`${out}.summary.json`, 'utf8'));
  expect(summary.permutation.significant).toBe(sig.length);
  results.set(tag, { eGenes: sig.length, plantedAmongThem: sig.filter((id) => planted.has(id)).length });
}

beforeAll(async () => {
  writePhenotypes(
    ph,
    {
      chr: cohort.genes.chr,
      start: cohort.genes.start,
      end: cohort.genes.end,
      phenotypeId: cohort.genes.id,
      strand: cohort.genes.strand,
      samples: cohort.samples,
      values: cohort.phenotypes,
    },
    {},
  );
  const w = new GenotypeParquetWriter(geno, cohort.samples, {}, 'simulation');
  w.write({ variants: cohort.variants, dosages: cohort.dosages, nSamples: cohort.samples.length });
  w.close();
  await cis('none');
  for (const k of ['10', 'auto'])
    for (const method of ['pca', 'peer']) {
      const cov = join(dir, `${method}_${k}.parquet`);
      run(['factors', '--phenotypes', ph, '--method', method, '--k', k, '--out', cov]);
      await cis(`${method}_${k}`, cov);
    }
  const row = (label: string, tag: string) => {
    const m = results.get(tag)!;
    return `| ${label} | ${m.eGenes} | ${m.plantedAmongThem} |`;
  };
  console.log(
    [
      `eGenes at FDR 0.05 (${cohort.genes.id.length} genes, ${planted.size} planted cis-eQTLs, ${cohort.samples.length} samples)`,
      '| covariates | eGenes | of them planted |',
      '|---|---|---|',
      row('none', 'none'),
      row('10 expression PCs', 'pca_10'),
      row('10 PEER factors', 'peer_10'),
      row('45 expression PCs (k auto)', 'pca_auto'),
      row('45 PEER factors (k auto)', 'peer_auto'),
    ].join('\n'),
  );
}, 900_000);

test('the simulation plants eQTLs for a good share of the genes', () => {
  expect(planted.size).toBeGreaterThan(150);
  expect(planted.size).toBeLessThan(400);
});

test.each(['10', 'auto'])('k = %s: PEER factors give more eGenes than no correction', (k) => {
  expect(results.get(`peer_${k}`)!.eGenes).toBeGreaterThan(results.get('none')!.eGenes);
});

test.each(['10', 'auto'])(
  'k = %s: PEER factors give at least as many eGenes as the same number of PCs',
  (k) => {
    expect(results.get(`peer_${k}`)!.eGenes).toBeGreaterThanOrEqual(results.get(`pca_${k}`)!.eGenes);
  },
);

test('eGenes found with factors are mostly planted eQTLs (FDR 5% plus LD neighbours)', () => {
  for (const tag of ['peer_10', 'peer_auto']) {
    const m = results.get(tag)!;
    expect(m.plantedAmongThem / m.eGenes).toBeGreaterThan(0.9);
  }
});
