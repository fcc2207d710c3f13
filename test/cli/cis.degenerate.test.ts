/**
 * Degenerate inputs never crash and never give silent NaN; each has a documented outcome (docs/outputs.md):
 *  - a constant phenotype, and one fully explained by the covariates: not tested, listed under
 *    `phenotypes.skipped.constant_phenotype` in the run summary;
 *  - a window without variants, or with monomorphic variants only: `skipped.no_variants_in_window`;
 *  - a window with a single variant: tested, with a finite beta approximation;
 *  - monomorphic variants: never tested, counted in `variants.monomorphic`;
 *  - a constant covariate (collinear with the intercept): projected out once, named in the summary;
 *  - too few p-values for the π0 smoother (R qvalue stops): π0 = 1 with a warning.
 * Real genotypes (the 330-sample chr22 VCF) and real phenotype rows, edited.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { openParquet, toFloat64, toStrings } from '../../src/io/parquet.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { sharedPath } from '../helpers/shared.js';

const VCF = () => sharedPath('data/geuvadis_chr22/1kg_phase1_chr22_seqarray_geuvadis330.vcf.gz');
const REF = (f: string) => sharedPath('refs/cis_sparse', f);

function lines(file: string): string[][] {
  return gunzipSync(readFileSync(file))
    .toString()
    .trim()
    .split('\n')
    .map((l) => l.split('\t'));
}

test('constant phenotypes, empty and single-variant windows, monomorphic variants, a constant covariate', async () => {
  const dir = tempDir();
  const bed = lines(REF('phenotypes.bed.gz'));
  const cov = lines(REF('covariates.txt.gz'));
  const n = bed[0].length - 4;
  const polymorphic = lines(REF('polymorphic_positions.txt.gz')).map((r) => Number(r[0]));
  const vcfPositions = gunzipSync(readFileSync(VCF()))
    .toString()
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => Number(l.split('\t', 2)[1]));
  const poly = new Set(polymorphic);
  const mono = vcfPositions.find((p) => !poly.has(p))!;
  const one = polymorphic[100];
  // --window 0: a phenotype's window is its TSS (start + 1) only
  const gene = (id: string, tss: number, values: string[]) => [
    '22',
    String(tss - 1),
    String(tss),
    id,
    ...values,
  ];
  const rows = [
    bed[0],
    gene('CONSTANT', one, Array(n).fill('1.5')),
    gene(
      'EXPLAINED_BY_PC1',
      one,
      cov[1].slice(1).map((v) => String(2 * Number(v) + 1)),
    ),
    gene('ONE_VARIANT', one, bed[1].slice(4)),
    gene('MONOMORPHIC_ONLY', mono, bed[2].slice(4)),
    gene('NO_VARIANTS', 60_000_000, bed[3].slice(4)),
  ];
  const pheno = join(dir, 'p.bed');
  writeFileSync(pheno, rows.map((r) => r.join('\t')).join('\n') + '\n');
  const out = join(dir, 'deg');
  const r = runCli([
    'cis',
    '--genotypes',
    VCF(),
    '--phenotypes',
    pheno,
    '--covariates',
    REF('covariates.txt.gz'),
    '--mode',
    'permute',
    '--window',
    '0',
    '--permutations',
    '200',
    '--out',
    out,
  ]);
  expect([r.code, r.stderr]).toEqual([0, expect.any(String)]);
  expect(r.stderr).toMatch(/PHASE1/);
  expect(r.stderr).toMatch(/π0 could not be estimated from 1 p-values.*Benjamini–Hochberg/);
  const s = JSON.parse(readFileSync(`${out}.summary.json`, 'utf8'));
  expect(s.phenotypes.skipped).toEqual({
    constant_phenotype: ['CONSTANT', 'EXPLAINED_BY_PC1'],
    no_variants_in_window: ['MONOMORPHIC_ONLY', 'NO_VARIANTS'],
  });
  expect(s.phenotypes.tested).toBe(1);
  expect(s.variants).toMatchObject({ inWindows: 2, tested: 1, monomorphic: 1 });
  expect(s.covariates.dependent).toEqual(['PHASE1']);
  expect(s.permutation.method).toBe('fallback');
  const t = await openParquet(`${out}.cis_qtl.parquet`);
  expect(toStrings(await t.column('phenotype_id'))).toEqual(['ONE_VARIANT']);
  for (const c of [
    'pval_nominal',
    'slope',
    'slope_se',
    'pval_perm',
    'beta_shape1',
    'beta_shape2',
    'true_df',
    'pval_beta',
    'qval',
  ]) {
    const v = toFloat64(await t.column(c))[0];
    expect([c, Number.isFinite(v)]).toEqual([c, true]);
  }
  const pb = toFloat64(await t.column('pval_beta'))[0];
  expect(pb).toBeGreaterThan(0);
  expect(pb).toBeLessThanOrEqual(1);
  // π0 = 1 with one p-value: q = p
  expect(toFloat64(await t.column('qval'))[0]).toBe(pb);
});

test('nominal mode: every tested pair has finite statistics', async () => {
  const dir = tempDir();
  const out = join(dir, 'nom');
  const r = runCli([
    'cis',
    '--genotypes',
    VCF(),
    '--phenotypes',
    REF('phenotypes.bed.gz'),
    '--covariates',
    REF('covariates.txt.gz'),
    '--mode',
    'nominal',
    '--region',
    '22:17000000-20000000',
    '--out',
    out,
    '--quiet',
  ]);
  expect([r.code, r.stderr]).toEqual([0, expect.any(String)]);
  const t = await openParquet(`${out}.cis_qtl_pairs.22.parquet`);
  expect(t.numRows).toBeGreaterThan(1000);
  for (const c of ['af', 'pval_nominal', 'slope', 'slope_se']) {
    const v = toFloat64(await t.column(c));
    expect([c, v.filter((x) => !Number.isFinite(x)).length]).toEqual([c, 0]);
  }
});
