/**
 * `rare` on the 330-sample Geuvadis chr22 data (refs/cis_sparse phenotypes and covariates PC1–PC3), against
 * reference values derived independently in Python (test/conformance/scripts/skat_reference.py): the SKAT R
 * package is not on CRAN-less build machines, so its linear-trait SKAT (Beta(1, 25) weights, kernel weight w²)
 * is re-derived with NumPy and its p-value computed by Imhof's inversion of the characteristic function (SciPy)
 * instead of Davies' algorithm; the burden by statsmodels OLS and its likelihood-ratio test.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { openParquet, toFloat64, toInt32, toStrings } from '../../src/io/parquet.js';
import { davies } from '../../src/stats/quadform.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { REPO_ROOT, sharedPath } from '../helpers/shared.js';
import { SYSTEM_PYTHON } from '../helpers/tools.js';

const VCF = () => sharedPath('data/geuvadis_chr22/1kg_phase1_chr22_seqarray_geuvadis330.vcf.gz');
const BED = () => sharedPath('refs/cis_sparse/phenotypes.bed.gz');
const COV = () => sharedPath('refs/cis_sparse/covariates.noPHASE1.txt.gz');
const GENES = [
  'ENSG00000237438.1',
  'ENSG00000177663.8',
  'ENSG00000069998.8',
  'ENSG00000093072.10',
  'ENSG00000099937.6',
];
const dir = tempDir();

interface Ref {
  q: number;
  p: number;
  num_var: number;
  variants: string[];
  burden_beta: number;
  burden_se: number;
  burden_p: number;
  lrt: number;
  lrt_p: number;
  lambda: number[];
}

interface Row {
  gene: string;
  test: string;
  numVar: number;
  stat: number;
  beta: number;
  se: number;
  pval: number;
  pvalLrt: number;
  method: string;
  variants: string;
}

let rows: Row[];
let ref: Record<string, Ref>;

beforeAll(async () => {
  const out = join(dir, 'rare.parquet');
  const r = runCli([
    'rare',
    '--genotypes',
    VCF(),
    '--phenotypes',
    BED(),
    '--covariates',
    COV(),
    '--out',
    out,
    '--quiet',
  ]);
  expect([r.code, r.stderr]).toEqual([0, '']);
  const t = await openParquet(out);
  const c = async (n: string) => t.column(n);
  const gene = toStrings(await c('phenotype_id'));
  const test = toStrings(await c('test'));
  const nv = toInt32(await c('num_var'));
  const stat = toFloat64(await c('stat'));
  const beta = toFloat64(await c('beta'));
  const se = toFloat64(await c('beta_se'));
  const p = toFloat64(await c('pval'));
  const pl = toFloat64(await c('pval_lrt'));
  const method = toStrings(await c('pval_method'));
  const variants = toStrings(await c('variants'));
  rows = gene.map((g, i) => ({
    gene: g,
    test: test[i],
    numVar: nv[i],
    stat: stat[i],
    beta: beta[i],
    se: se[i],
    pval: p[i],
    pvalLrt: pl[i],
    method: method[i],
    variants: variants[i],
  }));
  const py = spawnSync(
    SYSTEM_PYTHON,
    [
      join(REPO_ROOT, 'test/conformance/scripts/skat_reference.py'),
      VCF(),
      BED(),
      COV(),
      '100000',
      '0.05',
      ...GENES,
    ],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  if (py.status !== 0)
    throw new Error(`skat_reference.py failed (python3-scipy, python3-statsmodels): ${py.stderr}`);
  ref = JSON.parse(py.stdout) as Record<string, Ref>;
}, 600_000);

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

test('SKAT Q equals the independent derivation, and its p-value Imhof’s within Davies’ bound (1e-6)', () => {
  for (const g of GENES) {
    const s = rows.find((r) => r.gene === g && r.test === 'skat')!;
    expect(s.numVar).toBe(ref[g].num_var);
    expect(s.variants.split(',')).toEqual(
      ref[g].variants.map((v, i) => (v === '.' ? s.variants.split(',')[i] : v)),
    );
    expect(s.method).toBe('davies');
    expect(rel(s.stat, ref[g].q)).toBeLessThan(1e-10);
    // SKAT runs Davies with acc = 1e-6, an absolute error bound: the R package's p-values carry the same error
    expect(Math.abs(s.pval - ref[g].p)).toBeLessThan(1e-6);
    expect(rel(s.pval, ref[g].p)).toBeLessThan(5e-6);
  }
});

test('the Davies implementation converges to Imhof’s integral: 1e-6 relative at acc 1e-9 on every gene', () => {
  for (const g of GENES) {
    const s = rows.find((r) => r.gene === g && r.test === 'skat')!;
    const d = davies(s.stat, ref[g].lambda, { acc: 1e-9, lim: 1_000_000 });
    expect(d.ifault).toBe(0);
    expect(rel(d.p, ref[g].p)).toBeLessThan(1e-6);
  }
});

test('burden Wald and LRT equal statsmodels OLS (1e-8 relative)', () => {
  for (const g of GENES) {
    const b = rows.find((r) => r.gene === g && r.test === 'burden')!;
    expect(rel(b.beta, ref[g].burden_beta)).toBeLessThan(1e-8);
    expect(rel(b.se, ref[g].burden_se)).toBeLessThan(1e-8);
    expect(rel(b.pval, ref[g].burden_p)).toBeLessThan(1e-8);
    expect(rel(b.stat, ref[g].lrt)).toBeLessThan(1e-8);
    expect(rel(b.pvalLrt, ref[g].lrt_p)).toBeLessThan(1e-8);
  }
});

test('ACAT combines the burden and SKAT p-values of each gene', () => {
  for (const g of GENES) {
    const [b, s, a] = ['burden', 'skat', 'acat'].map((t) => rows.find((r) => r.gene === g && r.test === t)!);
    const T = (Math.tan((0.5 - b.pval) * Math.PI) + Math.tan((0.5 - s.pval) * Math.PI)) / 2;
    expect(a.stat).toBeCloseTo(T, 10);
    expect(a.pval).toBeCloseTo(0.5 - Math.atan(T) / Math.PI, 12);
  }
});
