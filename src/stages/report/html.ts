/**
 * The report as one self-contained HTML file: inline CSS, inline SVG figures, no scripts, fonts, images or
 * links to fetch, so it opens the same offline, from an e-mail attachment or a cluster's results folder.
 */
import type { PlotSpec } from './plots.js';

export type Block =
  | { type: 'plot'; plot: PlotSpec; svg: string }
  | { type: 'note'; text: string }
  | { type: 'figures'; items: { label: string; value: string; detail?: string }[] }
  | { type: 'table'; caption?: string; head: string[]; rows: (string | number | null)[][] }
  | { type: 'row'; blocks: Block[] };

export interface Section {
  id: string;
  title: string;
  intro?: string;
  blocks: Block[];
}

export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/**
 * Several SVGs share one document, and Vega numbers its clip paths and gradients from 1 in each: prefix every
 * id (and the references to it) so one figure cannot pick up another's definitions.
 */
export function prefixSvgIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, (_, id: string) => `id="${prefix}-${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id: string) => `url(#${prefix}-${id})`)
    .replace(/href="#([^"]+)"/g, (_, id: string) => `href="#${prefix}-${id}"`);
}

/**
 * Geometry attributes to 2 decimals (a hundredth of a pixel): Vega writes full doubles
 * (`translate(106.1630715713456,215.15)`), which is a third of a scatter plot's bytes. Text is left alone.
 */
export function compactSvgNumbers(svg: string): string {
  return svg.replace(
    / (transform|d|x|y|x1|x2|y1|y2|width|height)="([^"]*)"/g,
    (_, name: string, value: string) => {
      const v = value.replace(/-?\d+\.\d{3,}/g, (num) => String(Number(Number(num).toFixed(2))));
      return ` ${name}="${v}"`;
    },
  );
}

const CSS = `
:root { --ink: #222; --muted: #666; --line: #ddd; --accent: #3366aa; --bg: #fafafa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 Helvetica, Arial, sans-serif; color: var(--ink); background: var(--bg); }
header { background: #fff; border-bottom: 1px solid var(--line); padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: var(--muted); }
nav { padding: 8px 28px; background: #fff; border-bottom: 1px solid var(--line); font-size: 13px; }
nav a { color: var(--accent); margin-right: 14px; text-decoration: none; }
main { padding: 8px 28px 40px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; margin: 18px 0; padding: 14px 18px; }
section h2 { margin: 0 0 8px; font-size: 17px; }
section > p.intro { margin: 0 0 10px; color: var(--muted); }
.row { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }
figure { margin: 8px 0; width: fit-content; max-width: 100%; }
.plot-title { font-weight: bold; font-size: 13px; margin-bottom: 2px; white-space: nowrap; }
figure svg { display: block; max-width: 100%; height: auto; }
/* the caption wraps at the figure's width instead of widening it */
figcaption { color: var(--muted); font-size: 12px; width: 0; min-width: 100%; margin-top: 2px; }
.note { color: #7a5b00; background: #fff8e1; border: 1px solid #f0dca0; border-radius: 4px; padding: 8px 10px; margin: 8px 0; }
.figures { display: flex; flex-wrap: wrap; gap: 12px; margin: 6px 0 4px; }
.figure-card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; min-width: 150px; }
.figure-card .value { font-size: 20px; font-weight: bold; color: var(--accent); }
.figure-card .label { font-size: 12px; color: var(--muted); }
.figure-card .detail { font-size: 11px; color: var(--muted); }
table { border-collapse: collapse; font-size: 12.5px; margin: 8px 0; }
caption { text-align: left; color: var(--muted); padding-bottom: 4px; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 10px 3px 0; text-align: left; vertical-align: top; }
th { font-weight: bold; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
footer { color: var(--muted); font-size: 12px; padding: 0 28px 24px; }
`;

function cell(v: string | number | null): string {
  if (v === null) return '<td>–</td>';
  if (typeof v === 'number') return `<td class="num">${escapeHtml(String(v))}</td>`;
  return `<td>${escapeHtml(v)}</td>`;
}

function block(b: Block): string {
  switch (b.type) {
    case 'plot': {
      const p = b.plot;
      return (
        `<figure class="plot" id="${escapeHtml(p.id)}" data-plot="${escapeHtml(p.kind)}" data-marks="${p.marks}" role="img" aria-label="${escapeHtml(p.title)}">` +
        `<div class="plot-title">${escapeHtml(p.title)}</div>` +
        prefixSvgIds(compactSvgNumbers(b.svg), p.id) +
        (p.caption ? `<figcaption>${escapeHtml(p.caption)}</figcaption>` : '') +
        '</figure>'
      );
    }
    case 'note':
      return `<p class="note">${escapeHtml(b.text)}</p>`;
    case 'figures':
      return (
        '<div class="figures">' +
        b.items
          .map(
            (f) =>
              `<div class="figure-card"><div class="value">${escapeHtml(f.value)}</div><div class="label">${escapeHtml(f.label)}</div>` +
              (f.detail ? `<div class="detail">${escapeHtml(f.detail)}</div>` : '') +
              '</div>',
          )
          .join('') +
        '</div>'
      );
    case 'table':
      return (
        '<table>' +
        (b.caption ? `<caption>${escapeHtml(b.caption)}</caption>` : '') +
        `<thead><tr>${b.head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>` +
        b.rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('') +
        '</tbody></table>'
      );
    case 'row':
      return `<div class="row">${b.blocks.map(block).join('')}</div>`;
  }
}

export function reportHtml(title: string, subtitle: string, sections: Section[], footer: string): string {
  const nav = sections.map((s) => `<a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a>`).join('');
  const body = sections
    .map(
      (s) =>
        `<section id="${escapeHtml(s.id)}"><h2>${escapeHtml(s.title)}</h2>` +
        (s.intro ? `<p class="intro">${escapeHtml(s.intro)}</p>` : '') +
        s.blocks.map(block).join('\n') +
        '</section>',
    )
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${escapeHtml(title)}</h1><p>${escapeHtml(subtitle)}</p></header>
<nav>${nav}</nav>
<main>
${body}
</main>
<footer>${escapeHtml(footer)}</footer>
</body>
</html>
`;
}
