/**
 * segment against statsmodels (Debian python3-statsmodels, run by the system Python) on a simulated tumour cohort
 * with planted breakpoints and allele-specific effects (src/runner/simulate-segment.ts):
 * - nominal: the Python program applies SegmentQTL's segment filter to the CSV inputs itself, fits
 *   `sm.OLS(y, [1, s, d, CN, age, purity])` for every testable gene × variant pair, and every statistic we write
 *   (β, SE, t, p, R², AIC of both models) equals it within 1e-8 (relative), on the same set of pairs;
 * - the segment filter removes the planted breakpoint artefacts that an unsegmented run (--no-segment-filter) finds,
 *   and keeps the planted allele-specific eQTLs (both runs reported);
 * - the trans negative control (--neg-control) gives no gene below a Bonferroni threshold.
 */
import { join } from 'node:path';
import { simulateSegmentCohort } from '../../src/runner/simulate-segment.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { readColumns } from '../helpers/shared.js';
import { segmentInputArgs } from '../helpers/segment.js';
import { describeWithTool, hasPythonModules, python } from '../helpers/tools.js';

const dir = tempDir('qtlflow-segment-sm-');
const truth = simulateSegmentCohort(join(dir, 'cohort'), { genesPerChromosome: 40 });
const F = truth.files;
const inputs = segmentInputArgs(F, false);

function segment(out: string, extra: string[]): string {
  const r = runCli(['segment', ...inputs, '--out', join(dir, out), '--quiet', ...extra]);
  expect([r.code, r.stderr]).toEqual([0, '']);
  return join(dir, out);
}

/** Genes with a pair below p (their best p-value). */
async function hits(path: string, p: number): Promise<Map<string, number>> {
  const { o } = await readColumns(path, ['phenotype', 'nominal_p']);
  const best = new Map<string, number>();
  const ph = o.phenotype as string[];
  const pv = o.nominal_p as Float64Array;
  ph.forEach((g, i) => best.set(g, Math.min(best.get(g) ?? 1, pv[i])));
  return new Map([...best].filter(([, v]) => v < p));
}

const STATSMODELS = String.raw`
import sys, json, numpy as np, pandas as pd, statsmodels.api as sm
gdir, quant_f, cov_f, cn_f, seg_f, window = sys.argv[1:7]
window = int(window)
quan = pd.read_csv(quant_f, index_col=3)
samples = list(quan.columns[3:])
cov = pd.read_csv(cov_f)            # header of sample IDs: pandas makes the name column the index
cn = pd.read_csv(cn_f, index_col=0)
seg = pd.read_csv(seg_f, index_col=0)
out = []
for chrom in sorted(set(quan['chr'])):
    alt = pd.read_csv(f"{gdir}/{chrom}_ALTlr.csv", index_col=0)[samples]
    ref = pd.read_csv(f"{gdir}/{chrom}_REFlr.csv", index_col=0)[samples]
    pos = np.array([int(i.split(':')[1]) for i in alt.index])
    sc = seg[seg.chr == chrom]
    for gene, row in quan[quan['chr'] == chrom].iterrows():
        start, end = int(row['start']), int(row['end'])
        w = (pos >= start - window) & (pos <= end + window)
        A = alt.loc[w].to_numpy(float).copy(); R = ref.loc[w].to_numpy(float).copy(); P = pos[w]
        for j, s in enumerate(samples):        # SegmentQTL's filter_variants_to_common_segment
            ss = sc.loc[[s]] if s in sc.index else sc.iloc[0:0]
            hit = ss[(ss.startpos <= start) & (ss.endpos >= start)]
            if len(hit) != 1 or not (hit.startpos.iloc[0] <= end <= hit.endpos.iloc[0]):
                A[:, j] = np.nan; R[:, j] = np.nan; continue
            out_of = (P < hit.startpos.iloc[0]) | (P > hit.endpos.iloc[0])
            A[out_of, j] = np.nan; R[out_of, j] = np.nan
        y = row[samples].to_numpy(float)
        fixed = np.column_stack([cn.loc[gene, samples].to_numpy(float)] + [cov.loc[c, samples].to_numpy(float) for c in cov.index])
        for v, vid in enumerate(alt.index[w]):
            s_ = R[v] + A[v]; d_ = R[v] - A[v]
            m = ~np.isnan(y) & ~np.isnan(s_) & ~np.isnan(d_) & ~np.isnan(fixed).any(axis=1)
            if m.sum() < 30 or len(np.unique(y[m])) < 2 or np.std(d_[m]) < 1e-10: continue
            X = np.column_stack([np.ones(m.sum()), s_[m], d_[m], fixed[m]])
            f = sm.OLS(y[m], X).fit()
            f0 = sm.OLS(y[m], np.delete(X, 2, axis=1)).fit()
            out.append([gene, vid, int(m.sum()), f.params[1], f.bse[1], f.params[2], f.bse[2], f.tvalues[2], f.pvalues[2], f.rsquared, f0.aic, f.aic])
print(json.dumps(out))
`;

