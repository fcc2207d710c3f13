/**
 * `trans` on the 330-sample Geuvadis chr22 data (refs/cis_sparse phenotypes, covariates PC1–PC3): every pair it
 * reports has the p-value, slope and SE of the full OLS y ~ 1 + PCs + g (statsmodels, Debian python3-statsmodels)
 * within 1e-6; pairs within --cis-exclude of the TSS never appear; loosening the p threshold 100× (100× more
 * pairs written) leaves the peak RSS flat, because pairs are streamed to the Parquet writer.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openParquet, toFloat64, toInt32, toStrings } from '../../src/io/parquet.js';
import { runCliAll, tempDir } from '../helpers/cli.js';
import { REPO_ROOT, sharedPath } from '../helpers/shared.js';
import { SYSTEM_PYTHON } from '../helpers/tools.js';

const VCF = () => sharedPath('data/geuvadis_chr22/1kg_phase1_chr22_seqarray_geuvadis330.vcf.gz');
const BED = () => sharedPath('refs/cis_sparse/phenotypes.bed.gz');
const COV = () => sharedPath('refs/cis_sparse/covariates.noPHASE1.txt.gz');
const dir = tempDir();
const THRESHOLDS = [1e-4, 1e-2, 1];

interface Summary {
  peak_rss_mb: number;
  pairs: { tested: number; cis_excluded: number; reported: number };
}
let summaries: Summary[];

const args = (thr: number) => [
  'trans',
  ...['--genotypes', VCF(), '--phenotypes', BED(), '--covariates', COV()],
  ...['--pval-threshold', String(thr), '--batch-size', '2000', '--out', join(dir, `t${thr}`), '--quiet'],
];

beforeAll(async () => {
  const res = await runCliAll(THRESHOLDS.map(args), 1); // one at a time: peak RSS is compared
  for (const r of res) expect([r.code, r.stderr]).toEqual([0, '']);
  summaries = THRESHOLDS.map(
    (t) => JSON.parse(readFileSync(join(dir, `t${t}.summary.json`), 'utf8')) as Summary,
  );
}, 600_000);

test('reported pairs equal the full OLS (statsmodels) within 1e-6 relative', async () => {
  const t = await openParquet(join(dir, 't0.0001.trans_qtl_pairs.parquet'));
  const gene = toStrings(await t.column('phenotype_id'));
  const pos = toInt32(await t.column('variant_pos'));
  const p = toFloat64(await t.column('pval'));
  const b = toFloat64(await t.column('b'));
  const se = toFloat64(await t.column('b_se'));
  expect(gene.length).toBeGreaterThan(20);
  expect(p.every((x) => x <= 1e-4)).toBe(true);
  const pairsFile = join(dir, 'pairs.json');
  writeFileSync(pairsFile, JSON.stringify(gene.map((g, i) => [g, pos[i]])));
  const py = spawnSync(
    SYSTEM_PYTHON,
    [join(REPO_ROOT, 'test/conformance/scripts/ols_reference.py'), VCF(), BED(), COV(), pairsFile],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  if (py.status !== 0) throw new Error(`ols_reference.py failed (python3-statsmodels): ${py.stderr}`);
  const ref = JSON.parse(py.stdout) as { pval: number; b: number; se: number }[];
  let worst = 0;
  ref.forEach((r, i) => {
    worst = Math.max(worst, Math.abs(p[i] - r.pval) / r.pval, Math.abs(b[i] - r.b) / Math.abs(r.b));
    worst = Math.max(worst, Math.abs(se[i] - r.se) / r.se);
  });
  expect(worst).toBeLessThan(1e-6);
});

test('no reported pair lies within --cis-exclude (5 Mb) of its TSS', async () => {
  const t = await openParquet(join(dir, 't1.trans_qtl_pairs.parquet'));
  const pos = toInt32(await t.column('variant_pos'));
  const tss = toInt32(await t.column('phenotype_tss'));
  let nearest = Infinity;
  for (let i = 0; i < pos.length; i++) nearest = Math.min(nearest, Math.abs(pos[i] - tss[i]));
  expect(nearest).toBeGreaterThan(5_000_000);
  const s = summaries[2];
  expect(s.pairs.cis_excluded).toBeGreaterThan(0);
  expect(s.pairs.reported).toBe(t.numRows);
});

test('peak RSS stays flat when the threshold is loosened 100× (1e-2 → 1: every trans pair written)', () => {
  const [, tight, loose] = summaries;
  expect(loose.pairs.reported).toBe(loose.pairs.tested);
  expect(loose.pairs.reported).toBeGreaterThan(80 * tight.pairs.reported);
  // ~1 M pairs held in memory would take > 150 MB; streamed, only the garbage collector's slack grows
  expect(loose.peak_rss_mb).toBeLessThan(tight.peak_rss_mb * 1.25 + 10);
});
