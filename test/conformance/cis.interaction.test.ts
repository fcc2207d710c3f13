/**
 * `cis --interaction` (tensorQTL's interaction model) on the 330-sample Geuvadis chr22 data: genotype PC1 as the
 * interaction term, PC2–PC3 as covariates. For three genes, every reported pair's b_g, b_i, b_gi, their SEs and
 * p-values equal the full OLS y ~ 1 + PC2 + PC3 + g + PC1 + g·PC1 (statsmodels) within 1e-6; the MAF filter on
 * both halves of the median split of PC1 is applied.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { openParquet, toFloat64, toInt32, toStrings } from '../../src/io/parquet.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { REPO_ROOT, sharedPath } from '../helpers/shared.js';
import { SYSTEM_PYTHON } from '../helpers/tools.js';

const VCF = () => sharedPath('data/geuvadis_chr22/1kg_phase1_chr22_seqarray_geuvadis330.vcf.gz');
const BED = () => sharedPath('refs/cis_sparse/phenotypes.bed.gz');
const GENES = ['ENSG00000237438.1', 'ENSG00000177663.8', 'ENSG00000069998.8'];
const dir = tempDir();
const cov = join(dir, 'pc23.txt');
const inter = join(dir, 'pc1.txt');
let rows: Record<string, ArrayLike<unknown>>;
let summary: { interaction: { pairs: number; dof: number; terms: string[] }; variants: { tested: number } };

beforeAll(async () => {
  const lines = gunzipSync(readFileSync(sharedPath('refs/cis_sparse/covariates.noPHASE1.txt.gz')))
    .toString()
    .trim()
    .split('\n');
  writeFileSync(cov, [lines[0], lines[2], lines[3]].join('\n') + '\n');
  writeFileSync(inter, [lines[0], lines[1]].join('\n') + '\n');
  const out = join(dir, 'ix');
  const r = runCli([
    'cis',
    ...['--genotypes', VCF(), '--phenotypes', BED(), '--covariates', cov, '--interaction', inter],
    ...['--mode', 'nominal', '--region', '22:17000000-19000000', '--out', out, '--quiet'],
  ]);
  expect([r.code, r.stderr]).toEqual([0, '']);
  summary = JSON.parse(readFileSync(`${out}.summary.json`, 'utf8'));
  const t = await openParquet(`${out}.cis_qtl_interaction_pairs.22.parquet`);
  rows = {};
  for (const c of t.columnNames) rows[c] = (await t.column(c)) as ArrayLike<unknown>;
}, 600_000);

test('b_g, b_i, b_gi with SE and p equal statsmodels OLS within 1e-6 on three genes', () => {
  expect(summary.interaction.terms).toEqual(['PC1']);
  expect(summary.interaction.dof).toBe(330 - 2 - 2 - 2);
  const gene = toStrings(rows.phenotype_id as never);
  const dist = toInt32(rows.start_distance as never);
  const tss = new Map(
    gunzipSync(readFileSync(BED()))
      .toString()
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split('\t'))
      .map((f) => [f[3], Number(f[1]) + 1]),
  );
  const pick = gene.map((g, i) => i).filter((i) => GENES.includes(gene[i]));
  for (const g of GENES) expect(pick.some((i) => gene[i] === g)).toBe(true);
  const pairsFile = join(dir, 'pairs.json');
  writeFileSync(pairsFile, JSON.stringify(pick.map((i) => [gene[i], tss.get(gene[i])! + dist[i]])));
  const py = spawnSync(
    SYSTEM_PYTHON,
    [join(REPO_ROOT, 'test/conformance/scripts/ols_reference.py'), VCF(), BED(), cov, pairsFile, inter],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  if (py.status !== 0) throw new Error(`ols_reference.py failed (python3-statsmodels): ${py.stderr}`);
  const ref = JSON.parse(py.stdout) as Record<string, number>[];
  const col = (n: string) => toFloat64(rows[n] as never);
  const ours: Record<string, Float64Array> = {};
  for (const [k, n] of Object.entries({
    pval: 'pval_g',
    b: 'b_g',
    se: 'b_g_se',
    pval_i: 'pval_i',
    b_i: 'b_i',
    se_i: 'b_i_se',
    pval_gi: 'pval_gi',
    b_gi: 'b_gi',
    se_gi: 'b_gi_se',
  }))
    ours[k] = col(n);
  let worst = 0;
  ref.forEach((r, j) => {
    const i = pick[j];
    for (const k of Object.keys(ours)) worst = Math.max(worst, Math.abs(ours[k][i] - r[k]) / Math.abs(r[k]));
  });
  expect(pick.length).toBeGreaterThan(30);
  expect(worst).toBeLessThan(1e-6);
});

test('variants below MAF 0.05 in either half of the PC1 split are not reported', () => {
  const af = toFloat64(rows.af as never);
  // every reported variant is common overall (the split filter implies MAF ≥ 0.05 over all samples)
  for (const x of af) expect(Math.min(x, 1 - x)).toBeGreaterThanOrEqual(0.05 - 1e-12);
  expect(summary.interaction.pairs).toBeLessThan(summary.variants.tested * 10);
});
