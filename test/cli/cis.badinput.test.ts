/**
 * `qtlflow cis` on inputs users get wrong: partly overlapping sample sets (intersected and reported), too few
 * shared samples, no shared chromosome names, covariates with missing values, duplicated sample IDs. Inputs
 * are the real cis_sparse files, edited in a temporary folder; each failure exits 2 with no output left.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { listDir, runCli, tempDir } from '../helpers/cli.js';
import { sharedPath } from '../helpers/shared.js';

const VCF = () => sharedPath('data/geuvadis_chr22/1kg_phase1_chr22_seqarray_geuvadis330.vcf.gz');
const REF = (f: string) => sharedPath('refs/cis_sparse', f);

function lines(file: string): string[] {
  return gunzipSync(readFileSync(file)).toString().trim().split('\n');
}

/** The first `genes` phenotypes of the reference BED, with `edit` applied to the split lines. */
function phenotypes(dir: string, name: string, edit: (rows: string[][]) => string[][], genes = 3): string {
  const rows = lines(REF('phenotypes.bed.gz'))
    .slice(0, genes + 1)
    .map((l) => l.split('\t'));
  const path = join(dir, name);
  writeFileSync(
    path,
    edit(rows)
      .map((r) => r.join('\t'))
      .join('\n') + '\n',
  );
  return path;
}

function run(dir: string, pheno: string, cov?: string) {
  const args = [
    'cis',
    '--genotypes',
    VCF(),
    '--phenotypes',
    pheno,
    '--mode',
    'nominal',
    '--out',
    join(dir, 'out/run'),
  ];
  if (cov) args.push('--covariates', cov);
  return runCli(args);
}

test('partly overlapping samples: the shared ones are used and the counts reported', () => {
  const dir = tempDir();
  // rename 30 phenotype samples so that they are missing from the genotypes
  const pheno = phenotypes(dir, 'p.bed', (rows) =>
    rows.map((r, i) => r.map((v, j) => (i === 0 && j >= 4 && j < 34 ? `X_${v}` : v))),
  );
  const r = run(dir, pheno);
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/using the 300 samples shared by phenotypes \(330\), genotypes \(330\)/);
  const summary = JSON.parse(readFileSync(join(dir, 'out/run.summary.json'), 'utf8'));
  expect(summary.samples).toEqual({ phenotypes: 330, genotypes: 330, shared: 300 });
  expect(summary.phenotypes.tested).toBe(3);
});

test('too few shared samples: exit 2 naming the counts and examples of each file’s IDs', () => {
  const dir = tempDir();
  const pheno = phenotypes(dir, 'p.bed', (rows) =>
    rows.map((r, i) => r.map((v, j) => (i === 0 && j >= 4 ? `${v}.1` : v))),
  );
  const r = run(dir, pheno);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/only 0 samples are shared by the phenotypes \(330\), genotypes \(330\)/);
  expect(r.stderr).toMatch(/'HG00096\.1'.*'HG00096'/);
  expect(listDir(dir)).toEqual(['p.bed']);
});

test('no chromosome in common: exit 2 naming the chromosome asked for and those the genotypes have', () => {
  const dir = tempDir();
  const pheno = phenotypes(dir, 'p.bed', (rows) =>
    rows.map((r, i) => (i === 0 ? r : ['chr21', ...r.slice(1)])),
  );
  const r = run(dir, pheno);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(
    /p\.bed: phenotypes and genotypes have no chromosome in common\. The phenotypes are on chr21; .*vcf\.gz has 22/,
  );
  expect(listDir(dir)).toEqual(['p.bed']);
});

test('phenotypes on a chromosome the genotypes lack: the others are mapped, those are named', () => {
  const dir = tempDir();
  const pheno = phenotypes(dir, 'p.bed', (rows) =>
    rows.map((r, i) => (i === 1 ? ['chr21', ...r.slice(1)] : r)),
  );
  const r = run(dir, pheno);
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/1 phenotypes are on chromosomes the genotypes do not have \(21\): not mapped/);
  const summary = JSON.parse(readFileSync(join(dir, 'out/run.summary.json'), 'utf8'));
  expect(summary.phenotypes.tested).toBe(2);
  expect(summary.phenotypes.not_on_genotype_chromosomes).toHaveLength(1);
});

test('a covariate with a missing value: exit 2 naming covariate and sample', () => {
  const dir = tempDir();
  const pheno = phenotypes(dir, 'p.bed', (rows) => rows);
  const cov = lines(REF('covariates.txt.gz')).map((l) => l.split('\t'));
  cov[2][5] = 'NA'; // PC2 of the fifth sample
  const covPath = join(dir, 'cov.txt');
  writeFileSync(covPath, cov.map((r) => r.join('\t')).join('\n') + '\n');
  const r = run(dir, pheno, covPath);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(
    new RegExp(`cov\\.txt: column 'PC2', sample '${cov[0][5]}': covariate 'PC2' is missing`),
  );
  expect(listDir(dir).sort()).toEqual(['cov.txt', 'p.bed']);
});

test('duplicated sample IDs in the phenotypes or the covariates: exit 2 naming the sample', () => {
  const dir = tempDir();
  const pheno = phenotypes(dir, 'p.bed', (rows) =>
    rows.map((r, i) => (i === 0 ? r.map((v, j) => (j === 5 ? r[4] : v)) : r)),
  );
  const r = run(dir, pheno);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/HG00096/);
  expect(r.stderr).toMatch(/duplicate/i);
  const cov = lines(REF('covariates.txt.gz')).map((l) => l.split('\t'));
  cov[0][2] = cov[0][1];
  const covPath = join(dir, 'cov.txt');
  writeFileSync(covPath, cov.map((x) => x.join('\t')).join('\n') + '\n');
  const r2 = run(
    dir,
    phenotypes(dir, 'ok.bed', (rows) => rows),
    covPath,
  );
  expect(r2.code).toBe(2);
  expect(r2.stderr).toMatch(/duplicate sample ID 'HG00096' in the covariates header/);
  expect(listDir(dir).includes('out')).toBe(false);
});
