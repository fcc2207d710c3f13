/**
 * The report's figures as Vega-Lite specifications (rendered to SVG by render.ts). Every figure names its
 * data-bearing mark `primary`, and `marks` says how many items that mark has, so a reader of the HTML (and
 * the browser test) can check that what was drawn is what was meant. Data are inlined and already reduced
 * (thinned points, pre-binned histograms): the SVG holds only what is visible.
 */
import { compareChrom } from '../../io/genome.js';
import type { LocusPoint, ManhattanPoint } from './nominal.js';

export interface PlotSpec {
  /** Unique within the report (a DOM id). */
  id: string;
  /** Figure type (`manhattan`, `qq`, `locus`, …). */
  kind: string;
  title: string;
  caption?: string;
  /** Vega-Lite specification. */
  spec: Record<string, unknown>;
  /** Items of the mark named `primary`. */
  marks: number;
}

const BLUE = '#3366aa';
const LIGHT = '#9db4d8';
const ORANGE = '#e07b39';
const RED = '#c0392b';
const GREY = '#888888';

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

/** Shared look: system fonts only (nothing to fetch), light grid, left-aligned titles. */
export const PLOT_CONFIG = {
  // no per-item ARIA labels: thousands of points would each carry their field values (a third of the SVG);
  // the figure element carries the title instead (html.ts)
  aria: false,
  font: 'Helvetica, Arial, sans-serif',
  background: 'white',
  view: { stroke: '#dddddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eeeeee', titleFontWeight: 'normal' },
  legend: { labelFontSize: 11, titleFontSize: 11 },
  title: { fontSize: 13, anchor: 'start', fontWeight: 'bold' },
};

/** Slug of an ID for DOM ids. */
export function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]+/g, '_');
}

/** A unit spec whose mark is the figure's data-bearing one (Vega names it `primary_marks`). */
function primary(unit: Record<string, unknown>): Record<string, unknown> {
  return { name: 'primary', ...unit };
}

/** An allele for an axis label: long ones (structural variants) as their first bases and length. */
export function shortAllele(a: string): string {
  return a.length <= 8 ? a : `${a.slice(0, 3)}…(${a.length} bp)`;
}

export function manhattanPlot(points: ManhattanPoint[], caption: string): PlotSpec {
  const chroms = [...new Set(points.map((p) => p.chr))].sort(compareChrom);
  const span = new Map<string, [number, number]>();
  for (const p of points) {
    const s = span.get(p.chr);
    if (!s) span.set(p.chr, [p.pos, p.pos]);
    else {
      s[0] = Math.min(s[0], p.pos);
      s[1] = Math.max(s[1], p.pos);
    }
  }
  const single = chroms.length === 1;
  const total = [...span.values()].reduce((s, [a, b]) => s + (b - a), 0);
  const gap = Math.max(1, total * 0.015);
  const offset = new Map<string, number>();
  const mids: number[] = [];
  let at = 0;
  for (const c of chroms) {
    const [a, b] = span.get(c)!;
    offset.set(c, at - a);
    mids.push(round((at + (b - a) / 2) / 1e6, 4));
    at += b - a + gap;
  }
  const index = new Map(chroms.map((c, i) => [c, i]));
  const values = points.map((p) => ({
    x: round((single ? p.pos : p.pos + offset.get(p.chr)!) / 1e6, 5),
    y: round(p.y, 3),
    k: index.get(p.chr)! % 2,
  }));
  const xs = values.map((v) => v.x);
  const labelExpr = chroms.map((c, i) => `datum.value == ${mids[i]} ? '${c}'`).join(' : ') + " : ''";
  return {
    id: 'manhattan',
    kind: 'manhattan',
    title: 'Manhattan plot of nominal p-values',
    caption,
    marks: values.length,
    spec: {
      width: 900,
      height: 260,
      data: { values },
      ...primary({ mark: { type: 'point', filled: true, size: 12, opacity: 0.85 } }),
      encoding: {
        x: {
          field: 'x',
          type: 'quantitative',
          title: single ? `chr${chroms[0]} position (Mb)` : 'chromosome',
          scale: { domain: [Math.min(...xs), Math.max(...xs)], nice: false, zero: false },
          axis: single ? {} : { values: mids, labelExpr, grid: false },
        },
        y: { field: 'y', type: 'quantitative', title: '−log10 p', scale: { zero: true } },
        color: { field: 'k', type: 'nominal', scale: { range: [BLUE, LIGHT] }, legend: null },
      },
    },
  };
}