describeWithTool(hasPythonModules('statsmodels', 'pandas'), 'Debian python3-statsmodels')(
  'segment vs statsmodels',
  () => {
    test('nominal statistics equal statsmodels OLS on the segment-masked data within 1e-8', async () => {
      const out = segment('nominal', ['--mode', 'nominal', '--segmentation', F.segmentation, '--record-aic']);
      const ref = python<[string, string, number, ...number[]][]>(STATSMODELS, [
        F.genotypes,
        F.quantifications,
        F.covariates,
        F.copynumber,
        F.segmentation,
        '1000000',
      ]);
      const names = [
        'beta_s',
        'se_s',
        'beta_d',
        'se_d',
        't_stat_d',
        'nominal_p',
        'r2_alt',
        'aic_null',
        'aic_alt',
      ] as const;
      const { o } = await readColumns(`${out}.segment_nominal.parquet`, [
        'phenotype',
        'variant',
        'number_of_samples',
        ...names,
      ]);
      const key = (g: string, v: string) => `${g} ${v}`;
      const ours = new Map<string, number>();
      (o.phenotype as string[]).forEach((g, i) => ours.set(key(g, (o.variant as string[])[i]), i));
      expect(ours.size).toBe(ref.length);
      expect(ref.length).toBeGreaterThan(3000);
      const worst: Record<string, number> = {};
      for (const [g, v, n, ...vals] of ref) {
        const i = ours.get(key(g, v));
        expect([g, v, i !== undefined]).toEqual([g, v, true]);
        expect((o.number_of_samples as Int32Array)[i!]).toBe(n);
        names.forEach((c, k) => {
          const a = (o[c] as Float64Array)[i!];
          const rel = Math.abs(a - vals[k]) / Math.max(Math.abs(vals[k]), 1e-300);
          worst[c] = Math.max(worst[c] ?? 0, rel);
        });
      }
      console.log(
        `segment vs statsmodels, ${ref.length} pairs, largest relative differences: ${JSON.stringify(worst)}`,
      );
      for (const c of names) expect([c, worst[c] <= 1e-8]).toEqual([c, true]);
    });

    test('the segment filter removes the planted breakpoint artefacts an unsegmented run finds, and keeps the eQTLs', async () => {
      const seg = segment('seg', ['--mode', 'nominal', '--segmentation', F.segmentation]);
      const unseg = segment('unseg', ['--mode', 'nominal', '--no-segment-filter']);
      const threshold = 1e-6;
      const withFilter = await hits(`${seg}.segment_nominal.parquet`, threshold);
      const without = await hits(`${unseg}.segment_nominal.parquet`, threshold);
      const causal = Object.keys(truth.causal);
      const report = (m: Map<string, number>) => ({
        artefacts_found: truth.spurious.filter((g) => m.has(g)),
        eqtls_found: causal.filter((g) => m.has(g)).length,
        other: [...m.keys()].filter((g) => !truth.spurious.includes(g) && !causal.includes(g)),
      });
      const a = report(withFilter);
      const b = report(without);
      console.log(
        `planted: ${truth.spurious.length} breakpoint artefacts, ${causal.length} allele-specific eQTLs; p < ${threshold}: ` +
          `segment filter ${JSON.stringify(a)}; unsegmented ${JSON.stringify(b)}`,
      );
      expect(b.artefacts_found.length).toBeGreaterThanOrEqual(Math.max(2, truth.spurious.length - 1));
      expect(a.artefacts_found).toEqual([]);
      expect(a.eqtls_found).toBeGreaterThanOrEqual(Math.floor(causal.length * 0.5));
      expect(a.eqtls_found).toBe(b.eqtls_found);
      expect(a.other).toEqual([]);
    });

    test('the trans negative control (genes of chr c against variants of c + 1) finds nothing', async () => {
      const nc = segment('negctl', [
        '--mode',
        'nominal',
        '--neg-control',
        '--neg-control-max-variants',
        '150',
      ]);
      const { o } = await readColumns(`${nc}.segment_nominal.parquet`, ['phenotype', 'variant', 'nominal_p']);
      const ph = o.phenotype as string[];
      const va = o.variant as string[];
      // chr1 genes against chr2 variants, chr2 genes against chr3
      ph.forEach((g, i) => expect(va[i].split(':')[0]).toBe(`chr${Number(g.slice(1, 2)) + 1}`));
      const perGene = new Map<string, number>();
      ph.forEach((g) => perGene.set(g, (perGene.get(g) ?? 0) + 1));
      expect(Math.max(...perGene.values())).toBeLessThanOrEqual(150);
      const p = o.nominal_p as Float64Array;
      const bonferroni = 0.05 / p.length;
      expect(p.filter((x) => x < bonferroni).length).toBe(0);
      // roughly uniform: a tenth below 0.1
      const below = p.filter((x) => x < 0.1).length / p.length;
      console.log(`negative control: ${p.length} pairs, fraction p < 0.1 = ${below.toFixed(4)}`);
      expect(Math.abs(below - 0.1)).toBeLessThan(0.03);
    });
  },
);
