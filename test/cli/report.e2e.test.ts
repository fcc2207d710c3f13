/**
 * `report` end to end: the real `cis` stage on the Geuvadis chr22 reference data (refs/cis_sparse, one region,
 * 100 permutations), a normalize run on a simulated cohort, and SuSiE, coloc and factors outputs written here
 * through the project's Parquet writer; then the report. Checks the figures in the summary against numbers
 * computed here from the same tables, that the HTML needs nothing from the network, and — in headless
 * Chromium — that every figure's SVG is drawn with a nonzero size and the expected number of marks.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { openParquet, toFloat64, toStrings, writeTable } from '../../src/io/parquet.js';
import { COLOC_SUMMARY, SUSIE_CS, SUSIE_PIP } from '../../src/io/results.js';
import type { ResultSpec } from '../../src/io/results.js';
import type { ColumnData } from '../../src/io/parquet.js';
import { cohortBed, simulateCohort } from '../../src/runner/simulate.js';
import { genomicInflation } from '../../src/stages/report/stats.js';
import { runCli, runCliAll, tempDir } from '../helpers/cli.js';
import { sharedPath } from '../helpers/shared.js';
import { describeWithTool } from '../helpers/tools.js';

const CHROMIUM = '/usr/bin/chromium';
const VCF = () => sharedPath('data/geuvadis_chr22/1kg_phase1_chr22_seqarray_geuvadis330.vcf.gz');
const REF = (f: string) => sharedPath('refs/cis_sparse', f);
const REGION = '22:17000000-24000000';
const dir = tempDir('qtlflow-report-');
const res = join(dir, 'results');
const out = join(dir, 'report', 'report.html');

interface Lead {
  id: string;
  variant: string;
  q: number;
  pBeta: number;
  pNominal: number;
}
let leads: Lead[];
let nominal: { gene: string[]; variant: string[]; p: Float64Array };
let summary: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
let html: string;
let truthPlanted: Set<string>;
let pipRows: Map<string, number>;
let causalInCs: { total: number; inCs: number };
let normalizeSamples: number;
let reportStderr: string;
const byStrength = (a: Lead, b: Lead) => a.pBeta - b.pBeta || a.pNominal - b.pNominal;

beforeAll(async () => {
  mkdirSync(res, { recursive: true });
  const common = [
    '--genotypes',
    VCF(),
    '--phenotypes',
    REF('phenotypes.bed.gz'),
    '--covariates',
    REF('covariates.noPHASE1.txt.gz'),
    '--region',
    REGION,
    '--permutations',
    '100',
    '--threads',
    '1',
    '--quiet',
  ];
  // normalize on a simulated cohort (library sizes, TMM factors, a failed library for sample QC)
  const cohort = simulateCohort({ samples: 40, genes: 300, seed: 11 });
  const counts = join(dir, 'counts.bed.gz');
  writeFileSync(counts, gzipSync(cohortBed(cohort)));
  const runs = await runCliAll(
    [
      ['cis', ...common, '--mode', 'nominal', '--out', join(res, 'nominal')],
      ['cis', ...common, '--mode', 'independent', '--out', join(res, 'cis')],
      [
        'normalize',
        '--input',
        counts,
        '--out',
        join(res, 'phenotypes.parquet'),
        '--int',
        '--report',
        join(res, 'normalize.report.json'),
        '--quiet',
      ],
    ],
    2,
  );
  for (const r of runs.slice(0, 2)) expect([r.code, r.stderr]).toEqual([0, '']);
  // the simulated failed library is flagged by normalize's sample QC (and drawn red in the report)
  expect(runs[2].code).toBe(0);
  expect(runs[2].stderr).toMatch(/sample DEMO0007 is .* SD out/);
  normalizeSamples = cohort.samples.length;

  const perm = await openParquet(join(res, 'cis.cis_qtl.parquet'));
  const ids = toStrings(await perm.column('phenotype_id'));
  const variants = toStrings(await perm.column('variant_id'));
  const q = toFloat64(await perm.column('qval'));
  const pb = toFloat64(await perm.column('pval_beta'));
  const pn = toFloat64(await perm.column('pval_nominal'));
  leads = ids.map((id, i) => ({ id, variant: variants[i], q: q[i], pBeta: pb[i], pNominal: pn[i] }));
  const nom = await openParquet(join(res, 'nominal.cis_qtl_pairs.22.parquet'));
  nominal = {
    gene: toStrings(await nom.column('phenotype_id')),
    variant: toStrings(await nom.column('variant_id')),
    p: toFloat64(await nom.column('pval_nominal')),
  };

  // fine-mapping of the two strongest eGenes: lead in CS 1, the runner-up in CS 2 (first gene), the rest in none
  const strongest = [...leads].sort(byStrength).slice(0, 2);
  const pip = { gene: [] as string[], variant: [] as string[], pip: [] as number[], cs: [] as number[] };
  const cs = { gene: [] as string[], cs: [] as number[], variants: [] as string[] };
  pipRows = new Map();
  const runnerUp = new Map<string, string>();
  for (const [k, g] of strongest.entries()) {
    const rows = nominal.gene.map((x, i) => i).filter((i) => nominal.gene[i] === g.id);
    rows.sort((a, b) => nominal.p[a] - nominal.p[b]);
    const second = nominal.variant[rows.find((i) => nominal.variant[i] !== g.variant)!];
    runnerUp.set(g.id, second);
    for (const i of rows) {
      const v = nominal.variant[i];
      const c = v === g.variant ? 1 : k === 0 && v === second ? 2 : 0;
      pip.gene.push(g.id);
      pip.variant.push(v);
      pip.pip.push(c === 1 ? 0.91 : c === 2 ? 0.34 : 0.001);
      pip.cs.push(c);
    }
    pipRows.set(g.id, rows.length);
    cs.gene.push(g.id);
    cs.cs.push(1);
    cs.variants.push(g.variant);
    if (k === 0) {
      cs.gene.push(g.id);
      cs.cs.push(2);
      cs.variants.push(second);
    }
  }
  writeContract(join(res, 'finemap.susie_pip.parquet'), SUSIE_PIP, pip.gene.length, {
    phenotype_id: pip.gene,
    variant_id: pip.variant,
    pip: Float64Array.from(pip.pip),
    cs_id: Int32Array.from(pip.cs),
  });
  writeContract(join(res, 'finemap.susie_cs.parquet'), SUSIE_CS, cs.gene.length, {
    phenotype_id: cs.gene,
    cs_id: Int32Array.from(cs.cs),
    variants: cs.variants,
    lead_variant: cs.variants,
    coverage: Float64Array.from(cs.gene, () => 0.95),
    min_abs_corr: Float64Array.from(cs.gene, () => 0.9),
    mean_abs_corr: Float64Array.from(cs.gene, () => 0.95),
    median_abs_corr: Float64Array.from(cs.gene, () => 0.95),
  });
  const pp4 = [0.92, 0.05, 0.81, 0.4, 0.001];
  const h = (k: number) => Float64Array.from(pp4, (x) => (k === 4 ? x : (1 - x) / 4));
  writeContract(join(res, 'gwas.coloc.parquet'), COLOC_SUMMARY, pp4.length, {
    locus_id: pp4.map((_, i) => `locus${i + 1}`),
    nsnps: Int32Array.from(pp4, () => 500),
    'PP.H0': h(0),
    'PP.H1': h(1),
    'PP.H2': h(2),
    'PP.H3': h(3),
    'PP.H4': h(4),
  });
  writeFileSync(
    join(res, 'factors.summary.json'),
    JSON.stringify({
      stage: 'factors',
      elapsed_seconds: 2.5,
      peak_rss_mb: 120,
      variance_explained: [0.31, 0.12, 0.07, 0.03, 0.02],
    }),
  );

  // truth: every third tested gene planted (with its lead variant causal), the two fine-mapped genes planted
  // (the first also with its runner-up: in CS 2; and a variant in no set), one planted gene never tested
  const sorted = [...leads].sort((a, b) => (a.id < b.id ? -1 : 1));
  truthPlanted = new Set(sorted.filter((_, i) => i % 3 === 0).map((g) => g.id));
  for (const g of strongest) truthPlanted.add(g.id);
  const causal = new Map<string, string[]>(
    sorted.map((g) => [g.id, truthPlanted.has(g.id) ? [g.variant] : []]),
  );
  const outside =
    nominal.variant[
      nominal.gene.findIndex(
        (x, i) =>
          x === strongest[0].id &&
          nominal.variant[i] !== strongest[0].variant &&
          nominal.variant[i] !== runnerUp.get(strongest[0].id),
      )
    ];
  causal.set(strongest[0].id, [strongest[0].variant, runnerUp.get(strongest[0].id)!, outside]);
  // first gene: lead (CS 1) and runner-up (CS 2) in, `outside` not; second gene: its lead (CS 1)
  causalInCs = { total: 4, inCs: 3 };
  const lines = ['phenotype_id\tcausal_variants\teffect_sizes'];
  for (const [id, c] of causal) lines.push(`${id}\t${c.join(',')}\t${c.map(() => '0.8').join(',')}`);
  lines.push('ENSG_NEVER_TESTED\tv1\t0.5');
  writeFileSync(join(dir, 'truth.tsv'), lines.join('\n') + '\n');

  const r = runCli([
    'report',
    '--out',
    out,
    res,
    '--genotypes',
    VCF(),
    '--phenotypes',
    REF('phenotypes.bed.gz'),
    '--truth',
    join(dir, 'truth.tsv'),
    '--quiet',
  ]);
  expect(r.code).toBe(0);
  reportStderr = r.stderr;
  summary = JSON.parse(readFileSync(join(dir, 'report', 'report.summary.json'), 'utf8'));
  html = readFileSync(out, 'utf8');
}, 300_000);

test('a results folder is searched; a stage input found there (phenotypes Parquet) is passed over with a warning', () => {
  const phen = join(res, 'phenotypes.parquet');
  expect(reportStderr.trim().split('\n')).toEqual([
    `[qtlflow report] warn: passed over ${phen}: phenotypes/1 (a stage input)`,
  ]);
  expect(summary.passed_over).toEqual([{ file: phen, reason: 'phenotypes/1 (a stage input)' }]);
  const kinds = summary.inputs.map((f: { kind: string }) => f.kind).sort();
  expect(kinds).toEqual([
    'cis_independent',
    'cis_nominal',
    'cis_permutation',
    'coloc',
    'normalize_report',
    'run_summary',
    'run_summary',
    'run_summary',
    'run_summary',
    'susie_cs',
    'susie_pip',
  ]);
});

test('λ_GC equals median χ² / 0.4549 over every nominal p-value; eGenes are the permutation rows with q ≤ 0.05', () => {
  expect(summary.stage).toBe('report');
  expect(summary.nominal.pairs).toBe(nominal.p.length);
  expect(summary.lambda_gc).toBeCloseTo(genomicInflation(nominal.p), 12);
  expect(summary.egenes).toBe(leads.filter((g) => g.q <= 0.05).length);
  expect(summary.egenes).toBeGreaterThan(5);
  expect(summary.nominal.unplaced_pairs).toBe(0);
  expect(summary.nominal.placed_by.tss).toBe(nominal.p.length); // TSS (--phenotypes) + start_distance
});

test('recall, false-discovery rate and credible-set coverage against the planted truth', () => {
  const tested = new Set(leads.map((g) => g.id));
  const found = new Set(leads.filter((g) => g.q <= 0.05).map((g) => g.id));
  const plantedTested = [...truthPlanted].filter((g) => tested.has(g));
  const recalled = plantedTested.filter((g) => found.has(g)).length;
  const nullFound = [...found].filter((g) => !truthPlanted.has(g)).length;
  expect(summary.truth.planted).toBe(truthPlanted.size + 1);
  expect(summary.truth.planted_tested).toBe(plantedTested.length);
  expect(summary.recall).toBeCloseTo(recalled / plantedTested.length, 15);
  expect(summary.false_discovery_rate).toBeCloseTo(nullFound / Math.max(1, found.size), 15);
  expect(summary.truth.null_discovered).toBe(nullFound);
  expect(summary.causal_in_credible_set).toBeCloseTo(causalInCs.inCs / causalInCs.total, 15);
  // the nominal pairs of null genes get their own λ_GC
  const nullP = nominal.p.filter((_, i) => !truthPlanted.has(nominal.gene[i]));
  expect(summary.lambda_gc_null_genes).toBeCloseTo(genomicInflation(nullP), 12);
});

test('the HTML is self-contained: no scripts, no external stylesheets, fonts or images, no http(s) links', () => {
  expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
  expect(html).not.toMatch(/<script\b/i);
  expect(html).not.toMatch(/<link\b/i);
  expect(html).not.toMatch(/<img\b/i);
  expect(html).not.toMatch(/@import|@font-face/i);
  expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
  expect(html).not.toMatch(/url\(\s*["']?(https?:)?\/\//i);
  expect(statSync(out).size).toBe(summary.html_bytes);
});

describeWithTool(existsSync(CHROMIUM), 'chromium (Debian package chromium)')('in headless Chromium', () => {
  interface Drawn {
    id: string;
    kind: string;
    declared: number;
    drawn: number;
    width: number;
    height: number;
  }
  let drawn: Drawn[];
  let requests: string[];
  const shots = process.env.QTLFLOW_REPORT_SCREENSHOTS ?? join(dir, 'screenshots');

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    const ctx = await chromium.launchPersistentContext(join(tempDir('qtlflow-chromium-'), 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1280, height: 900 },
    });
    try {
      const page = await ctx.newPage();
      requests = [];
      // everything but the file itself is refused (and recorded): the report must not need it
      await page.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith('file:')) return route.continue();
        requests.push(url);
        return route.abort();
      });
      await page.goto(`file://${out}`);
      drawn = await page.$$eval('figure.plot', (figs) =>
        figs.map((f) => {
          const svg = f.querySelector('svg')!;
          const box = svg.getBoundingClientRect();
          const group = svg.querySelector('g.primary_marks');
          return {
            id: f.id,
            kind: f.getAttribute('data-plot')!,
            declared: Number(f.getAttribute('data-marks')),
            drawn: group ? group.children.length : -1,
            width: box.width,
            height: box.height,
          };
        }),
      );
      for (const id of await page.$$eval('section', (s) => s.map((x) => x.id)))
        await page.locator(`#${id}`).screenshot({ path: join(shots, `${id}.png`) });
    } finally {
      await ctx.close();
    }
  }, 120_000);

  test('no request leaves the file', () => {
    expect(requests).toEqual([]);
  });

  test('every figure is drawn with a nonzero size and as many marks as it declares', () => {
    expect(drawn.map((d) => d.id)).toEqual(summary.figures.map((f: { id: string }) => f.id));
    for (const d of drawn) {
      expect([d.id, d.width > 50, d.height > 50]).toEqual([d.id, true, true]);
      expect([d.id, d.drawn]).toEqual([d.id, d.declared]);
      expect([d.id, d.drawn > 0]).toEqual([d.id, true]);
    }
  });

  test('the marks are the expected ones', () => {
    const marks = (id: string) => drawn.find((d) => d.id === id)!.drawn;
    const byKind = (kind: string) => drawn.filter((d) => d.kind === kind);
    expect(marks('pval-beta')).toBe(20); // 20 bins over [0, 1]
    expect(marks('tss-distance')).toBe(40);
    expect(marks('manhattan')).toBeLessThanOrEqual(10000);
    expect(marks('qq')).toBeLessThanOrEqual(2500);
    // locus plots: the six strongest eGenes, each with every tested pair of its window
    const top = leads
      .filter((g) => g.q <= 0.05)
      .sort(byStrength)
      .slice(0, 6);
    expect(byKind('locus').map((d) => d.id)).toEqual(top.map((g) => `locus-${g.id.replace(/\./g, '_')}`));
    for (const g of top)
      expect(marks(`locus-${g.id.replace(/\./g, '_')}`)).toBe(nominal.gene.filter((x) => x === g.id).length);
    // expression by genotype: one point per sample (330, no missing genotypes in these data)
    expect(byKind('expression')).toHaveLength(6);
    for (const d of byKind('expression')) expect(d.drawn).toBe(330);
    for (const [g, n] of pipRows) expect(marks(`pip-${g.replace(/\./g, '_')}`)).toBe(n);
    expect(marks('coloc-pph4')).toBe(5);
    expect(marks('library-sizes-1')).toBe(normalizeSamples);
    expect(marks('factor-variance-1')).toBe(5);
    const signals = new Set(byKind('bars').map((d) => d.id));
    expect(signals.has('signals-per-egene')).toBe(true);
  });

  test('each section was captured in a screenshot', () => {
    for (const id of ['summary', 'nominal', 'egenes', 'loci', 'finemap', 'coloc', 'truth'])
      expect(statSync(join(shots, `${id}.png`)).size).toBeGreaterThan(1000);
  });
});

test('without --phenotypes, variants are placed through the genotype file', () => {
  const o = join(dir, 'geno-only', 'report.html');
  const r = runCli([
    'report',
    '--out',
    o,
    join(res, 'nominal.cis_qtl_pairs.22.parquet'),
    '--genotypes',
    VCF(),
    '--quiet',
  ]);
  expect([r.code, r.stderr]).toEqual([0, '']);
  const s = JSON.parse(readFileSync(join(dir, 'geno-only', 'report.summary.json'), 'utf8'));
  expect(s.nominal.unplaced_pairs).toBe(0);
  expect(s.nominal.placed_by.genotypes).toBeGreaterThan(0);
  // variants without an ID are named chr:pos by cis and placed from the name
  expect(s.nominal.placed_by.id).toBe(nominal.variant.filter((v) => /^22:\d+$/.test(v)).length);
  expect(s.nominal.placed_by.genotypes + s.nominal.placed_by.id).toBe(nominal.p.length);
  expect(s.lambda_gc).toBeCloseTo(summary.lambda_gc, 14);
  expect(readFileSync(o, 'utf8')).toContain('data-plot="manhattan"');
});

/** A result table of `spec` with the columns given; the others filled with neutral values of their type. */
function writeContract(path: string, spec: ResultSpec, n: number, given: Record<string, ColumnData>): void {
  const cols = spec.columns.map((c) => {
    if (given[c.name]) return given[c.name];
    if (c.type === 'string') return Array.from({ length: n }, () => '');
    if (c.type === 'int32') return new Int32Array(n);
    if (c.type === 'bool') return Array.from({ length: n }, () => true);
    return new Float64Array(n).fill(NaN);
  });
  writeTable(path, spec.columns, cols, { schema: spec.schema, params: {} });
}
