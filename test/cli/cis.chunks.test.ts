/**
 * Splitting the work never changes a number: the union of `cis --chunk k/N` runs (N = 1, 7, 50), joined by
 * `cis-merge`, equals the unchunked run value for value (permutation p-values, beta fits and q-values
 * included), and so do runs on 1, 2 and 3 threads. Real data: refs/cis_sparse (364 genes, 330 samples).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openParquet } from '../../src/io/parquet.js';
import { listDir, runCli, runCliAll, tempDir } from '../helpers/cli.js';
import { sharedPath } from '../helpers/shared.js';

const VCF = () => sharedPath('data/geuvadis_chr22/1kg_phase1_chr22_seqarray_geuvadis330.vcf.gz');
const REF = (f: string) => sharedPath('refs/cis_sparse', f);
const dir = tempDir();

function cisArgs(mode: string, out: string, extra: string[] = []): string[] {
  return [
    'cis',
    '--genotypes',
    VCF(),
    '--phenotypes',
    REF('phenotypes.bed.gz'),
    '--covariates',
    REF('covariates.txt.gz'),
    '--mode',
    mode,
    '--permutations',
    '200',
    '--out',
    out,
    '--quiet',
    ...extra,
  ];
}

function cis(mode: string, out: string, extra: string[] = []): void {
  const r = runCli(cisArgs(mode, out, extra));
  expect([r.code, r.stderr]).toEqual([0, expect.any(String)]);
}

/** Runs chunks 1…N (two processes at a time) and returns their output prefixes. */
async function chunks(mode: string, name: string, N: number): Promise<string[]> {
  const prefixes = Array.from({ length: N }, (_, k) => join(dir, name, `chunk${k + 1}`));
  const results = await runCliAll(
    prefixes.map((p, k) => cisArgs(mode, p, ['--chunk', `${k + 1}/${N}`, '--threads', '1'])),
  );
  for (const r of results) expect([r.code, r.stderr]).toEqual([0, expect.any(String)]);
  return prefixes;
}

function merge(out: string, inputs: string[], extra: string[] = []) {
  return runCli(['cis-merge', '--inputs', ...inputs, '--out', out, '--quiet', ...extra]);
}

/** Every column of a Parquet table, as plain arrays. */
async function table(path: string): Promise<Record<string, unknown[]>> {
  const t = await openParquet(path);
  const out: Record<string, unknown[]> = {};
  for (const c of t.columnNames) out[c] = Array.from((await t.column(c)) as ArrayLike<unknown>);
  return out;
}

/** Columns whose values are not all identical (NaN equals NaN), with the first difference. */
function differences(a: Record<string, unknown[]>, b: Record<string, unknown[]>): string[] {
  expect(Object.keys(b)).toEqual(Object.keys(a));
  const out: string[] = [];
  for (const c of Object.keys(a)) {
    if (a[c].length !== b[c].length) out.push(`${c}: ${a[c].length} vs ${b[c].length} rows`);
    else {
      const i = a[c].findIndex((v, j) => !Object.is(v, b[c][j]));
      if (i >= 0) out.push(`${c}[${i}]: ${String(a[c][i])} vs ${String(b[c][i])}`);
    }
  }
  return out;
}

