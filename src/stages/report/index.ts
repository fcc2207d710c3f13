/**
 * The `report` stage: reads whatever results a run produced (recognised by content, inputs.ts), summarizes
 * them with bounded memory, renders the figures to SVG and writes one self-contained HTML file. The figures
 * follow what QTL papers and cellink's `pl.*` show: Manhattan and QQ (with λ_GC) of the nominal pass, eGene
 * counts and the pval_beta and TSS-distance distributions of the permutation pass, signals per eGene, locus and
 * expression-by-genotype plots for the top eGenes, PIPs, PP.H4, normalization QC and run costs; with a
 * planted truth, recall and false-discovery rate.
 */
import { writeFileSync } from 'node:fs';
import { InputError } from '../../io/errors.js';
import { canonicalChrom } from '../../io/genome.js';
import { readExpressionMatrix } from '../../io/matrix.js';
import type { ExpressionInput } from '../../io/matrix.js';
import { BUNDLED } from '../../runner/bundle.js';
import { VERSION } from '../../version.js';
import { expressionByGenotype } from './expression.js';
import type { GenotypePanel, LeadVariant } from './expression.js';
import { reportHtml } from './html.js';
import type { Block, Section } from './html.js';
import { classifyInputs } from './inputs.js';
import type { ReportInputs, RunSummary } from './inputs.js';
import { scanNominal } from './nominal.js';
import type { NominalScan } from './nominal.js';
import {
  PLOT_CONFIG,
  colocPlot,
  expressionPlot,
  librarySizePlot,
  locusPlot,
  manhattanPlot,
  pipPlot,
  pvalBetaHistogram,
  qqPlot,
  signalsPerGenePlot,
  tssDistanceHistogram,
  varianceExplainedPlot,
} from './plots.js';
import type { PlotSpec } from './plots.js';
import { VariantLocator } from './positions.js';
import type { Locus } from './positions.js';
import { credibleSetRecovery, thinOnGrid, truthRecovery } from './stats.js';
import type { CredibleSetRecovery, PlantedGene, TruthRecovery } from './stats.js';
import { readColocTables, readFineMapping, readIndependentTables, readPermutationTables } from './tables.js';
import type { FineMapping, LeadRow, SignalRow } from './tables.js';
import { readTruth } from './truth.js';

export { classifyInputs } from './inputs.js';
export { chisq1Upper, genomicInflation, truthRecovery, credibleSetRecovery, PValueSketch } from './stats.js';

export interface ReportOptions {
  /** Result files and folders. */
  inputs: string[];
  /** The HTML file. */
  out: string;
  /** Paths never read as inputs (the stage's own outputs). */
  exclude?: string[];
  genotypes?: string;
  phenotypes?: string;
  truth?: string;
  /** eGene FDR (default: the cis run's, else 0.05). */
  fdr?: number;
  /** eGenes with locus, expression and PIP plots. */
  topLoci: number;
  /** Marks of the Manhattan plot. */
  maxPoints: number;
  title?: string;
}

/** What the stage needs from its runner: a log and atomic output paths (src/cli/framework.ts StageContext). */
export interface ReportContext {
  log: { info(msg: string): void; warn(msg: string): void };
  outputs: { claim(path: string): string };
}

const RENDER_URL = BUNDLED
  ? new URL('./report-render.mjs', import.meta.url)
  : new URL('./render.js', import.meta.url);
type RenderModule = typeof import('./render.js');

/** QQ marks: the exact tail plus the histogram bins, thinned in plot space. */
const QQ_POINTS = 2500;
/** A locus plot draws every pair up to this many, thinned beyond. */
const LOCUS_POINTS = 3000;
/** Loci in the PP.H4 chart. */
const COLOC_BARS = 40;

const fmt = (x: number | null | undefined, digits = 3): string =>
  x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(digits);
const sci = (x: number): string => (Number.isNaN(x) ? '–' : x === 0 ? '0' : x.toExponential(2));
const pct = (x: number | null | undefined): string =>
  x === null || x === undefined ? '–' : `${(100 * x).toFixed(1)}%`;

interface TopGene {
  phenotypeId: string;
  variantId: string;
  startDistance?: number;
  pvalNominal: number;
  pvalBeta?: number;
  qval?: number;
  threshold?: number;
}

function stageSummaries(inputs: ReportInputs, ...stages: string[]): RunSummary[] {
  return inputs.summaries.filter((s) => stages.includes(s.summary.stage)).map((s) => s.summary);
}

