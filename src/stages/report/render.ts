/**
 * Vega-Lite → Vega → SVG in Node (no browser, no canvas: Vega's headless `renderer: 'none'` view writes SVG
 * markup). A separate bundle entry (report-render.mjs, scripts/bundle.mjs), loaded only by the report stage:
 * Vega is as large as the rest of the CLI together, and the other stages should not pay its start-up.
 */
import { View, parse } from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';

export interface Rendered {
  svg: string;
  warnings: string[];
}

/** Renders one Vega-Lite spec; `config` is merged in as the spec's config. */
export async function renderSvg(
  spec: Record<string, unknown>,
  config: Record<string, unknown>,
): Promise<Rendered> {
  const warnings: string[] = [];
  const logger = {
    level: () => logger,
    error: (...a: unknown[]) => {
      throw new Error(a.map(String).join(' '));
    },
    warn: (...a: unknown[]) => {
      warnings.push(a.map(String).join(' '));
      return logger;
    },
    info: () => logger,
    debug: () => logger,
  };
  const vg = compile({ ...spec, config } as unknown as TopLevelSpec, { logger: logger as never }).spec;
  const view = new View(parse(vg), { renderer: 'none', logger: logger as never });
  try {
    return { svg: await view.toSVG(), warnings };
  } finally {
    view.finalize();
  }
}
