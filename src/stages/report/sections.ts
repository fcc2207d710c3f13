/**
 * The report's sections, one function each, from the data the stage gathered (index.ts): which figures,
 * tables and notes each input earns. Figures are registered through `plot` and rendered afterwards.
 */
import { InputError } from '../../io/errors.js';
import type { ExpressionInput } from '../../io/matrix.js';
import type { GenotypePanel, LeadVariant } from './expression.js';
import type { Block, Section } from './html.js';
import type { ReportInputs, RunSummary } from './inputs.js';
import type { NominalScan } from './nominal.js';
import {
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
import type { Locus } from './positions.js';
import { thinOnGrid } from './stats.js';
import type { CredibleSetRecovery, PlantedGene, TruthRecovery } from './stats.js';
import type { ColocRow, FineMapping, LeadRow, PermutationTables, SignalRow } from './tables.js';

/** Everything the sections draw from. */
export interface ReportData {
  o: { truth?: string; genotypes?: string; phenotypes?: string };
  inputs: ReportInputs;
  fdr: number;
  truth?: PlantedGene[];
  tss?: Map<string, Locus>;
  phenotypes?: ExpressionInput;
  cisRuns: RunSummary[];
  perm?: PermutationTables;
  /** The permutation table has q-values (not one chunk of a run). */
  hasQ: boolean;
  eGenes: LeadRow[];
  /** The top eGenes (or strongest phenotypes) from the permutation table. */
  leadsFromPerm?: LeadRow[];
  nominal?: NominalScan;
  topGenes: TopGene[];
  signals?: SignalRow[];
  panels: GenotypePanel[];
  panelsMissing: LeadVariant[];
  fine?: FineMapping;
  /** Per fine-mapped locus plotted: each PIP row's x and the axis title (positions, or the table order). */
  pipX: Map<string, { x: number[]; title: string }>;
  coloc?: ColocRow[];
  recovery?: TruthRecovery;
  csRecovery?: CredibleSetRecovery;
}

export type PlotFn = (p: PlotSpec) => Block;

/** Strongest first: pval_beta, then the lead variant's nominal p. */
export const byStrength = (a: LeadRow, b: LeadRow): number =>
  a.pvalBeta - b.pvalBeta || a.pvalNominal - b.pvalNominal;

/** QQ marks: the exact tail plus the histogram bins, thinned in plot space. */
const QQ_POINTS = 2500;
/** Loci in the PP.H4 chart. */
const COLOC_BARS = 40;

export const fmt = (x: number | null | undefined, digits = 3): string =>
  x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(digits);
const sci = (x: number): string => (Number.isNaN(x) ? '–' : x === 0 ? '0' : x.toExponential(2));
const pct = (x: number | null | undefined): string =>
  x === null || x === undefined ? '–' : `${(100 * x).toFixed(1)}%`;

export interface TopGene {
  phenotypeId: string;
  variantId: string;
  startDistance?: number;
  pvalNominal: number;
  pvalBeta?: number;
  qval?: number;
  threshold?: number;
}

export function stageSummaries(inputs: ReportInputs, ...stages: string[]): RunSummary[] {
  return inputs.summaries.filter((s) => stages.includes(s.summary.stage)).map((s) => s.summary);
}

export function numberAt(obj: unknown, ...path: string[]): number | undefined {
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

function summarySection(d: ReportData): Section[] {
  const { fdr, perm, hasQ, eGenes, nominal, signals, recovery, csRecovery } = d;
  const sections: Section[] = [];
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
  return sections;
}

function truthSection(d: ReportData): Section[] {
  const { o, fdr, truth, recovery, csRecovery } = d;
  const sections: Section[] = [];
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
  return sections;
}

function nominalSection(d: ReportData, plot: PlotFn): Section[] {
  const { nominal } = d;
  const sections: Section[] = [];
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
  return sections;
}

function permutationSection(d: ReportData, plot: PlotFn): Section[] {
  const { fdr, cisRuns, perm, hasQ, eGenes } = d;
  const sections: Section[] = [];
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
  return sections;
}

function independentSection(d: ReportData, plot: PlotFn): Section[] {
  const { signals } = d;
  const sections: Section[] = [];
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
  return sections;
}

function lociSection(d: ReportData, plot: PlotFn): Section[] {
  const {
    o,
    tss,
    phenotypes,
    hasQ,
    eGenes,
    leadsFromPerm,
    nominal,
    topGenes,
    signals,
    panels,
    panelsMissing,
  } = d;
  const sections: Section[] = [];
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
          ? `${hasQ ? 'No eGene at this FDR' : 'No q-values'}: the phenotypes with the smallest pval_beta.`
          : undefined,
      blocks,
    });
  }
  return sections;
}

function finemapSection(d: ReportData, plot: PlotFn): Section[] {
  const { fine, pipX } = d;
  const sections: Section[] = [];
  if (fine) {
    const blocks: Block[] = [];
    for (const [id, rows] of fine.rows) {
      const { x, title } = pipX.get(id)!;
      blocks.push(
        plot(
          pipPlot(
            id,
            rows.map((r, i) => ({ pip: r.pip, csId: r.csId, x: x[i] })),
            title,
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
  return sections;
}

function colocSection(d: ReportData, plot: PlotFn): Section[] {
  const { coloc } = d;
  const sections: Section[] = [];
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
  return sections;
}

function normalizeSections(d: ReportData, plot: PlotFn): Section[] {
  const { inputs } = d;
  const sections: Section[] = [];
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
  return sections;
}

function factorSections(d: ReportData, plot: PlotFn): Section[] {
  const { inputs } = d;
  const sections: Section[] = [];
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
  return sections;
}

function runsSection(d: ReportData): Section[] {
  const { inputs } = d;
  const sections: Section[] = [];
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
  return sections;
}

function inputsSection(d: ReportData): Section[] {
  const { o, inputs } = d;
  const sections: Section[] = [];
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
  return sections;
}

/** Every section, in reading order. */
export function reportSections(d: ReportData, plot: PlotFn): Section[] {
  return [
    ...summarySection(d),
    ...truthSection(d),
    ...nominalSection(d, plot),
    ...permutationSection(d, plot),
    ...independentSection(d, plot),
    ...lociSection(d, plot),
    ...finemapSection(d, plot),
    ...colocSection(d, plot),
    ...normalizeSections(d, plot),
    ...factorSections(d, plot),
    ...runsSection(d),
    ...inputsSection(d),
  ];
}