describe('permutation pass', () => {
  let whole: Record<string, unknown[]>;
  beforeAll(async () => {
    cis('permute', join(dir, 'whole'), ['--threads', '1']);
    whole = await table(join(dir, 'whole.cis_qtl.parquet'));
    expect(whole.phenotype_id.length).toBe(364);
  }, 120_000);

  test.each([1, 7, 50])(
    '%i chunks, merged, equal the unchunked run',
    async (N) => {
      const prefixes = await chunks('permute', `perm${N}`, N);
      const chunk1 = await table(`${prefixes[0]}.cis_qtl.parquet`);
      expect(chunk1.qval.every((q) => Number.isNaN(q))).toBe(true); // left to the merge
      const r = merge(join(dir, `perm${N}`, 'merged'), prefixes.reverse()); // any order of inputs
      expect([r.code, r.stderr]).toEqual([0, '']);
      expect(differences(whole, await table(join(dir, `perm${N}`, 'merged.cis_qtl.parquet')))).toEqual([]);
    },
    600_000,
  );

  test('2 worker threads equal 1 thread', async () => {
    cis('permute', join(dir, 'threads2'), ['--threads', '2']);
    const summary = JSON.parse(readFileSync(join(dir, 'threads2.summary.json'), 'utf8'));
    expect(summary.threads_used).toBe(2);
    expect(differences(whole, await table(join(dir, 'threads2.cis_qtl.parquet')))).toEqual([]);
  }, 120_000);

  test('the merge refuses a missing chunk, a repeated chunk and chunks of different runs', () => {
    const p = (k: number) => join(dir, 'perm7', `chunk${k}`);
    const missing = merge(join(dir, 'bad', 'm1'), [1, 2, 3, 5, 6, 7].map(p));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/1 of 7 chunks are missing: 4/);
    const twice = merge(join(dir, 'bad', 'm2'), [1, 2, 2, 3, 4, 5, 6, 7].map(p));
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/chunk 2\/7 is given twice/);
    const mixed = merge(join(dir, 'bad', 'm3'), [p(1), join(dir, 'perm50', 'chunk2')]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/chunk 2\/50 is not one of 7 chunks/);
    // a chunk run with other parameters
    const other = join(dir, 'other', 'chunk4');
    cis('permute', other, ['--chunk', '4/7', '--threads', '1', '--window', '500000']);
    const params = merge(join(dir, 'bad', 'm4'), [1, 2, 3, 5, 6, 7].map(p).concat(other));
    expect(params.code).toBe(2);
    expect(params.stderr).toMatch(/parameter --window is 500000 here but 1000000/);
    expect(listDir(dir).includes('bad')).toBe(false);
  }, 120_000);
});

describe('nominal pass', () => {
  let whole: Record<string, unknown[]>;
  beforeAll(async () => {
    cis('nominal', join(dir, 'nwhole'), ['--threads', '1']);
    whole = await table(join(dir, 'nwhole.cis_qtl_pairs.22.parquet'));
    expect(whole.phenotype_id.length).toBe(172_591);
  }, 120_000);

  test.each([7, 50])(
    '%i chunks, merged, equal the unchunked run',
    async (N) => {
      const prefixes = await chunks('nominal', `nom${N}`, N);
      const r = merge(join(dir, `nom${N}`, 'merged'), prefixes);
      expect([r.code, r.stderr]).toEqual([0, '']);
      expect(
        differences(whole, await table(join(dir, `nom${N}`, 'merged.cis_qtl_pairs.22.parquet'))),
      ).toEqual([]);
      const s = JSON.parse(readFileSync(join(dir, `nom${N}`, 'merged.summary.json'), 'utf8'));
      expect(s.nominal.pairs).toBe(172_591);
    },
    600_000,
  );

  test('2 threads (mapping here, p-values and Parquet on the writer thread) equal 1 thread, with the same variant counts', async () => {
    cis('nominal', join(dir, 'nthreads2'), ['--threads', '2']);
    expect(differences(whole, await table(join(dir, 'nthreads2.cis_qtl_pairs.22.parquet')))).toEqual([]);
    const one = JSON.parse(readFileSync(join(dir, 'nwhole.summary.json'), 'utf8'));
    const two = JSON.parse(readFileSync(join(dir, 'nthreads2.summary.json'), 'utf8'));
    expect(two.threads_used).toBe(2);
    // one thread maps, the other computes the p-values and writes the Parquet
    expect([one.parquet_writer_thread, two.parquet_writer_thread]).toEqual([false, true]);
    expect(one.gemm_backend).toBe('none'); // the nominal pass needs no matrix product: no BLAS loaded
    expect(two.variants).toEqual(one.variants);
    // the reference README: 8,869 variants polymorphic among the 330; those in some cis window are tested
    expect(one.variants.tested).toBeLessThanOrEqual(8869);
    expect(one.variants.tested + one.variants.monomorphic).toBe(one.variants.inWindows);
  }, 120_000);

  test('3 threads (2 mapping workers and the writer thread) equal 1 thread', async () => {
    cis('nominal', join(dir, 'nthreads3'), ['--threads', '3']);
    expect(differences(whole, await table(join(dir, 'nthreads3.cis_qtl_pairs.22.parquet')))).toEqual([]);
    const three = JSON.parse(readFileSync(join(dir, 'nthreads3.summary.json'), 'utf8'));
    expect([three.threads_used, three.parquet_writer_thread]).toEqual([3, true]);
  }, 120_000);
});