export function qqPlot(
  points: { expected: number; observed: number }[],
  lambda: number,
  caption: string,
): PlotSpec {
  const values = points.map((p) => ({ e: round(p.expected, 4), o: round(p.observed, 4) }));
  // y = x up to the largest expected value: the line the points follow under the null
  const max = Math.max(1, ...values.map((v) => v.e));
  return {
    id: 'qq',
    kind: 'qq',
    title: `QQ plot of nominal p-values (λ_GC = ${lambda.toFixed(3)})`,
    caption,
    marks: values.length,
    spec: {
      width: 340,
      height: 340,
      layer: [
        {
          data: {
            values: [
              { e: 0, o: 0 },
              { e: max, o: max },
            ],
          },
          mark: { type: 'line', color: GREY, strokeDash: [4, 3] },
          encoding: { x: { field: 'e', type: 'quantitative' }, y: { field: 'o', type: 'quantitative' } },
        },
        {
          data: { values },
          ...primary({ mark: { type: 'point', filled: true, size: 14, color: BLUE } }),
          encoding: {
            x: { field: 'e', type: 'quantitative', title: 'expected −log10 p' },
            y: { field: 'o', type: 'quantitative', title: 'observed −log10 p' },
          },
        },
      ],
    },
  };
}

/** Counts of `values` in `bins` equal bins over [lo, hi] (values outside go to the edge bins). */
export function histogram(values: ArrayLike<number>, lo: number, hi: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  const w = (hi - lo) / bins;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    counts[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / w)))]++;
  }
  return counts;
}

function barsOfHistogram(
  id: string,
  title: string,
  counts: number[],
  lo: number,
  hi: number,
  xTitle: string,
  yTitle: string,
  caption?: string,
  color = BLUE,
  ticks?: number[],
): PlotSpec {
  const w = (hi - lo) / counts.length;
  const values = counts.map((n, i) => ({ a: round(lo + i * w, 6), b: round(lo + (i + 1) * w, 6), n }));
  return {
    id,
    kind: 'histogram',
    title,
    caption,
    marks: values.length,
    spec: {
      width: 340,
      height: 220,
      data: { values },
      ...primary({ mark: { type: 'rect', color, stroke: 'white', strokeWidth: 0.5 } }),
      encoding: {
        x: {
          field: 'a',
          type: 'quantitative',
          title: xTitle,
          scale: { domain: [lo, hi], nice: false },
          ...(ticks ? { axis: { values: ticks } } : {}),
        },
        x2: { field: 'b' },
        y: { field: 'n', type: 'quantitative', title: yTitle },
      },
    },
  };
}

export function pvalBetaHistogram(pvalBeta: ArrayLike<number>): PlotSpec {
  return barsOfHistogram(
    'pval-beta',
    'Phenotype-level p-values (pval_beta)',
    histogram(pvalBeta, 0, 1, 20),
    0,
    1,
    'pval_beta',
    'phenotypes',
    'Uniform under the null; the spike near 0 holds the eGenes.',
  );
}

export function tssDistanceHistogram(distances: ArrayLike<number>, window: number, what: string): PlotSpec {
  const kb = Array.from(distances, (d) => d / 1000);
  const w = window / 1000;
  return barsOfHistogram(
    'tss-distance',
    `Lead variant distance to the TSS (${what})`,
    histogram(kb, -w, w, 40),
    -w,
    w,
    'variant position − TSS (kb)',
    'phenotypes',
    undefined,
    ORANGE,
    [-w, -w / 2, 0, w / 2, w].map((t) => round(t, 3)),
  );
}

function categoryBars(
  id: string,
  title: string,
  values: { label: string; n: number }[],
  xTitle: string,
  yTitle: string,
  caption?: string,
): PlotSpec {
  return {
    id,
    kind: 'bars',
    title,
    caption,
    marks: values.length,
    spec: {
      width: Math.min(600, Math.max(160, 28 * values.length)),
      height: 200,
      data: { values },
      ...primary({ mark: { type: 'bar', color: BLUE } }),
      encoding: {
        x: { field: 'label', type: 'ordinal', title: xTitle, sort: null, axis: { labelAngle: 0 } },
        y: { field: 'n', type: 'quantitative', title: yTitle },
      },
    },
  };
}