function numberAt(obj: unknown, ...path: string[]): number | undefined {
  let v: unknown = obj;
  for (const k of path)
    v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** The key figures of a run summary, by stage (a generic fallback for stages this report does not know). */
export function keyFigures(s: RunSummary): string {
  const n = (...p: string[]) => numberAt(s, ...p);
  const parts: string[] = [];
  const add = (v: number | undefined, text: (v: number) => string) => {
    if (v !== undefined) parts.push(text(v));
  };
  switch (s.stage) {
    case 'import':
      add(n('variants'), (v) => `${v} variants`);
      add(n('samples'), (v) => `${v} samples`);
      break;
    case 'normalize':
      add(n('genes', 'written'), (v) => `${v} genes written`);
      add(n('samples'), (v) => `${v} samples`);
      if (Array.isArray((s.sample_qc as { outliers?: unknown[] } | undefined)?.outliers))
        parts.push(`${(s.sample_qc as { outliers: unknown[] }).outliers.length} QC outliers`);
      break;
    case 'cis':
    case 'cis-merge':
      if (typeof s.params?.mode === 'string') parts.push(`--mode ${s.params.mode}`);
      else if (typeof s.mode === 'string') parts.push(`--mode ${s.mode}`);
      add(n('phenotypes', 'tested') ?? n('tested'), (v) => `${v} phenotypes tested`);
      add(n('pairs') ?? n('nominal', 'pairs'), (v) => `${v} pairs`);
      add(n('permutation', 'significant'), (v) => `${v} eGenes`);
      add(n('permutation', 'pi0'), (v) => `π0 ${v.toFixed(3)}`);
      add(n('independent', 'signals'), (v) => `${v} independent signals`);
      break;
    case 'report':
      add(n('lambda_gc'), (v) => `λ_GC ${v.toFixed(3)}`);
      add(n('egenes'), (v) => `${v} eGenes`);
      break;
    case 'factors':
      if (Array.isArray(s.variance_explained)) parts.push(`${s.variance_explained.length} factors`);
      break;
  }
  if (parts.length === 0)
    for (const [k, v] of Object.entries(s))
      if (typeof v === 'number' && !['elapsed_seconds', 'peak_rss_mb'].includes(k) && parts.length < 4)
        parts.push(`${k} ${v}`);
  return parts.join(', ');
}

function phenotypeTss(p: ExpressionInput | undefined): Map<string, Locus> | undefined {
  if (!p?.chr || !p.start) return undefined;
  // cis: start_distance = POS − TSS with TSS = BED start + 1
  return new Map(
    p.phenotypeId.map((id, i) => [id, { chr: canonicalChrom(p.chr![i]), pos: p.start![i] + 1 }]),
  );
}

export async function buildReport(o: ReportOptions, ctx: ReportContext): Promise<Record<string, unknown>> {
  const { log } = ctx;
  const inputs = await classifyInputs(o.inputs, o.exclude);
  for (const s of inputs.skipped) log.warn(`passed over ${s.file}: ${s.reason}`);
  if (inputs.files.length === 0)
    throw new InputError('no result file to report on', {
      expected: 'cis tables, SuSiE or coloc tables, run summaries or a normalize report (files or folders)',
      hint: 'Pass the files (or the results folder) as arguments: qtlflow report --out report.html results/',
    });
  log.info(
    `${inputs.files.length} inputs: ${Object.entries(
      inputs.files.reduce<Record<string, number>>((m, f) => ((m[f.kind] = (m[f.kind] ?? 0) + 1), m), {}),
    )
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}`,
  );

  const truth = o.truth ? await readTruth(o.truth) : undefined;
  const nullGenes = truth
    ? new Set(truth.filter((g) => g.causal.length === 0).map((g) => g.phenotypeId))
    : undefined;
  const phenotypes = o.phenotypes
    ? await readExpressionMatrix(o.phenotypes, undefined, undefined, true)
    : undefined;
  if (phenotypes && !phenotypes.chr)
    log.warn(`${o.phenotypes} has no positions: variants are placed by their IDs or the genotypes only`);
  const tss = phenotypeTss(phenotypes);
  const locator = new VariantLocator(tss, o.genotypes);

  // permutation pass: eGenes at the FDR
  const cisRuns = stageSummaries(inputs, 'cis', 'cis-merge');
  const perm = inputs.tables.cis_permutation.length
    ? await readPermutationTables(inputs.tables.cis_permutation)
    : undefined;
  const fdr =
    o.fdr ??
    cisRuns.map((s) => numberAt(s, 'permutation', 'fdr')).find((x) => x !== undefined) ??
    (typeof perm?.params?.fdr === 'number' ? perm.params.fdr : undefined) ??
    0.05;
  const hasQ = perm !== undefined && perm.rows.some((r) => !Number.isNaN(r.qval));
  const eGenes = perm && hasQ ? perm.rows.filter((r) => r.qval <= fdr) : [];
  const byStrength = (a: LeadRow, b: LeadRow) => a.pvalBeta - b.pvalBeta || a.pvalNominal - b.pvalNominal;
  const leadsFromPerm = perm
    ? (eGenes.length ? [...eGenes] : [...perm.rows].filter((r) => !Number.isNaN(r.pvalBeta)))
        .sort(byStrength)
        .slice(0, o.topLoci)
    : undefined;

  // nominal pass
  let nominal: NominalScan | undefined;
  if (inputs.tables.cis_nominal.length) {
    log.info(`reading ${inputs.tables.cis_nominal.length} nominal table(s)`);
    nominal = await scanNominal(inputs.tables.cis_nominal, {
      locator,
      maxPoints: o.maxPoints,
      locusPoints: LOCUS_POINTS,
      nullGenes,
      chooseLoci: (geneMin) =>
        leadsFromPerm
          ? leadsFromPerm.map((r) => r.phenotypeId)
          : [...geneMin.entries()]
              .sort((a, b) => a[1].p - b[1].p)
              .slice(0, o.topLoci)
              .map(([id]) => id),
    });
    log.info(`${nominal.pairs} pairs; λ_GC ${fmt(nominal.lambda)}`);
  }

  const topGenes: TopGene[] = leadsFromPerm
    ? leadsFromPerm.map((r) => ({
        phenotypeId: r.phenotypeId,
        variantId: r.variantId,
        startDistance: r.startDistance,
        pvalNominal: r.pvalNominal,
        pvalBeta: r.pvalBeta,
        qval: r.qval,
        threshold: r.pvalNominalThreshold,
      }))
    : nominal
      ? [...nominal.loci.keys()]
          .map((id) => ({ phenotypeId: id, ...nominal!.geneMin.get(id)! }))
          .sort((a, b) => a.p - b.p)
          .map((g) => ({ phenotypeId: g.phenotypeId, variantId: g.variantId, pvalNominal: g.p }))
      : [];

  const signals = inputs.tables.cis_independent.length
    ? await readIndependentTables(inputs.tables.cis_independent)
    : undefined;

  // where the top genes' lead variants are
  const leadLocus = async (g: TopGene): Promise<Locus | undefined> => {
    let l = locator.place(g.phenotypeId, g.variantId, g.startDistance);
    if (!l && locator.canUseGenotypes) {
      await locator.loadGenotypeIds();
      l = locator.place(undefined, g.variantId);
    }
    if (!l) {
      const locus = nominal?.loci.get(g.phenotypeId);
      const pt = locus?.points.find((p) => p.variantId === g.variantId);
      if (locus && pt) l = { chr: locus.chr, pos: pt.pos };
    }
    return l;
  };
  const leads: LeadVariant[] = [];
  for (const g of topGenes) {
    const locus = await leadLocus(g);
    if (locus) leads.push({ phenotypeId: g.phenotypeId, variantId: g.variantId, locus });
  }
  let panels: GenotypePanel[] = [];
  let panelsMissing: LeadVariant[] = [];
  if (o.genotypes && phenotypes && leads.length) {
    const r = await expressionByGenotype(o.genotypes, phenotypes, leads);
    panels = r.panels;
    panelsMissing = r.notFound;
    for (const l of r.notFound)
      log.warn(`lead variant ${l.variantId} of ${l.phenotypeId} not found in ${o.genotypes}`);
  }

  // fine-mapping and colocalization
  let fine: FineMapping | undefined;
  if (inputs.tables.susie_pip.length || inputs.tables.susie_cs.length) {
    const topIds = topGenes.map((g) => g.phenotypeId);
    fine = await readFineMapping(inputs.tables.susie_pip, inputs.tables.susie_cs, (loci) => {
      const chosen = topIds.filter((id) => loci.has(id));
      const rest = [...loci.entries()]
        .filter(([id]) => !chosen.includes(id))
        .sort((a, b) => b[1].maxPip - a[1].maxPip || (a[0] < b[0] ? -1 : 1))
        .map(([id]) => id);
      return [...chosen, ...rest].slice(0, o.topLoci);
    });
  }
  const coloc = inputs.tables.coloc.length ? await readColocTables(inputs.tables.coloc) : undefined;

  // truth
  let recovery: TruthRecovery | undefined;
  let csRecovery: CredibleSetRecovery | undefined;
  if (truth && perm && hasQ)
    recovery = truthRecovery(
      truth,
      new Set(perm.rows.map((r) => r.phenotypeId)),
      new Set(eGenes.map((r) => r.phenotypeId)),
    );
  if (truth && fine)
    csRecovery = credibleSetRecovery(truth, new Set(fine.loci.keys()), (p, v) =>
      fine!.inCredibleSet.has(`${p}\t${v}`),
    );

  // figures and sections
  const sections: Section[] = [];
  const plots: PlotSpec[] = [];
  const plot = (p: PlotSpec): Block => {
    plots.push(p);
    return { type: 'plot', plot: p, svg: '' };
  };

  const headline: { label: string; value: string; detail?: string }[] = [];
  if (nominal)
    headline.push({
      label: 'λ_GC (all nominal pairs)',
      value: fmt(nominal.lambda),
      detail: `${nominal.pairs} pairs`,
    });
  if (nominal?.lambdaNull !== undefined)
    headline.push({
      label: 'λ_GC (planted-null genes)',
      value: fmt(nominal.lambdaNull),
      detail: `${nominal.nullPairs} pairs`,
    });
  if (perm)
    headline.push({
      label: `eGenes at FDR ${fdr}`,
      value: hasQ ? String(eGenes.length) : '–',
      detail: `of ${perm.rows.length} phenotypes`,
    });
  if (signals) headline.push({ label: 'independent signals', value: String(signals.length) });
  if (recovery) {
    headline.push({
      label: 'recall of planted eGenes',
      value: pct(recovery.recall),
      detail: `${recovery.planted_discovered} of ${recovery.planted_tested}`,
    });
    headline.push({
      label: 'false-discovery rate (planted nulls)',
      value: pct(recovery.false_discovery_rate),
      detail: `${recovery.null_discovered} of ${recovery.planted_discovered + recovery.null_discovered} discoveries`,
    });
  }
  if (csRecovery)
    headline.push({
      label: 'causal variants in a credible set',
      value: pct(csRecovery.share_in_cs),
      detail: `${csRecovery.causal_in_cs} of ${csRecovery.causal_finemapped}`,
    });
  if (headline.length)
    sections.push({ id: 'summary', title: 'Summary', blocks: [{ type: 'figures', items: headline }] });

  if (truth) {
    const blocks: Block[] = [];
    if (recovery) {
      blocks.push({
        type: 'table',
        head: ['', 'planted eGenes', 'planted-null genes'],
        rows: [
          ['in the truth table', recovery.planted, recovery.null_genes],
          ['tested', recovery.planted_tested, recovery.null_tested],
          [`discovered at FDR ${fdr}`, recovery.planted_discovered, recovery.null_discovered],
        ],
      });
      blocks.push({
        type: 'figures',
        items: [
          { label: 'recall (discovered / tested planted)', value: pct(recovery.recall) },
          {
            label: 'false-discovery rate (null discoveries / all)',
            value: pct(recovery.false_discovery_rate),
          },
          { label: 'discoveries not in the truth', value: String(recovery.discoveries_not_in_truth) },
        ],
      });
      if (recovery.planted_missed.length)
        blocks.push({
          type: 'note',
          text: `Planted eGenes not discovered: ${recovery.planted_missed.slice(0, 30).join(', ')}${recovery.planted_missed.length > 30 ? ', …' : ''}`,
        });
    } else
      blocks.push({
        type: 'note',
        text: 'Recall and false-discovery rate need a permutation table with q-values (cis --mode permute, or cis-merge over the chunks).',
      });
    if (csRecovery)
      blocks.push({
        type: 'figures',
        items: [
          {
            label: 'planted causal variants in a credible set of their gene',
            value: pct(csRecovery.share_in_cs),
            detail: `${csRecovery.causal_in_cs} of ${csRecovery.causal_finemapped} (${csRecovery.genes_finemapped} fine-mapped planted genes)`,
          },
        ],
      });
    sections.push({
      id: 'truth',
      title: 'Recovery of the planted truth',
      intro: `Truth table ${o.truth}: ${truth.length} genes.`,
      blocks,
    });
  }

  if (nominal) {
    const blocks: Block[] = [];
    if (nominal.pairs === 0)
      blocks.push({
        type: 'note',
        text: `The nominal table${nominal.files.length > 1 ? 's have' : ' has'} no tested pairs: no Manhattan or QQ plot.`,
      });
    else {
      if (nominal.manhattan.length)
        blocks.push(
          plot(
            manhattanPlot(
              nominal.manhattan,
              `${nominal.pairs} phenotype–variant pairs; ${nominal.manhattan.length} points drawn (pairs with p < 1e-3 on a fine grid, the rest thinned)${nominal.unplaced ? `; ${nominal.unplaced} pairs without a known position left out` : ''}.`,
            ),
          ),
        );
      else
        blocks.push({
          type: 'note',
          text: 'No variant position is known: give --phenotypes (TSS + start_distance) or --genotypes, or use position-style variant IDs, for the Manhattan plot.',
        });
      const qq = thinOnGrid(
        nominal.sketch.qqPoints(),
        (p) => p.expected,
        (p) => p.observed,
        QQ_POINTS,
      );
      blocks.push({
        type: 'row',
        blocks: [
          plot(
            qqPlot(
              qq,
              nominal.lambda,
              `λ_GC = median χ² / 0.4549 over all ${nominal.pairs} pairs (median p ${fmt(nominal.medianP, 4)}); pairs in LD with real signals inflate it.`,
            ),
          ),
          {
            type: 'figures',
            items: [
              { label: 'λ_GC', value: fmt(nominal.lambda) },
              ...(nominal.lambdaNull !== undefined
                ? [{ label: 'λ_GC, planted-null genes', value: fmt(nominal.lambdaNull) }]
                : []),
              { label: 'pairs', value: String(nominal.pairs) },
              { label: 'phenotypes', value: String(nominal.geneMin.size) },
            ],
          },
        ],
      });
      if (nominal.emptyFiles.length)
        blocks.push({ type: 'note', text: `Empty nominal tables: ${nominal.emptyFiles.join(', ')}` });
    }
    sections.push({ id: 'nominal', title: 'Nominal associations', blocks });
  }

  if (perm) {
    const blocks: Block[] = [];
    if (perm.rows.length === 0) blocks.push({ type: 'note', text: 'The permutation table has no rows.' });
    else {
      if (!hasQ)
        blocks.push({
          type: 'note',
          text: 'The permutation table has no q-values (one --chunk of a run): join the chunks with cis-merge for eGene counts.',
        });
      const window =
        typeof perm.params?.window === 'number'
          ? perm.params.window
          : Math.max(1, ...perm.rows.map((r) => Math.abs(r.startDistance)));
      const distRows = eGenes.length ? eGenes : perm.rows;
      blocks.push({
        type: 'figures',
        items: [
          { label: `eGenes at FDR ${fdr}`, value: hasQ ? String(eGenes.length) : '–' },
          { label: 'phenotypes tested', value: String(perm.rows.length) },
          ...(cisRuns.map((s) => numberAt(s, 'permutation', 'pi0')).find((x) => x !== undefined) !== undefined
            ? [
                {
                  label: 'π0',
                  value: fmt(
                    cisRuns.map((s) => numberAt(s, 'permutation', 'pi0')).find((x) => x !== undefined),
                  ),
                },
              ]
            : []),
        ],
      });
      blocks.push({
        type: 'row',
        blocks: [
          plot(pvalBetaHistogram(Float64Array.from(perm.rows, (r) => r.pvalBeta))),
          plot(
            tssDistanceHistogram(
              Int32Array.from(distRows, (r) => r.startDistance),
              window,
              eGenes.length ? `${eGenes.length} eGenes` : 'all phenotypes',
            ),
          ),
        ],
      });
      const top = [...(eGenes.length ? eGenes : perm.rows)].sort(byStrength).slice(0, 20);
      blocks.push({
        type: 'table',
        caption: eGenes.length
          ? `Top ${top.length} eGenes`
          : 'Phenotypes with the smallest pval_beta (no eGene at this FDR)',
        head: ['phenotype', 'lead variant', 'distance to TSS', 'slope', 'pval_nominal', 'pval_beta', 'qval'],
        rows: top.map((r) => [
          r.phenotypeId,
          r.variantId,
          r.startDistance,
          Number(r.slope.toFixed(4)),
          sci(r.pvalNominal),
          sci(r.pvalBeta),
          sci(r.qval),
        ]),
      });
    }
    sections.push({ id: 'egenes', title: 'eGenes (permutation pass)', blocks });
  }

  if (signals) {
    const perGene = new Map<string, number>();
    for (const s of signals) perGene.set(s.phenotypeId, (perGene.get(s.phenotypeId) ?? 0) + 1);
    const blocks: Block[] = signals.length
      ? [
          {
            type: 'row',
            blocks: [
              plot(signalsPerGenePlot(perGene)),
              {
                type: 'figures',
                items: [
                  { label: 'signals', value: String(signals.length) },
                  { label: 'eGenes with signals', value: String(perGene.size) },
                  {
                    label: 'eGenes with several',
                    value: String([...perGene.values()].filter((c) => c > 1).length),
                  },
                ],
              },
            ],
          },
        ]
      : [{ type: 'note', text: 'The independent table has no signals.' }];
    sections.push({ id: 'independent', title: 'Conditionally independent signals', blocks });
  }

  if (topGenes.length && (nominal || panels.length)) {
    const bySignal = new Map<string, SignalRow[]>();
    for (const s of signals ?? []) bySignal.set(s.phenotypeId, [...(bySignal.get(s.phenotypeId) ?? []), s]);
    const blocks: Block[] = [];
    for (const g of topGenes) {
      const row: Block[] = [];
      const locus = nominal?.loci.get(g.phenotypeId);
      if (locus && locus.points.length)
        row.push(
          plot(
            locusPlot(g.phenotypeId, locus.chr, locus.points, {
              lead: g.variantId,
              signals: new Set((bySignal.get(g.phenotypeId) ?? []).map((s) => s.variantId)),
              tss: tss?.get(g.phenotypeId)?.pos,
              threshold: g.threshold,
              pairs: locus.pairs,
            }),
          ),
        );
      const panel = panels.find((p) => p.phenotypeId === g.phenotypeId);
      if (panel)
        row.push(plot(expressionPlot(g.phenotypeId, panel.variantId, panel.ref, panel.alt, panel.points)));
      if (row.length) blocks.push({ type: 'row', blocks: row });
    }
    if (!o.genotypes || !phenotypes)
      blocks.push({ type: 'note', text: 'Expression-by-genotype plots need --genotypes and --phenotypes.' });
    if (panelsMissing.length)
      blocks.push({
        type: 'note',
        text: `Lead variants not found in the genotypes: ${panelsMissing.map((l) => `${l.variantId} (${l.phenotypeId})`).join(', ')}`,
      });
    sections.push({
      id: 'loci',
      title:
        leadsFromPerm && eGenes.length
          ? `Top ${topGenes.length} eGenes`
          : `Top ${topGenes.length} phenotypes`,
      intro:
        leadsFromPerm && !eGenes.length
          ? 'No eGene at this FDR: the phenotypes with the smallest pval_beta.'
          : undefined,
      blocks,
    });
  }

  if (fine) {
    const blocks: Block[] = [];
    for (const [id, rows] of fine.rows) {
      // positions: IDs, the genotypes, or this gene's nominal rows; otherwise the table order
      const locusPts = new Map((nominal?.loci.get(id)?.points ?? []).map((p) => [p.variantId, p.pos]));
      const locusChr = nominal?.loci.get(id)?.chr;
      const placeRow = (v: string): Locus | undefined => {
        const l = locator.place(undefined, v);
        if (l) return l;
        const pos = locusPts.get(v);
        return pos !== undefined && locusChr !== undefined ? { chr: locusChr, pos } : undefined;
      };
      let placed = rows.map((r) => placeRow(r.variantId));
      if (placed.some((x) => x === undefined) && locator.canUseGenotypes) {
        await locator.loadGenotypeIds();
        placed = rows.map((r) => placeRow(r.variantId));
      }
      const chroms = new Set(placed.map((l) => l?.chr));
      const byPos = placed.every((x) => x !== undefined) && chroms.size === 1;
      blocks.push(
        plot(
          pipPlot(
            id,
            rows.map((r, i) => ({
              pip: r.pip,
              csId: r.csId,
              x: byPos ? Number((placed[i]!.pos / 1e6).toFixed(6)) : i + 1,
            })),
            byPos ? `chr${[...chroms][0]} position (Mb)` : 'variant (table order)',
          ),
        ),
      );
    }
    const nSets =
      [...fine.loci.values()].reduce((s, l) => s + l.credibleSets.size, 0) || fine.credibleSets.length;
    blocks.unshift({
      type: 'figures',
      items: [
        {
          label: 'fine-mapped loci',
          value: String(fine.loci.size || new Set(fine.credibleSets.map((c) => c.phenotypeId)).size),
        },
        { label: 'credible sets', value: String(nSets) },
      ],
    });
    if (fine.credibleSets.length)
      blocks.push({
        type: 'table',
        caption: 'Credible sets',
        head: ['phenotype', 'CS', 'variants', 'coverage', 'min |r|'],
        rows: fine.credibleSets
          .slice(0, 50)
          .map((c) => [c.phenotypeId, c.csId, c.variants.length, fmt(c.coverage), fmt(c.minAbsCorr)]),
      });
    sections.push({ id: 'finemap', title: 'Fine-mapping (SuSiE)', blocks: [{ type: 'row', blocks }] });
  }

  if (coloc) {
    const sorted = [...coloc].sort((a, b) => b.pp[4] - a.pp[4]);
    const blocks: Block[] = sorted.length
      ? [
          {
            type: 'row',
            blocks: [
              plot(
                colocPlot(
                  sorted.slice(0, COLOC_BARS).map((r) => ({ locusId: r.locusId, pp4: r.pp[4] })),
                  sorted.length,
                ),
              ),
              {
                type: 'figures',
                items: [
                  { label: 'loci', value: String(sorted.length) },
                  { label: 'PP.H4 > 0.8', value: String(sorted.filter((r) => r.pp[4] > 0.8).length) },
                ],
              },
            ],
          },
        ]
      : [{ type: 'note', text: 'The coloc table has no loci.' }];
    sections.push({ id: 'coloc', title: 'Colocalization', blocks });
  }

  for (const [i, { file, report }] of inputs.normalizeReports.entries()) {
    const flagged = new Set((report.sample_qc?.outliers ?? []).map((x) => x.sample));
    const blocks: Block[] = [
      {
        type: 'figures',
        items: [
          { label: 'samples', value: String(report.samples.length) },
          ...(report.genes?.written !== undefined
            ? [{ label: 'genes written', value: String(report.genes.written) }]
            : []),
          ...(report.reference_sample
            ? [{ label: 'TMM reference sample', value: report.reference_sample }]
            : []),
          { label: 'sample-QC outliers', value: String(flagged.size) },
        ],
      },
    ];
    const row: Block[] = [
      plot({
        ...librarySizePlot(report.samples.map((s) => ({ ...s, outlier: flagged.has(s.sample) }))),
        id: `library-sizes-${i + 1}`,
      }),
    ];
    const ve = report.sample_qc?.variance_explained ?? [];
    if (ve.length)
      row.push(
        plot({
          ...varianceExplainedPlot('qc-pcs', 'Sample QC: expression PCs', ve, 'PC'),
          id: `qc-pcs-${i + 1}`,
        }),
      );
    blocks.push({ type: 'row', blocks: row });
    if (report.sample_qc?.skipped)
      blocks.push({ type: 'note', text: `Sample QC skipped: ${report.sample_qc.skipped}` });
    if (flagged.size)
      blocks.push({
        type: 'table',
        caption: `Samples more than ${report.sample_qc!.sd_threshold} SD out on an expression PC${report.sample_qc!.dropped ? ' (dropped)' : ''}`,
        head: ['sample', 'max |z|'],
        rows: report.sample_qc!.outliers.map((x) => [x.sample, Number(x.max_abs_z.toFixed(2))]),
      });
    sections.push({ id: `normalize-${i + 1}`, title: 'Normalization', intro: file, blocks });
  }

  const factorRuns = inputs.summaries.filter(
    (s) => s.summary.stage === 'factors' && Array.isArray(s.summary.variance_explained),
  );
  for (const [i, { file, summary }] of factorRuns.entries()) {
    const ve = (summary.variance_explained as unknown[]).map(Number);
    if (ve.some((v) => !(v >= 0 && v <= 1)))
      throw new InputError('variance_explained must hold fractions between 0 and 1', {
        file,
        column: 'variance_explained',
      });
    sections.push({
      id: `factors-${i + 1}`,
      title: 'Hidden factors',
      intro: file,
      blocks: [
        plot({
          ...varianceExplainedPlot('factors', 'Variance explained per factor', ve, 'F'),
          id: `factor-variance-${i + 1}`,
        }),
      ],
    });
  }

  if (inputs.summaries.length) {
    sections.push({
      id: 'runs',
      title: 'Runs',
      blocks: [
        {
          type: 'table',
          head: ['stage', 'summary', 'elapsed (s)', 'peak RSS (MB)', 'key figures'],
          rows: inputs.summaries.map(({ file, summary: s }) => [
            s.stage,
            file,
            numberAt(s, 'elapsed_seconds') ?? null,
            numberAt(s, 'peak_rss_mb') ?? null,
            keyFigures(s),
          ]),
        },
      ],
    });
  }
  sections.push({
    id: 'inputs',
    title: 'Inputs',
    blocks: [
      {
        type: 'table',
        head: ['file', 'recognised as'],
        rows: [
          ...inputs.files.map((f) => [
            f.file,
            f.kind === 'run_summary' ? `run summary (${f.detail})` : f.detail,
          ]),
          ...(o.phenotypes ? [[o.phenotypes, '--phenotypes']] : []),
          ...(o.genotypes ? [[o.genotypes, '--genotypes']] : []),
          ...(o.truth ? [[o.truth, '--truth']] : []),
          ...inputs.skipped.map((s) => [s.file, `passed over: ${s.reason}`]),
        ],
      },
    ],
  });

  // render every figure
  const { renderSvg } = (await import(RENDER_URL.href)) as RenderModule;
  const svgs = new Map<string, string>();
  for (const p of plots) {
    const r = await renderSvg(p.spec, PLOT_CONFIG);
    for (const w of r.warnings) log.warn(`figure ${p.id}: ${w}`);
    svgs.set(p.id, r.svg);
  }
  const fill = (b: Block): void => {
    if (b.type === 'plot') b.svg = svgs.get(b.plot.id)!;
    if (b.type === 'row') b.blocks.forEach(fill);
  };
  sections.forEach((s) => s.blocks.forEach(fill));
  const ids = [...sections.map((s) => s.id), ...plots.map((p) => p.id)];
  if (new Set(ids).size !== ids.length) throw new Error(`duplicate element ids: ${ids.join(', ')}`);

  const html = reportHtml(
    o.title ?? 'qtlflow report',
    `${inputs.files.length} result files${o.truth ? ', with a planted truth' : ''}`,
    sections,
    `Written by qtlflow ${VERSION} on ${new Date().toISOString().slice(0, 10)}. Self-contained: figures are inline SVG rendered with Vega-Lite.`,
  );
  writeFileSync(ctx.outputs.claim(o.out), html);
  log.info(`${plots.length} figures, ${(html.length / 1024).toFixed(0)} KiB`);

  const perGeneSignals = new Map<string, number>();
  for (const s of signals ?? [])
    perGeneSignals.set(s.phenotypeId, (perGeneSignals.get(s.phenotypeId) ?? 0) + 1);
  return {
    html: o.out,
    html_bytes: Buffer.byteLength(html),
    fdr,
    lambda_gc: nominal && nominal.pairs ? nominal.lambda : null,
    lambda_gc_null_genes: nominal?.lambdaNull ?? null,
    egenes: perm && hasQ ? eGenes.length : null,
    recall: recovery?.recall ?? null,
    false_discovery_rate: recovery?.false_discovery_rate ?? null,
    causal_in_credible_set: csRecovery?.share_in_cs ?? null,
    inputs: inputs.files,
    passed_over: inputs.skipped,
    nominal: nominal
      ? {
          files: nominal.files,
          empty_files: nominal.emptyFiles,
          pairs: nominal.pairs,
          median_p: nominal.pairs ? nominal.medianP : null,
          lambda_gc: nominal.pairs ? nominal.lambda : null,
          null_gene_pairs: nominal.nullPairs ?? null,
          lambda_gc_null_genes: nominal.lambdaNull ?? null,
          manhattan_points: nominal.manhattan.length,
          unplaced_pairs: nominal.unplaced,
          placed_by: nominal.placedBy,
        }
      : null,
    permutation: perm
      ? { phenotypes: perm.rows.length, egenes: hasQ ? eGenes.length : null, has_qvalues: hasQ }
      : null,
    independent: signals
      ? {
          signals: signals.length,
          egenes_with_signals: perGeneSignals.size,
          egenes_with_several: [...perGeneSignals.values()].filter((c) => c > 1).length,
        }
      : null,
    top_loci: topGenes.map((g) => g.phenotypeId),
    expression_panels: panels.length,
    finemap: fine
      ? { loci: fine.loci.size, credible_sets: fine.credibleSets.length, plotted: [...fine.rows.keys()] }
      : null,
    coloc: coloc ? { loci: coloc.length, pp_h4_above_0_8: coloc.filter((r) => r.pp[4] > 0.8).length } : null,
    truth: truth
      ? { file: o.truth, genes: truth.length, ...(recovery ?? {}), credible_sets: csRecovery ?? null }
      : null,
    figures: plots.map((p) => ({ id: p.id, kind: p.kind, marks: p.marks })),
  };
}

export type { PlantedGene };
