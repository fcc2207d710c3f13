/**
 * The native (OpenBLAS) and portable GEMM backends give the same cis results within float tolerance: the same
 * lead variants, nominal statistics and permutation counts, and beta-approximation p-values within 1e-4
 * relative (the maximum-likelihood Beta fit stops at tensorQTL's tolerance 1e-4, so last-bit differences in
 * the permutation maxima move its stopping point slightly). Which backend ran is in the run summary.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { nativeGemm } from '../../src/linalg/gemm.js';
import { openParquet } from '../../src/io/parquet.js';
import { CLI, tempDir } from '../helpers/cli.js';
import { sharedPath } from '../helpers/shared.js';

const dir = tempDir();

function run(backend: string, out: string) {
  const r = spawnSync(
    process.execPath,
    [
      CLI,
      'cis',
      '--genotypes',
      sharedPath('data/geuvadis_chr22/1kg_phase1_chr22_seqarray_geuvadis330.vcf.gz'),
      '--phenotypes',
      sharedPath('refs/cis_sparse/phenotypes.bed.gz'),
      '--covariates',
      sharedPath('refs/cis_sparse/covariates.txt.gz'),
      '--mode',
      'permute',
      '--permutations',
      '300',
      '--region',
      '22:17000000-30000000',
      '--out',
      out,
      '--quiet',
    ],
    { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', QTLFLOW_GEMM: backend } },
  );
  expect([r.status, r.stderr]).toEqual([0, expect.any(String)]);
  return JSON.parse(readFileSync(`${out}.summary.json`, 'utf8'));
}

(nativeGemm() ? test : test.skip)(
  'native and portable backends agree',
  async () => {
    const sn = run('native', join(dir, 'native'));
    const sp = run('portable', join(dir, 'portable'));
    expect([sn.gemm_backend, sp.gemm_backend]).toEqual(['native', 'portable']);
    const tn = await openParquet(join(dir, 'native.cis_qtl.parquet'));
    const tp = await openParquet(join(dir, 'portable.cis_qtl.parquet'));
    expect(tn.numRows).toBeGreaterThan(100);
    for (const c of [
      'phenotype_id',
      'variant_id',
      'num_var',
      'pval_nominal',
      'slope',
      'slope_se',
      'pval_perm',
    ])
      expect([c, Array.from((await tn.column(c)) as ArrayLike<unknown>)]).toEqual([
        c,
        Array.from((await tp.column(c)) as ArrayLike<unknown>),
      ]);
    for (const c of ['true_df', 'pval_true_df', 'beta_shape1', 'beta_shape2', 'pval_beta']) {
      const a = (await tn.column(c)) as Float64Array;
      const b = (await tp.column(c)) as Float64Array;
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.abs(b[i]));
      console.log(`native vs portable: ${c} max relative difference ${worst.toExponential(2)}`);
      // the beta fits stop at xatol 1e-4 (as tensorQTL's Nelder–Mead), so the GEMM's last bits move the shapes
      // by ~1e-6; pval_beta = I_p(shape1, shape2) carries that times |ln p| (≈ 70 for p ≈ 1e-30)
      expect(worst).toBeLessThan(c === 'pval_beta' ? 5e-4 : 1e-4);
    }
  },
  300_000,
);
