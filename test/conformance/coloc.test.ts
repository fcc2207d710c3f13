/**
 * `qtlflow coloc` against coloc: coloc.abf on coloc's test datasets D1 vs D2 (expected posteriors in
 * data/coloc/EXPECTED_coloc_abf_results.tsv, read in place), and coloc-SuSiE on D3 vs D4 (the datasets built
 * to break the single-causal-variant assumption) against the posteriors of susieR's own susie_rss log BFs.
 */
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { toFloat64, toInt32, toStrings } from '../../src/io/parquet.js';
import { combineAbf } from '../../src/stages/coloc/abf.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { requireSusieR, runR } from '../helpers/peers.js';
import { readColumns, readTsv, sharedPath } from '../helpers/shared.js';

const D = (f: string) => sharedPath('data', 'coloc', f);
const meta = Object.fromEntries(
  readTsv(D('coloc_test_data_meta.tsv')).rows.map((r) => [r[0], { N: r[1], sdY: r[2] }]),
);

describe('coloc.abf on coloc test data D1 vs D2', () => {
  const dir = tempDir('qtlflow-coloc-');
  const exp = readTsv(D('EXPECTED_coloc_abf_results.tsv'));
  const e = Object.fromEntries(exp.header.map((h, i) => [h, exp.rows[0][i]]));

  test('all five posteriors within 1e-6, nsnps, per-SNP PP.H4 of the top SNPs', async () => {
    const r = runCli([
      'coloc',
      '--dataset1',
      D('coloc_test_data_D1.tsv.gz'),
      '--dataset2',
      D('coloc_test_data_D2.tsv.gz'),
      '--sdY1',
      meta.D1.sdY,
      '--sdY2',
      meta.D2.sdY,
      '--p1',
      e.p1,
      '--p2',
      e.p2_used,
      '--p12',
      e.p12,
      '--out',
      join(dir, 'abf'),
      '--quiet',
    ]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const pps = ['PP.H0', 'PP.H1', 'PP.H2', 'PP.H3', 'PP.H4'];
    const { t, o: out } = await readColumns(join(dir, 'abf.coloc.parquet'), ['nsnps', 'method', ...pps]);
    expect(t.numRows).toBe(1);
    expect(t.meta.schema).toBe('coloc/2');
    expect((out.nsnps as Int32Array)[0]).toBe(Number(e.nsnps));
    expect(toStrings(out.method as string[])).toEqual(['abf']);
    const diffs = pps.map((h) => Math.abs(toFloat64(out[h] as Float64Array)[0] - Number(e[h])));
    for (const d of diffs) expect(d).toBeLessThan(1e-6);
    // SNP.PP.H4 of the top SNPs, as printed in the expected values' source note
    const snpPP = Object.fromEntries(
      [...e.source_of_expected_values.matchAll(/(s\d+)=([0-9.]+)/g)].map((m) => [m[1], Number(m[2])]),
    );
    expect(Object.keys(snpPP).length).toBeGreaterThanOrEqual(2);
    const s = await readColumns(join(dir, 'abf.coloc_snp.parquet'), ['snp', 'SNP.PP.H4']);
    const ids = toStrings(s.o.snp as string[]);
    const pp = toFloat64(s.o['SNP.PP.H4'] as Float64Array);
    for (const [snp, v] of Object.entries(snpPP))
      expect(Math.abs(pp[ids.indexOf(snp)] - v)).toBeLessThan(1e-7);
    console.log(`coloc.abf D1 vs D2: |ΔPP.H0…H4| ${diffs.map((d) => d.toExponential(1)).join(', ')}`);
  });

  test('the same dataset as gzipped CSV with other column names, mapped by flags, gives the same posteriors (dataset-2 mapping flags)', async () => {
    const d2 = readTsv(D('coloc_test_data_D2.tsv.gz'));
    const csv = [
      'MarkerID,Effect,Var_Effect,Freq_Minor',
      ...d2.rows.map((r) => [r[0], r[2], r[3], r[4]].join(',')),
    ];
    writeFileSync(join(dir, 'd2.csv.gz'), gzipSync(csv.join('\n') + '\n'));
    const r = runCli([
      'coloc',
      '--dataset1',
      D('coloc_test_data_D1.tsv.gz'),
      '--dataset2',
      join(dir, 'd2.csv.gz'),
      '--sdY1',
      meta.D1.sdY,
      '--sdY2',
      meta.D2.sdY,
      '--snp-col2',
      'MarkerID',
      '--beta-col2',
      'Effect',
      '--varbeta-col2',
      'Var_Effect',
      '--maf-col2',
      'Freq_Minor',
      '--out',
      join(dir, 'csv'),
      '--quiet',
    ]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const { o } = await readColumns(join(dir, 'csv.coloc.parquet'), ['PP.H4', 'nsnps']);
    expect(Math.abs(toFloat64(o['PP.H4'] as Float64Array)[0] - Number(e['PP.H4']))).toBeLessThan(1e-6);
    expect((o.nsnps as Int32Array)[0]).toBe(Number(e.nsnps));
  });

  test('sdY estimated from varbeta and MAF when not given, with coloc’s warning', async () => {
    const r = runCli([
      'coloc',
      '--dataset1',
      D('coloc_test_data_D1.tsv.gz'),
      '--dataset2',
      D('coloc_test_data_D2.tsv.gz'),
      '--N1',
      meta.D1.N,
      '--N2',
      meta.D2.N,
      '--out',
      join(dir, 'est'),
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('estimating sdY from maf and varbeta, please directly supply sdY if known');
    const summary = JSON.parse(readFileSync(join(dir, 'est.summary.json'), 'utf8'));
    const est = summary.sdY_estimated as Record<string, number>;
    // coloc's sdY.est is sqrt of the slope of lm(2N·MAF(1 − MAF) ~ 1/varbeta − 1): the same fit in R
    const rEst = runR(
      dir,
      'sdy.R',
      `args <- commandArgs(trailingOnly = TRUE)
for (k in 1:2) {
  d <- read.table(gzfile(args[k]), header = TRUE, sep = "\\t")
  oneover <- 1 / d$varbeta; nvx <- 2 * as.numeric(args[k + 2]) * d$MAF * (1 - d$MAF)
  cat(sprintf("%.17g\\n", sqrt(coef(lm(nvx ~ oneover - 1))[["oneover"]])))
}
`,
      [D('coloc_test_data_D1.tsv.gz'), D('coloc_test_data_D2.tsv.gz'), meta.D1.N, meta.D2.N],
    )
      .trim()
      .split('\n')
      .map(Number);
    expect(Math.abs(est['1:coloc_test_data_D1'] / rEst[0] - 1)).toBeLessThan(1e-12);
    expect(Math.abs(est['2:coloc_test_data_D2'] / rEst[1] - 1)).toBeLessThan(1e-12);
  });
});

describe('coloc-SuSiE on coloc test data D3 vs D4', () => {
  const dir = tempDir('qtlflow-coloc-susie-');
  test('every pair of credible-set signals, from susie_rss with the LD matrices, as from susieR’s log BFs', async () => {
    requireSusieR();
    // susieR's susie_rss fits (coloc's runsusie call) and the log BFs of their credible-set effects
    runR(
      dir,
      'lbf.R',
      `suppressMessages(library(susieR))
args <- commandArgs(trailingOnly = TRUE); D <- args[1]; out <- args[2]
for (ds in c("D3", "D4")) {
  d <- read.table(gzfile(file.path(D, paste0("coloc_test_data_", ds, ".tsv.gz"))), header = TRUE, sep = "\\t")
  LD <- as.matrix(read.table(gzfile(file.path(D, "coloc_test_data_LD_D3_D4.tsv.gz")), header = TRUE, sep = "\\t", row.names = 1, check.names = FALSE))
  fit <- susie_rss(z = d$beta / sqrt(d$varbeta), R = LD[d$snp, d$snp], n = 1000, max_iter = 100)
  lbf <- fit$lbf_variable[fit$sets$cs_index, , drop = FALSE]
  write.table(cbind(fit$sets$cs_index, matrix(sprintf("%.17g", lbf), nrow(lbf))), file.path(out, paste0(ds, ".lbf")), row.names = FALSE, col.names = FALSE, quote = FALSE)
}
`,
      [sharedPath('data', 'coloc'), dir],
    );
    const r = runCli([
      'coloc',
      '--method',
      'susie',
      '--dataset1',
      D('coloc_test_data_D3.tsv.gz'),
      '--dataset2',
      D('coloc_test_data_D4.tsv.gz'),
      '--ld1',
      D('coloc_test_data_LD_D3_D4.tsv.gz'),
      '--ld2',
      D('coloc_test_data_LD_D3_D4.tsv.gz'),
      '--N1',
      meta.D3.N,
      '--N2',
      meta.D4.N,
      '--out',
      join(dir, 'susie'),
      '--quiet',
    ]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const pps = ['PP.H0', 'PP.H1', 'PP.H2', 'PP.H3', 'PP.H4'];
    const { o: out } = await readColumns(join(dir, 'susie.coloc.parquet'), [
      'idx1',
      'idx2',
      'hit1',
      'hit2',
      ...pps,
    ]);
    const lbf = (ds: string) =>
      new Map(
        readFileSync(join(dir, `${ds}.lbf`), 'utf8')
          .trim()
          .split('\n')
          .map((l) => l.split(' ').map(Number))
          .map(([e, ...v]) => [e, v]),
      );
    const l3 = lbf('D3');
    const l4 = lbf('D4');
    const idx1 = toInt32(out.idx1 as Int32Array);
    const idx2 = toInt32(out.idx2 as Int32Array);
    // coloc.bf_bf pairs every signal of D3 with every signal of D4
    expect(idx1.length).toBe(l3.size * l4.size);
    let worst = 0;
    for (let k = 0; k < idx1.length; k++) {
      const want = combineAbf(l3.get(idx1[k])!, l4.get(idx2[k])!, 1e-4, 1e-4, 5e-6);
      pps.forEach(
        (h, i) => (worst = Math.max(worst, Math.abs(toFloat64(out[h] as Float64Array)[k] - want[i]))),
      );
    }
    expect(worst).toBeLessThan(1e-6);
    // the shared causal SNP s105 colocalizes; D3's second signal (around s89) does not
    const h4 = toFloat64(out['PP.H4'] as Float64Array);
    const hit1 = toStrings(out.hit1 as string[]);
    const best = Array.from(h4.keys()).sort((a, b) => h4[b] - h4[a]);
    expect(hit1[best[0]]).toBe('s105');
    expect(h4[best[0]]).toBeGreaterThan(0.99);
    expect(h4[best[1]]).toBeLessThan(0.1);
    console.log(
      `coloc-SuSiE D3 vs D4: ${idx1.length} signal pairs, max |ΔPP| vs susieR's log BFs ${worst.toExponential(2)}; PP.H4 ${Array.from(h4, (v) => v.toPrecision(6)).join(', ')}`,
    );
  });
});
