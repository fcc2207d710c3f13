/**
 * `qtlflow cis` against FastQTL 2.184 and R qvalue 2.30 on real data (refs/cis_sparse: 1000 Genomes chr22,
 * 330 Geuvadis samples, 364 genes, covariates PC1–PC3 + a constant PHASE1 column).
 *
 * Tolerances: FastQTL prints 6 significant digits (±5e-6 relative) and computes from float32 vectors, so
 * nominal p-values and SEs are compared at 6e-6 relative (and most must equal the printed value once rounded
 * to 6 digits); slopes at 1e-5 relative (float32 adds to the rounding), except where |t| < 0.02: there FastQTL's float32 correlation is the limit
 * (CIS_CONVENTIONS.md) and the difference is bounded relative to the slope's SE. Permutation results depend on
 * the random shuffles, so they are compared statistically: same lead variant, log10 pval_beta correlation, and
 * eGenes apart from genes within Monte Carlo noise of the FDR threshold.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { openParquet, toFloat64, toInt32, toStrings } from '../../src/io/parquet.js';
import { estimatePi0, nominalThresholds, qvalues } from '../../src/stats/qvalue.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { readTsv, sharedPath } from '../helpers/shared.js';

const REF = (f: string) => sharedPath('refs/cis_sparse', f);
const VCF = () => sharedPath('data/geuvadis_chr22/1kg_phase1_chr22_seqarray_geuvadis330.vcf.gz');
const dir = tempDir();

function fastqtlRows(file: string, header = false): string[][] {
  const lines = gunzipSync(readFileSync(REF(file)))
    .toString()
    .trim()
    .split('\n');
  return (header ? lines.slice(1) : lines).map((l) => l.split('\t'));
}

const sig6 = (x: number) => Number(x.toPrecision(6));

function cis(mode: string, out: string, extra: string[] = []): void {
  const r = runCli([
    'cis',
    '--genotypes',
    VCF(),
    '--phenotypes',
    REF('phenotypes.bed.gz'),
    '--covariates',
    REF('covariates.txt.gz'),
    '--mode',
    mode,
    '--out',
    out,
    '--quiet',
    ...extra,
  ]);
  expect([r.code, r.stderr]).toEqual([0, expect.any(String)]);
}

describe('nominal pass vs fastQTL (172,591 pairs of polymorphic variants)', () => {
  const out = join(dir, 'nominal');
  let ours: Map<string, { p: number; slope: number; se: number; maS: number; maC: number }>;
  let ref: string[][];
  beforeAll(async () => {
    cis('nominal', out);
    const t = await openParquet(`${out}.cis_qtl_pairs.22.parquet`);
    const g = toStrings(await t.column('phenotype_id'));
    const d = toInt32(await t.column('start_distance'));
    const p = toFloat64(await t.column('pval_nominal'));
    const s = toFloat64(await t.column('slope'));
    const se = toFloat64(await t.column('slope_se'));
    const maS = toInt32(await t.column('ma_samples'));
    const maC = toInt32(await t.column('ma_count'));
    ours = new Map(
      g.map((id, i) => [`${id}\t${d[i]}`, { p: p[i], slope: s[i], se: se[i], maS: maS[i], maC: maC[i] }]),
    );
    ref = fastqtlRows('fastqtl.nominal.polymorphic.txt.gz');
  }, 120_000);

  test('the same (gene, variant) pairs; ma_samples and ma_count identical', () => {
    expect(ref.length).toBe(172_591);
    expect(ours.size).toBe(ref.length);
    let bad = 0;
    for (const r of ref) {
      const o = ours.get(`${r[0]}\t${r[2]}`);
      if (!o || o.maS !== Number(r[3]) || o.maC !== Number(r[4])) bad++;
    }
    expect(bad).toBe(0);
  });

  test('pval_nominal, slope_se within 6e-6 relative; ≥ 95% equal at FastQTL’s 6 printed digits', () => {
    let maxP = 0;
    let maxSe = 0;
    let equal = 0;
    for (const r of ref) {
      const o = ours.get(`${r[0]}\t${r[2]}`)!;
      maxP = Math.max(maxP, Math.abs(o.p - Number(r[6])) / Number(r[6]));
      maxSe = Math.max(maxSe, Math.abs(o.se - Number(r[8])) / Number(r[8]));
      if (sig6(o.p) === Number(r[6])) equal++;
    }
    console.log(
      `nominal: max rel diff p ${maxP.toExponential(2)}, SE ${maxSe.toExponential(2)}; ${equal} of ${ref.length} p equal at 6 digits`,
    );
    expect(maxP).toBeLessThan(6e-6);
    expect(maxSe).toBeLessThan(6e-6);
    expect(equal / ref.length).toBeGreaterThan(0.95);
  });

  test('slope within 1e-5 relative where |t| ≥ 0.02 (6 digits + float32); within 1e-4 SE where FastQTL’s float32 limits it', () => {
    let maxRel = 0;
    let maxSmallT = 0;
    for (const r of ref) {
      const o = ours.get(`${r[0]}\t${r[2]}`)!;
      const diff = Math.abs(o.slope - Number(r[7]));
      if (Math.abs(o.slope / o.se) >= 0.02) maxRel = Math.max(maxRel, diff / Math.abs(Number(r[7])));
      else maxSmallT = Math.max(maxSmallT, diff / o.se);
    }
    console.log(
      `nominal: slope max rel diff ${maxRel.toExponential(2)} (|t| ≥ 0.02), ${maxSmallT.toExponential(2)} SE below`,
    );
    expect(maxRel).toBeLessThan(1e-5);
    expect(maxSmallT).toBeLessThan(1e-4);
  });
});

describe('permutation pass vs fastQTL (1000 permutations)', () => {
  const out = join(dir, 'permute');
  let ours: Map<string, { dist: number; pBeta: number; q: number; pPerm: number }>;
  let ref: string[][];
  let summary: { permutation: { pi0: number; min_p_threshold: number; significant: number } };
  beforeAll(async () => {
    cis('permute', out, ['--permutations', '1000']);
    const t = await openParquet(`${out}.cis_qtl.parquet`);
    const g = toStrings(await t.column('phenotype_id'));
    const d = toInt32(await t.column('start_distance'));
    const pb = toFloat64(await t.column('pval_beta'));
    const q = toFloat64(await t.column('qval'));
    const pp = toFloat64(await t.column('pval_perm'));
    ours = new Map(g.map((id, i) => [id, { dist: d[i], pBeta: pb[i], q: q[i], pPerm: pp[i] }]));
    ref = fastqtlRows('fastqtl.permute.qvalue_default.txt.gz', true);
    summary = JSON.parse(readFileSync(`${out}.summary.json`, 'utf8'));
  }, 600_000);

  test('every gene tested, with the same lead variant', () => {
    expect(ours.size).toBe(364);
    const differ = ref.filter((r) => ours.get(r[0])!.dist !== Number(r[7]));
    expect(differ.map((r) => r[0])).toEqual([]);
  });

  test('log10 pval_beta correlates with FastQTL’s at r ≥ 0.99', () => {
    const x = ref.map((r) => Math.log10(ours.get(r[0])!.pBeta));
    const y = ref.map((r) => Math.log10(Number(r[16])));
    const mx = x.reduce((s, v) => s + v, 0) / x.length;
    const my = y.reduce((s, v) => s + v, 0) / y.length;
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    x.forEach((v, i) => {
      sxy += (v - mx) * (y[i] - my);
      sxx += (v - mx) ** 2;
      syy += (y[i] - my) ** 2;
    });
    const r = sxy / Math.sqrt(sxx * syy);
    console.log(`permutation: Pearson r of log10 pval_beta = ${r.toFixed(5)}`);
    expect(r).toBeGreaterThanOrEqual(0.99);
  });

  test('the same eGenes at FDR 0.05 apart from genes within Monte Carlo noise of the threshold', () => {
    const P = 1000;
    const thr = summary.permutation.min_p_threshold;
    const noise = 3 * Math.sqrt((thr * (1 - thr)) / P);
    const oursSig = new Set(ref.filter((r) => ours.get(r[0])!.q <= 0.05).map((r) => r[0]));
    const refSig = new Set(ref.filter((r) => Number(r[17]) <= 0.05).map((r) => r[0]));
    const differ = ref.filter((r) => oursSig.has(r[0]) !== refSig.has(r[0]));
    console.log(
      `permutation: ${oursSig.size} eGenes (FastQTL ${refSig.size}); ${differ.length} differ: ${differ
        .map((r) => `${r[0]} (pval_beta ${ours.get(r[0])!.pBeta.toPrecision(3)} vs ${r[16]})`)
        .join(', ')}; threshold ${thr.toPrecision(4)} ± ${noise.toPrecision(2)}`,
    );
    expect(Math.abs(oursSig.size - refSig.size)).toBeLessThanOrEqual(5);
    for (const r of differ) {
      expect(Math.abs(ours.get(r[0])!.pBeta - thr)).toBeLessThan(noise);
      expect(Math.abs(Number(r[16]) - thr)).toBeLessThan(noise);
    }
    expect(summary.permutation.significant).toBe(oursSig.size);
  });
});

describe('q-values and nominal thresholds on FastQTL’s own pval_beta (R qvalue 2.30, calculateSignificanceFastQTL.R)', () => {
  const perm = () => fastqtlRows('fastqtl.permute.txt.gz');

  test('π0(λ) exact, fixed λ = 0.85 q-values within 1e-12, smoother π0 within 2e-5 of R', () => {
    const pb = perm().map((r) => Number(r[16]));
    const { header, rows } = readTsv(REF('qvalue_pi0.tsv'));
    const row = (setting: string) => rows.find((r) => r[0] === setting)!;
    const smooth = estimatePi0(pb);
    const rPi0Lambda = row('default')[header.indexOf('pi0_lambda')].split(',').map(Number);
    smooth.pi0Lambda.forEach((v, i) => expect(Math.abs(v - rPi0Lambda[i])).toBeLessThan(1e-12));
    const rPi0 = Number(row('default')[header.indexOf('pi0_final')]);
    console.log(`π0 smoother: ${smooth.pi0} (R ${rPi0})`);
    expect(Math.abs(smooth.pi0 - rPi0) / rPi0).toBeLessThan(2e-5); // R searches spar to a 1e-4 tolerance
    const fixed = estimatePi0(pb, 0.85);
    expect(Math.abs(fixed.pi0 - Number(row('lambda=0.85')[header.indexOf('pi0_final')]))).toBeLessThan(1e-12);
    const q = qvalues(pb, fixed.pi0);
    const full = readTsv(REF('qvalue_full_precision.tsv'));
    const col = full.header.indexOf('qval_lambda0.85');
    let maxAbs = 0;
    full.rows.forEach((r, i) => (maxAbs = Math.max(maxAbs, Math.abs(q[i] - Number(r[col])))));
    expect(full.rows.length).toBe(pb.length);
    expect(maxAbs).toBeLessThan(1e-12);
    const qd = qvalues(pb, smooth.pi0);
    const cd = full.header.indexOf('qval_default');
    full.rows.forEach((r, i) => expect(Math.abs(qd[i] - Number(r[cd])) / Number(r[cd])).toBeLessThan(2e-5));
  });

  test('pval_nominal_threshold equals the R script’s for every gene (its 6 printed digits)', () => {
    const rows = fastqtlRows('fastqtl.permute.qvalue_default.txt.gz', true);
    const t = nominalThresholds(
      rows.map((r) => Number(r[16])),
      rows.map((r) => Number(r[17])),
      rows.map((r) => Number(r[2])),
      rows.map((r) => Number(r[3])),
      0.05,
    )!;
    const stdout = readFileSync(REF('calculateSignificance_default.stdout.txt'), 'utf8');
    expect(sig6(t.pThreshold)).toBe(Number(/threshold @ FDR 0.05: ([\d.e-]+)/.exec(stdout)![1]));
    const mismatched = rows.filter((r, i) => sig6(t.thresholds[i]) !== Number(r[18]));
    expect(mismatched.map((r) => r[0])).toEqual([]);
  });
});