export function signalsPerGenePlot(signals: Map<string, number>): PlotSpec {
  const byCount = new Map<number, number>();
  for (const c of signals.values()) byCount.set(c, (byCount.get(c) ?? 0) + 1);
  const values = [...byCount.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([k, n]) => ({ label: String(k), n }));
  return categoryBars(
    'signals-per-egene',
    'Conditionally independent signals per eGene',
    values,
    'signals',
    'eGenes',
  );
}

export function varianceExplainedPlot(id: string, title: string, ve: number[], label: string): PlotSpec {
  return categoryBars(
    id,
    title,
    ve.map((v, i) => ({ label: `${label}${i + 1}`, n: round(100 * v, 4) })),
    '',
    'variance explained (%)',
  );
}

export function locusPlot(
  phenotypeId: string,
  chr: string,
  points: LocusPoint[],
  o: { lead?: string; signals?: Set<string>; tss?: number; threshold?: number; pairs: number },
): PlotSpec {
  const cls = (v: string) =>
    v === o.lead ? 'lead variant' : o.signals?.has(v) ? 'independent signal' : 'other';
  const order = { other: 0, 'independent signal': 1, 'lead variant': 2 };
  const values = points
    .map((p) => ({ x: round(p.pos / 1e6, 6), y: round(p.y, 3), c: cls(p.variantId) }))
    .sort((a, b) => order[a.c as keyof typeof order] - order[b.c as keyof typeof order]);
  const layer: Record<string, unknown>[] = [
    {
      data: { values },
      ...primary({ mark: { type: 'point', filled: true, size: 22, opacity: 0.9 } }),
      encoding: {
        x: { field: 'x', type: 'quantitative', title: `chr${chr} position (Mb)`, scale: { zero: false } },
        y: { field: 'y', type: 'quantitative', title: '−log10 p', scale: { zero: true } },
        color: {
          field: 'c',
          type: 'nominal',
          title: null,
          scale: { domain: ['other', 'independent signal', 'lead variant'], range: [LIGHT, ORANGE, RED] },
          legend: { orient: 'top', direction: 'horizontal' },
        },
      },
    },
  ];
  if (o.tss !== undefined)
    layer.push({
      data: { values: [{ t: round(o.tss / 1e6, 6) }] },
      mark: { type: 'rule', color: GREY, strokeDash: [2, 2] },
      encoding: { x: { field: 't', type: 'quantitative' } },
    });
  if (o.threshold !== undefined && o.threshold > 0 && o.threshold < 1)
    layer.push({
      data: { values: [{ h: round(-Math.log10(o.threshold), 4) }] },
      mark: { type: 'rule', color: RED, strokeDash: [4, 3], opacity: 0.6 },
      encoding: { y: { field: 'h', type: 'quantitative' } },
    });
  const thinned = points.length < o.pairs ? ` (${points.length} of ${o.pairs} pairs shown)` : '';
  return {
    id: `locus-${slug(phenotypeId)}`,
    kind: 'locus',
    title: `${phenotypeId}: cis window`,
    caption: `Nominal −log10 p of every tested variant${thinned}; dotted line: TSS${o.threshold !== undefined ? '; dashed line: the phenotype’s nominal p-value threshold' : ''}.`,
    marks: values.length,
    spec: { width: 420, height: 220, layer },
  };
}

export function expressionPlot(
  phenotypeId: string,
  variantId: string,
  ref: string,
  alt: string,
  points: { genotype: 0 | 1 | 2; value: number }[],
): PlotSpec {
  // alleles on the axis when short; REF/ALT for long ones (structural variants), spelled out in the caption
  const short = ref.length <= 4 && alt.length <= 4;
  const [r, a] = short ? [ref, alt] : ['ref', 'alt'];
  const labels = [`${r}/${r}`, `${r}/${a}`, `${a}/${a}`].map((g, i) => `${i}: ${g}`);
  const values = points.map((p, i) => ({
    g: labels[p.genotype],
    v: round(p.value, 5),
    // deterministic jitter (golden-ratio sequence), so the same inputs draw the same figure
    j: round(((i * 0.6180339887) % 1) - 0.5, 4),
  }));
  const present = labels.filter((l) => values.some((v) => v.g === l));
  const x = {
    field: 'g',
    type: 'ordinal',
    title: `${variantId} genotype`,
    sort: present,
    axis: { labelAngle: 0 },
  };
  const y = { field: 'v', type: 'quantitative', title: `${phenotypeId} (phenotype value)` };
  return {
    id: `expression-${slug(phenotypeId)}`,
    kind: 'expression',
    title: `${phenotypeId} by ${variantId}`,
    caption: `Phenotype values by genotype of the lead variant (ALT dosage rounded; ${values.length} samples)${short ? '' : `; ref ${shortAllele(ref)}, alt ${shortAllele(alt)}`}.`,
    marks: values.length,
    spec: {
      width: Math.max(150, 80 * present.length),
      height: 220,
      data: { values },
      layer: [
        {
          mark: {
            type: 'boxplot',
            extent: 'min-max',
            size: 36,
            opacity: 0.35,
            color: LIGHT,
            median: { color: BLUE },
          },
          encoding: { x, y },
        },
        {
          ...primary({ mark: { type: 'point', filled: true, size: 10, opacity: 0.6, color: BLUE } }),
          encoding: { x, y, xOffset: { field: 'j', type: 'quantitative', scale: { domain: [-0.8, 0.8] } } },
        },
      ],
    },
  };
}

