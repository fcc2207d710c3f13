/**
 * Bad inputs to `qtlflow coloc`: each is an InputError (exit 2) that names the file, the line or column and
 * what was expected, and leaves no output behind; the recoverable ones (SE given as variance, monomorphic SNPs)
 * are warned about and handled.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openParquet, toFloat64 } from '../../src/io/parquet.js';
import { tPvalue } from '../../src/stats/pvalue.js';
import { listDir, runCli, tempDir } from '../helpers/cli.js';
import { readTsv, sharedPath } from '../helpers/shared.js';

const D = (f: string) => sharedPath('data', 'coloc', f);
const d1 = readTsv(D('coloc_test_data_D1.tsv.gz'));
const d2 = readTsv(D('coloc_test_data_D2.tsv.gz'));

/** Writes a TSV of the D2 rows with columns chosen / transformed by `cell`. */
function writeGwas(
  path: string,
  header: string[],
  cell: (row: string[], i: number) => (string | number)[],
): string {
  writeFileSync(path, [header.join('\t'), ...d2.rows.map((r, i) => cell(r, i).join('\t'))].join('\n') + '\n');
  return path;
}

function coloc(dir: string, gwas: string, extra: string[] = [], out = 'out') {
  return runCli([
    'coloc',
    '--dataset1',
    D('coloc_test_data_D1.tsv.gz'),
    '--dataset2',
    gwas,
    '--sdY1',
    '1.1',
    '--sdY2',
    '1.02',
    '--out',
    join(dir, out),
    ...extra,
  ]);
}

function expectNoOutput(dir: string): void {
  expect(listDir(dir).filter((f) => f.startsWith('out') || f.startsWith('.out'))).toEqual([]);
}

async function pp4(path: string): Promise<number> {
  return toFloat64(await (await openParquet(path)).column('PP.H4'))[0];
}

test('GWAS without the required columns: the message lists what is missing and what the header has', () => {
  const dir = tempDir();
  const gwas = writeGwas(join(dir, 'g.tsv'), ['rsid', 'position', 'pval'], (r) => [r[0], r[1], 0.5]);
  const r = coloc(dir, gwas);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('missing required columns: maf (or eaf) for the p-value column, or beta and se');
  expect(r.stderr).toContain('found: rsid, position, pval');
  expect(r.stderr).toContain(`${gwas}:1`);
  expectNoOutput(dir);
  const noSe = writeGwas(join(dir, 'h.tsv'), ['snp', 'beta'], (row) => [row[0], row[2]]);
  const r2 = coloc(dir, noSe);
  expect(r2.code).toBe(2);
  expect(r2.stderr).toContain('missing required columns: se (or varbeta) for the beta column');
});

test('a mapping flag naming a column the file does not have', () => {
  const dir = tempDir();
  const r = coloc(dir, D('coloc_test_data_D2.tsv.gz'), ['--beta-col', 'BETA_GWAS']);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain("column 'BETA_GWAS' given by --beta-col is not in the header");
  expect(r.stderr).toContain('snp, position, beta, varbeta, MAF');
});

test('a real GWAS file whose beta column is NA throughout: explained, then read with --beta-col', () => {
  const dir = tempDir();
  const ra = sharedPath('data', 'coloc', 'RA_GWAS_TRAF1_locus.tsv.gz');
  const args = [
    'coloc',
    '--dataset1',
    ra,
    '--dataset2',
    ra,
    '--type1',
    'cc',
    '--type2',
    'cc',
    '--out',
    join(dir, 'out'),
  ];
  const bad = runCli(args);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(
    /no row has a value in every column the analysis needs \(626 rows with missing values, the first on line 2\)/,
  );
  expect(bad.stderr).toContain("beta='beta'");
  expectNoOutput(dir);
  const good = runCli([...args, '--beta-col', 'log_OR', '--quiet']);
  expect([good.code, good.stderr]).toEqual([0, '']);
});

