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
import type { Block } from './html.js';
import { classifyInputs } from './inputs.js';
import { scanNominal } from './nominal.js';
import type { NominalScan } from './nominal.js';
import { PLOT_CONFIG } from './plots.js';
import type { PlotSpec } from './plots.js';
import { VariantLocator } from './positions.js';
import type { Locus } from './positions.js';
import { byStrength, fmt, numberAt, reportSections, stageSummaries } from './sections.js';
import type { ReportData, TopGene } from './sections.js';
import { credibleSetRecovery, truthRecovery } from './stats.js';
import type { CredibleSetRecovery, PlantedGene, TruthRecovery } from './stats.js';
import { readColocTables, readFineMapping, readIndependentTables, readPermutationTables } from './tables.js';
import type { FineMapping } from './tables.js';
import { readTruth } from './truth.js';

export { classifyInputs } from './inputs.js';
export { keyFigures } from './sections.js';
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

/** A locus plot draws every pair up to this many, thinned beyond. */
const LOCUS_POINTS = 3000;

function phenotypeTss(p: ExpressionInput | undefined): Map<string, Locus> | undefined {
  if (!p?.chr || !p.start) return undefined;
  // cis: start_distance = POS − TSS with TSS = BED start + 1
  return new Map(
    p.phenotypeId.map((id, i) => [id, { chr: canonicalChrom(p.chr![i]), pos: p.start![i] + 1 }]),
  );
}

/**
 * x of every PIP row of the plotted loci: the variant's position when all of a locus's variants can be placed
 * (by ID, the genotypes, or that phenotype's nominal rows) on one chromosome, otherwise the table order.
 */
async function pipPositions(
  fine: FineMapping,
  locator: VariantLocator,
  nominal: NominalScan | undefined,
): Promise<Map<string, { x: number[]; title: string }>> {
  const out = new Map<string, { x: number[]; title: string }>();
  for (const [id, rows] of fine.rows) {
    const locus = nominal?.loci.get(id);
    const fromNominal = new Map((locus?.points ?? []).map((p) => [p.variantId, p.pos]));
    const place = (v: string): Locus | undefined => {
      const l = locator.place(undefined, v);
      if (l) return l;
      const pos = fromNominal.get(v);
      return pos !== undefined && locus ? { chr: locus.chr, pos } : undefined;
    };
    let placed = rows.map((r) => place(r.variantId));
    if (placed.some((x) => x === undefined) && locator.canUseGenotypes) {
      await locator.loadGenotypeIds();
      placed = rows.map((r) => place(r.variantId));
    }
    const chroms = new Set(placed.map((l) => l?.chr));
    const byPos = placed.every((x) => x !== undefined) && chroms.size === 1;
    out.set(id, {
      x: placed.map((l, i) => (byPos ? Number((l!.pos / 1e6).toFixed(6)) : i + 1)),
      title: byPos ? `chr${[...chroms][0]} position (Mb)` : 'variant (table order)',
    });
  }
  return out;
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
  const pipX = fine
    ? await pipPositions(fine, locator, nominal)
    : new Map<string, { x: number[]; title: string }>();
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
  const data: ReportData = {
    o,
    inputs,
    fdr,
    truth,
    tss,
    phenotypes,
    cisRuns,
    perm,
    hasQ,
    eGenes,
    leadsFromPerm,
    nominal,
    topGenes,
    signals,
    panels,
    panelsMissing,
    fine,
    pipX,
    coloc,
    recovery,
    csRecovery,
  };
  const plots: PlotSpec[] = [];
  const plot = (p: PlotSpec): Block => {
    plots.push(p);
    return { type: 'plot', plot: p, svg: '' };
  };

  const sections = reportSections(data, plot);

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
