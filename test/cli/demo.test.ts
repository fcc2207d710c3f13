/**
 * The README's first command: `qtlflow demo` simulates the demo cohort, runs the whole DAG on it with the local
 * runner and scores the results against the planted truth. A second run resumes (every step cached).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { openGenotypes } from '../../src/io/genotypes/index.js';
import { region } from '../../src/io/genotypes/filters.js';
import { writeDemoCohort } from '../../src/runner/demo-cohort.js';
import { runCli, tempDir } from '../helpers/cli.js';

const dir = tempDir();
let summary: { truth_recovery: Record<string, unknown>; steps: unknown[] };

beforeAll(() => {
  const r = runCli(['demo', '--outdir', dir, '--quiet']);
  expect([r.code, r.stderr]).toEqual([0, '']);
  expect(r.stdout).toMatch(/eGenes at FDR 0\.05: \d+; recall/);
  summary = JSON.parse(readFileSync(join(dir, 'demo.summary.json'), 'utf8'));
}, 900_000);

test('inputs are written in the real formats and the params file names them', async () => {
  for (const f of [
    'genotypes.vcf.gz',
    'genotypes.vcf.gz.tbi',
    'counts.tsv.gz',
    'genes.gtf.gz',
    'known_covariates.tsv',
    'truth.tsv',
    'gwas.tsv.gz',
  ])
    expect([f, existsSync(join(dir, 'inputs', f))]).toEqual([f, true]);
  const params = parseYaml(readFileSync(join(dir, 'params.yaml'), 'utf8'));
  expect(params.genotypes).toBe(join(dir, 'inputs', 'genotypes.vcf.gz'));
  // the VCF reads back through its index
  const g = await openGenotypes(params.genotypes);
  let n = 0;
  for await (const b of g.iterRegions([region('chr2:1-2000000')])) n += b.variants.pos.length;
  expect(n).toBeGreaterThan(100);
});

test('the planted eQTLs are recovered: recall, false discoveries among planted-null genes, two-signal genes', () => {
  const t = summary.truth_recovery as Record<string, number>;
  console.log(`demo: ${JSON.stringify(t)}`);
  expect(t.planted_egenes).toBeGreaterThan(150);
  expect(t.recall).toBeGreaterThan(0.5);
  // one realization of an FDR-controlled procedure (E[FDP] ≤ 5%): bounded loosely here; cis.calibration.test
  // checks the calibration over replicates
  expect(t.false_discovery_rate).toBeLessThan(0.1);
  expect(t.two_signal_genes_with_two_found).toBeGreaterThan(5);
});

test('coloc: the shared locus colocalizes, the other does not', () => {
  const coloc = summary.truth_recovery.coloc as { shared_causal_variant: boolean; pp_h4: number }[];
  expect(coloc).toHaveLength(2);
  for (const c of coloc) {
    if (c.shared_causal_variant) expect(c.pp_h4).toBeGreaterThan(0.8);
    else expect(c.pp_h4).toBeLessThan(0.2);
  }
});

test('a second run reuses every step', () => {
  const r = runCli(['demo', '--outdir', dir, '--quiet']);
  expect(r.code).toBe(0);
  const s = JSON.parse(readFileSync(join(dir, 'demo.summary.json'), 'utf8'));
  expect(s.truth_recovery).toEqual(summary.truth_recovery);
  expect(s.ran).toBe(0);
  expect(s.cached).toBe(s.steps.length);
}, 300_000);

test('the cohort simulation is deterministic for a seed', () => {
  const a = tempDir();
  const b = tempDir();
  const o = {
    samples: 30,
    chromosomes: 1,
    chromosomeLength: 2_000_000,
    variantsPerChromosome: 300,
    genesPerChromosome: 20,
    hiddenFactors: 2,
    seed: 7,
  };
  writeDemoCohort(a, o);
  writeDemoCohort(b, o);
  for (const f of ['genotypes.vcf.gz', 'counts.tsv.gz', 'truth.tsv'])
    expect(readFileSync(join(a, f)).equals(readFileSync(join(b, f)))).toBe(true);
  writeDemoCohort(b, { ...o, seed: 8 });
  expect(readFileSync(join(a, 'counts.tsv.gz')).equals(readFileSync(join(b, 'counts.tsv.gz')))).toBe(false);
});
