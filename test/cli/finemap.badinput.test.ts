/**
 * Bad and awkward inputs to `qtlflow finemap`: monomorphic variants in the window (left out, counted, never a
 * NaN in the output; a window with nothing else is reported, not fine-mapped), the phenotypes to fine-map not
 * named or not found, a table that is not a permutation table, and summary-statistics loci whose LD or sample
 * size is wrong. Errors exit 2 naming the file and leave no output.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openParquet, toFloat64, toStrings } from '../../src/io/parquet.js';
import { Rng } from '../../src/runner/random.js';
import { listDir, runCli, tempDir } from '../helpers/cli.js';

const dir = tempDir('qtlflow-finemap-bad-');
const N = 60;
const samples = Array.from({ length: N }, (_, i) => `S${i + 1}`);
const monomorphicIds: string[] = [];

beforeAll(() => {
  const rng = new Rng(11);
  const vcf = [
    '##fileformat=VCFv4.2',
    '##contig=<ID=1>',
    ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO', 'FORMAT', ...samples].join('\t'),
  ];
  const causal: number[] = [];
  // gene A (TSS 100,000): 30 polymorphic and 10 monomorphic variants; gene B (TSS 500,000): monomorphic only
  for (let k = 0; k < 40; k++) {
    const pos = 80_000 + k * 1000;
    const mono = k % 4 === 3;
    const gts = samples.map(() => {
      if (mono) return k % 8 === 3 ? '0|0' : '1|1';
      return `${rng.uniform() < 0.3 ? 1 : 0}|${rng.uniform() < 0.3 ? 1 : 0}`;
    });
    if (k === 10) gts.forEach((g) => causal.push(Number(g[0]) + Number(g[2])));
    const id = `v${pos}`;
    if (mono) monomorphicIds.push(id);
    vcf.push(['1', pos, id, 'A', 'G', '.', 'PASS', '.', 'GT', ...gts].join('\t'));
  }
  for (let k = 0; k < 5; k++) {
    const id = `m${k}`;
    monomorphicIds.push(id);
    vcf.push(
      ['1', 495_000 + k * 2000, id, 'C', 'T', '.', 'PASS', '.', 'GT', ...samples.map(() => '0|0')].join('\t'),
    );
  }
  writeFileSync(join(dir, 'g.vcf'), vcf.join('\n') + '\n');
  const yA = causal.map((g) => 0.9 * g + rng.normal());
  const yB = samples.map(() => rng.normal());
  writeFileSync(
    join(dir, 'p.bed'),
    [
      ['#chr', 'start', 'end', 'phenotype_id', ...samples].join('\t'),
      ['1', 99_999, 100_000, 'A', ...yA].join('\t'),
      ['1', 499_999, 500_000, 'B', ...yB].join('\t'),
    ].join('\n') + '\n',
  );
  const r = runCli(['import', '--genotypes', join(dir, 'g.vcf'), '--out', join(dir, 'g.parquet'), '--quiet']);
  expect(r.code).toBe(0);
});

const base = () => [
  'finemap',
  '--genotypes',
  join(dir, 'g.parquet'),
  '--phenotypes',
  join(dir, 'p.bed'),
  '--window',
  '50000',
];

test('monomorphic variants in the window are left out and counted; a window of only monomorphic variants is skipped', async () => {
  const r = runCli([...base(), '--phenotype-ids', 'A', 'B', '--out', join(dir, 'mono')]);
  expect(r.code).toBe(0);
  expect(r.stderr).toContain(`${monomorphicIds.length} monomorphic variants in the windows were left out`);
  expect(r.stderr).toContain('1 phenotypes not fine-mapped (no_variants_in_window), e.g. B');
  const summary = JSON.parse(readFileSync(join(dir, 'mono.summary.json'), 'utf8'));
  expect(summary.variants.monomorphic).toBe(monomorphicIds.length);
  expect(summary.phenotypes.skipped.no_variants_in_window).toEqual(['B']);
  const t = await openParquet(join(dir, 'mono.susie_pip.parquet'));
  const ids = toStrings(await t.column('variant_id'));
  expect(new Set(toStrings(await t.column('phenotype_id')))).toEqual(new Set(['A']));
  expect(ids.length).toBe(30);
  expect(ids.filter((v) => monomorphicIds.includes(v))).toEqual([]);
  const pip = toFloat64(await t.column('pip'));
  expect(pip.every((v) => v >= 0 && v <= 1)).toBe(true);
  // the planted variant leads
  expect(ids[pip.indexOf(Math.max(...pip))]).toBe('v90000');
});

test('the phenotypes to fine-map must be named, exist, and come from a permutation table', () => {
  const none = runCli([...base(), '--out', join(dir, 'x')]);
  expect(none.code).toBe(2);
  expect(none.stderr).toContain(
    'name the phenotypes to fine-map: --cis PERMUTATION_TABLE or --phenotype-ids',
  );
  const unknown = runCli([...base(), '--phenotype-ids', 'A', 'Z9', '--out', join(dir, 'x')]);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain(
    `${join(dir, 'p.bed')}: 1 of the --phenotype-ids are not in the phenotypes: Z9`,
  );
  const notPerm = runCli([...base(), '--cis', join(dir, 'mono.susie_pip.parquet'), '--out', join(dir, 'x')]);
  expect(notPerm.code).toBe(2);
  expect(notPerm.stderr).toContain('not a cis permutation table (schema susie_pip/2)');
  expect(listDir(dir).filter((f) => /(^|\.)x\./.test(f))).toEqual([]);
});

describe('summary-statistics loci (--sumstats)', () => {
  const gwas = join(dir, 'locus.tsv');
  beforeAll(() => {
    writeFileSync(gwas, ['snp\tbeta\tse', 'a\t0.5\t0.1', 'b\t0.48\t0.1', 'c\t0.05\t0.1'].join('\n') + '\n');
  });

  test('needs LD, and the sample size', () => {
    const noLd = runCli(['finemap', '--sumstats', gwas, '--out', join(dir, 'x')]);
    expect(noLd.code).toBe(2);
    expect(noLd.stderr).toContain('--sumstats needs --ld or --genotypes');
    writeFileSync(
      join(dir, 'ld.tsv'),
      ['\ta\tb\tc', 'a\t1\t0.9\t0', 'b\t0.9\t1\t0', 'c\t0\t0\t1'].join('\n') + '\n',
    );
    const noN = runCli(['finemap', '--sumstats', gwas, '--ld', join(dir, 'ld.tsv'), '--out', join(dir, 'x')]);
    expect(noN.code).toBe(2);
    expect(noN.stderr).toContain('the sample size of the summary statistics is unknown');
    const ok = runCli([
      'finemap',
      '--sumstats',
      gwas,
      '--ld',
      join(dir, 'ld.tsv'),
      '--n',
      '500',
      '--out',
      join(dir, 'ok'),
      '--quiet',
    ]);
    expect([ok.code, ok.stderr]).toEqual([0, '']);
  });

  test('an LD matrix that is not square, or lacks every SNP, is named', () => {
    writeFileSync(join(dir, 'bad.tsv'), ['\ta\tb\tc', 'a\t1\t0.9', 'b\t0.9\t1\t0'].join('\n') + '\n');
    const r = runCli([
      'finemap',
      '--sumstats',
      gwas,
      '--ld',
      join(dir, 'bad.tsv'),
      '--n',
      '500',
      '--out',
      join(dir, 'x'),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(dir, 'bad.tsv')}: LD matrix is not square`);
    writeFileSync(join(dir, 'other.tsv'), ['\tx\ty', 'x\t1\t0.2', 'y\t0.2\t1'].join('\n') + '\n');
    const r2 = runCli([
      'finemap',
      '--sumstats',
      gwas,
      '--ld',
      join(dir, 'other.tsv'),
      '--n',
      '500',
      '--out',
      join(dir, 'x'),
    ]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('none of the 3 summary-statistics variants is in the LD source');
    expect(listDir(dir).filter((f) => /(^|\.)x\./.test(f))).toEqual([]);
  });

  test('z-scores that contradict the LD: IBSS does not converge (as susieR), warned and flagged in the table', async () => {
    // two SNPs in near-perfect LD with very different z: susieR 0.12.35 also stops at max_iter unconverged
    writeFileSync(join(dir, 'odd.tsv'), ['snp\tz', 'a\t8', 'b\t2', 'c\t0.1'].join('\n') + '\n');
    writeFileSync(
      join(dir, 'ld1.tsv'),
      ['\ta\tb\tc', 'a\t1\t0.99999\t0', 'b\t0.99999\t1\t0', 'c\t0\t0\t1'].join('\n') + '\n',
    );
    const r = runCli([
      'finemap',
      '--sumstats',
      join(dir, 'odd.tsv'),
      '--ld',
      join(dir, 'ld1.tsv'),
      '--n',
      '1000000',
      '--trait',
      'odd',
      '--out',
      join(dir, 'odd'),
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('odd: IBSS did not converge in 100 iterations');
    const t = await openParquet(join(dir, 'odd.susie_pip.parquet'));
    expect(Array.from((await t.column('converged')) as boolean[])).toEqual([false, false, false]);
    expect(Array.from(await t.column('niter'))).toEqual([100, 100, 100]);
  });
});