test('se given where the variance of beta is expected: detected, warned, and used as se', async () => {
  const dir = tempDir();
  const asVar = writeGwas(join(dir, 'v.tsv'), ['snp', 'beta', 'varbeta', 'MAF'], (r) => [
    r[0],
    r[2],
    r[3],
    r[4],
  ]);
  const asSe = writeGwas(join(dir, 's.tsv'), ['snp', 'beta', 'varbeta', 'MAF'], (r) => [
    r[0],
    r[2],
    Math.sqrt(Number(r[3])),
    r[4],
  ]);
  const ok = coloc(dir, asVar, [], 'ok');
  expect(ok.code).toBe(0);
  expect(ok.stderr).not.toContain('looks like standard errors');
  const se = coloc(dir, asSe, [], 'se');
  expect(se.code).toBe(0);
  expect(se.stderr).toContain("the varbeta column 'varbeta' looks like standard errors, not variances");
  expect(se.stderr).toMatch(/slope 0\.\d+ \(a variance gives 1, a standard error ½\)/);
  expect(
    Math.abs((await pp4(join(dir, 'se.coloc.parquet'))) - (await pp4(join(dir, 'ok.coloc.parquet')))),
  ).toBeLessThan(1e-12);
  const summary = JSON.parse(readFileSync(join(dir, 'se.summary.json'), 'utf8'));
  expect(summary.dataset2.varbeta_looks_like_se).toMatch(/slope/);
  // with p-values in the file the z-scores decide
  const withP = writeGwas(join(dir, 'p.tsv'), ['snp', 'beta', 'varbeta', 'p'], (r) => {
    const z = Math.abs(Number(r[2]) / Math.sqrt(Number(r[3])));
    return [r[0], r[2], Math.sqrt(Number(r[3])), tPvalue(z, 1e8)]; // two-sided, ≈ normal
  });
  const p = coloc(dir, withP, ['--N2', '1000'], 'p');
  expect(p.code).toBe(0);
  expect(p.stderr).toMatch(
    /looks like standard errors, not variances \(\|beta\|\/sqrt\(varbeta\) is off the z-scores of the p-values/,
  );
});

test('duplicate SNPs: both lines named, no output', () => {
  const dir = tempDir();
  const gwas = writeGwas(join(dir, 'd.tsv'), ['snp', 'beta', 'varbeta', 'MAF'], (r, i) => [
    i === 7 ? d2.rows[3][0] : r[0],
    r[2],
    r[3],
    r[4],
  ]);
  const r = coloc(dir, gwas);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`duplicate SNP '${d2.rows[3][0]}': listed on line 5 and line 9`);
  expect(r.stderr).toContain(`${gwas}:9`);
  expectNoOutput(dir);
});

test('no SNP shared by the datasets', () => {
  const dir = tempDir();
  const gwas = writeGwas(join(dir, 'n.tsv'), ['snp', 'beta', 'varbeta', 'MAF'], (r) => [
    `rs${r[0].slice(1)}`,
    r[2],
    r[3],
    r[4],
  ]);
  const r = coloc(dir, gwas);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('no SNP is shared by the two datasets (1 × 1 traits compared, matched by auto)');
  expect(r.stderr).toContain("Dataset 1 has SNPs such as 's1', 's2', dataset 2 'rs1', 'rs2'");
  expectNoOutput(dir);
});

test('monomorphic SNPs (MAF 0) are left out with a warning, as coloc requires 0 < MAF < 1', async () => {
  const dir = tempDir();
  const gwas = writeGwas(join(dir, 'm.tsv'), ['snp', 'beta', 'varbeta', 'MAF'], (r, i) => [
    r[0],
    r[2],
    r[3],
    i < 4 ? 0 : r[4],
  ]);
  const r = coloc(dir, gwas, ['--N2', '1000']);
  expect(r.code).toBe(0);
  expect(r.stderr).toContain('dataset2: 4 SNPs with MAF 0 or 1 left out');
  const t = await openParquet(join(dir, 'out.coloc.parquet'));
  expect(Array.from(await t.column('nsnps'))).toEqual([d1.rows.length - 4]);
});

test('a non-numeric value and a non-positive variance are named by line and column', () => {
  const dir = tempDir();
  const text = writeGwas(join(dir, 't.tsv'), ['snp', 'beta', 'varbeta', 'MAF'], (r, i) => [
    r[0],
    i === 2 ? 'high' : r[2],
    r[3],
    r[4],
  ]);
  const r = coloc(dir, text);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`${text}:4: column 'beta': 'high' is not a number`);
  const zero = writeGwas(join(dir, 'z.tsv'), ['snp', 'beta', 'varbeta', 'MAF'], (r, i) => [
    r[0],
    r[2],
    i === 5 ? 0 : r[3],
    r[4],
  ]);
  const r2 = coloc(dir, zero);
  expect(r2.code).toBe(2);
  expect(r2.stderr).toContain(`${zero}:7: variance of beta is 0 for SNP ${d2.rows[5][0]}`);
  expectNoOutput(dir);
});

test('a quantitative trait without sdY or N, and position matching without positions', () => {
  const dir = tempDir();
  const r = runCli([
    'coloc',
    '--dataset1',
    D('coloc_test_data_D1.tsv.gz'),
    '--dataset2',
    D('coloc_test_data_D2.tsv.gz'),
    '--out',
    join(dir, 'out'),
  ]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(
    'a quantitative trait needs sdY, or MAF and N so sdY can be estimated from varbeta',
  );
  expect(r.stderr).toContain('dataset 2, trait coloc_test_data_D2');
  expect(r.stderr).toContain('Give --sdY2 or --N2');
  const r2 = coloc(dir, D('coloc_test_data_D2.tsv.gz'), ['--match-by', 'position']);
  expect(r2.code).toBe(2);
  expect(r2.stderr).toContain('--match-by position needs chromosome and position in both datasets');
});