export function pipPlot(
  phenotypeId: string,
  rows: { pip: number; csId: number; x: number }[],
  xTitle: string,
): PlotSpec {
  const values = rows.map((r) => ({ x: r.x, p: round(r.pip, 5), cs: r.csId >= 1 ? `CS ${r.csId}` : 'none' }));
  const sets = [...new Set(values.map((v) => v.cs).filter((c) => c !== 'none'))].sort();
  return {
    id: `pip-${slug(phenotypeId)}`,
    kind: 'pip',
    title: `${phenotypeId}: posterior inclusion probabilities`,
    marks: values.length,
    spec: {
      width: 420,
      height: 200,
      data: { values },
      ...primary({ mark: { type: 'point', filled: true, size: 24 } }),
      encoding: {
        x: { field: 'x', type: 'quantitative', title: xTitle, scale: { zero: false } },
        y: { field: 'p', type: 'quantitative', title: 'PIP', scale: { domain: [0, 1] } },
        color: {
          field: 'cs',
          type: 'nominal',
          title: 'credible set',
          scale: { domain: ['none', ...sets], range: [LIGHT, RED, ORANGE, '#2a9d8f', '#8e44ad', '#f1c40f'] },
        },
      },
    },
  };
}

export function colocPlot(rows: { locusId: string; pp4: number }[], shownOf: number): PlotSpec {
  const values = rows.map((r) => ({ l: r.locusId, p: round(r.pp4, 5) }));
  return {
    id: 'coloc-pph4',
    kind: 'coloc',
    title: 'Colocalization: PP.H4 (one shared causal variant) per locus',
    caption:
      rows.length < shownOf ? `The ${rows.length} loci with the largest PP.H4 of ${shownOf}.` : undefined,
    marks: values.length,
    spec: {
      width: 420,
      height: Math.max(60, 16 * values.length),
      layer: [
        {
          data: { values },
          ...primary({ mark: { type: 'bar', color: BLUE } }),
          encoding: {
            y: { field: 'l', type: 'nominal', title: null, sort: '-x' },
            x: { field: 'p', type: 'quantitative', title: 'PP.H4', scale: { domain: [0, 1] } },
          },
        },
        {
          data: { values: [{ t: 0.8 }] },
          mark: { type: 'rule', color: RED, strokeDash: [4, 3] },
          encoding: { x: { field: 't', type: 'quantitative' } },
        },
      ],
    },
  };
}

export function librarySizePlot(
  samples: { sample: string; lib_size: number; norm_factor: number; outlier: boolean }[],
): PlotSpec {
  const values = samples.map((s) => ({
    l: round(s.lib_size / 1e6, 5),
    f: round(s.norm_factor, 5),
    o: s.outlier ? 'flagged by sample QC' : 'kept',
  }));
  return {
    id: 'library-sizes',
    kind: 'normalize',
    title: 'Library size and TMM factor per sample',
    marks: values.length,
    spec: {
      width: 340,
      height: 240,
      data: { values },
      ...primary({ mark: { type: 'point', filled: true, size: 26 } }),
      encoding: {
        x: {
          field: 'l',
          type: 'quantitative',
          title: 'library size (million reads)',
          scale: { zero: false },
        },
        y: { field: 'f', type: 'quantitative', title: 'TMM normalization factor', scale: { zero: false } },
        color: {
          field: 'o',
          type: 'nominal',
          title: null,
          scale: { domain: ['kept', 'flagged by sample QC'], range: [BLUE, RED] },
          legend: { orient: 'bottom' },
        },
      },
    },
  };
}
