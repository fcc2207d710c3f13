/**
 * Static checks of the Nextflow pipeline (Nextflow cannot run on the build machines): every module's
 * command line is accepted by the real stage parser, every module is included and called by pipeline.nf,
 * every emitted output is produced by the stub, and the params of nextflow.config match nextflow_schema.json.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { validateStageArgs } from '../../src/cli/parser.js';
import { REPO_ROOT } from '../helpers/shared.js';

const modulesDir = join(REPO_ROOT, 'modules');
const modules = readdirSync(modulesDir).map((m) => ({
  name: m,
  text: readFileSync(join(modulesDir, m, 'main.nf'), 'utf8'),
}));

/** Sample values for the Groovy variables of module scripts (flags built in `def` lines, `val` inputs). */
const SAMPLE_VALUES: Record<string, string> = {
  ann: '--annotation genes.gtf',
  intFlag: '--int',
  maf: '--maf-min 0.01',
  cov: '--covariates covariates.txt',
  egenes: '--cis-results cis.cis_qtl.parquet',
  mode: 'independent',
  chunk: '3/7',
  prefix: 'cis_independent_3of7',
  prefixes: 'cis_permute_1of2 cis_permute_2of2',
  blacklistFlag: '--blacklist blacklist.bed',
  gwasN: '--N2 10000',
  knownFlag: '--known known.tsv',
  label: 'B_cells.',
  layerFlag: '--layer counts',
  celltypesFlag: '--celltypes B,T',
  donorCovFlag: '--donor-covariates age,sex',
  segment_mode: 'perm',
  negFlag: '--neg-control',
};

/** The `qtlflow <stage> …` command of a module's script block, with Groovy interpolations replaced by sample values. */
function scriptCommand(text: string): { stage: string; args: string[] } {
  const script = /script:\s*[\s\S]*?"""([\s\S]*?)"""/.exec(text)?.[1] ?? '';
  const joined = script
    .replace(/\\\\\n/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const m = /qtlflow ([\w-]+) (.*)$/.exec(joined);
  if (!m) throw new Error('module script has no qtlflow command');
  const args = m[2]
    .replace(/\$\{task\.cpus\}/g, '2')
    .replace(/\$\{params\.(\w+)\}/g, (_, p: string) => String(configParams()[p] ?? 'x'))
    .replace(/\$\{(\w+)\}/g, (whole: string, v: string) => SAMPLE_VALUES[v] ?? whole)
    .replace(/\$\{\w+\}/g, 'input.file')
    .split(' ')
    .filter(Boolean);
  return { stage: m[1], args };
}

function configParams(): Record<string, unknown> {
  const cfg = readFileSync(join(REPO_ROOT, 'nextflow.config'), 'utf8');
  const block = /params\s*\{([\s\S]*?)\n\}/.exec(cfg)![1];
  const out: Record<string, unknown> = {};
  for (const line of block.split('\n')) {
    const m = /^\s*(\w+)\s*=\s*(.+?)\s*$/.exec(line.replace(/\/\/.*$/, ''));
    if (!m) continue;
    const v = m[2];
    out[m[1]] =
      v === 'null'
        ? null
        : v === 'true'
          ? true
          : v === 'false'
            ? false
            : /^'.*'$/.test(v)
              ? v.slice(1, -1)
              : Number(v);
  }
  return out;
}

describe.each(modules)('module $name', ({ name, text }) => {
  test('its script calls a stage with flags the stage parser accepts', async () => {
    const { stage, args } = scriptCommand(text);
    expect(stage).toBe(name.replace(/_/g, '-'));
    expect(await validateStageArgs(stage, args)).toBeUndefined();
  });

  test('uses task.cpus for --threads, a label, params.container, and a stub creating every emitted file', () => {
    expect(text).toMatch(/--threads \$\{task\.cpus\}/);
    expect(text).toMatch(/label 'process_(low|medium|high)'/);
    expect(text).toMatch(/container params\.container/);
    const emitted = [...text.matchAll(/path (['"])(.*?)\1,\s*emit:/g)].map((m) => m[2]);
    expect(emitted.length).toBeGreaterThan(0);
    const stub = /stub:[\s\S]*?"""([\s\S]*?)"""/.exec(text)?.[1] ?? '';
    // a pattern (glob, Groovy interpolations) must match a file the stub touches
    const touched = stub.split(/\s+/).filter(Boolean);
    for (const f of emitted) {
      const re = new RegExp(
        '^' +
          f
            .split(/(\$\{[^}]*\}|\*)/)
            .map((part) =>
              part.startsWith('${') || part === '*' ? '.*' : part.replace(/[.+?^$()|[\]\\]/g, '\\$&'),
            )
            .join('') +
          '$',
      );
      expect([f, touched.some((t) => re.test(t))]).toEqual([f, true]);
    }
  });

  test('is included and called by pipeline.nf', () => {
    const process = /process (\w+)/.exec(text)![1];
    const pipeline = readFileSync(join(REPO_ROOT, 'pipeline.nf'), 'utf8');
    const includes = [
      ...pipeline.matchAll(
        new RegExp(
          `include \\{\\s*${process}(?:\\s+as\\s+(\\w+))?\\s*\\} from '\\./modules/${name}/main\\.nf'`,
          'g',
        ),
      ),
    ];
    expect(includes.length).toBeGreaterThan(0);
    for (const m of includes) expect(pipeline).toMatch(new RegExp(`\\b${m[1] ?? process}\\(`));
  });
});

test('the strict parser check rejects a drifted flag', async () => {
  expect(await validateStageArgs('normalize', ['--input', 'a', '--out', 'b', '--min-counts', '3'])).toMatch(
    /Unknown argument/,
  );
});

test('nextflow.config params and nextflow_schema.json describe the same parameters with matching defaults', () => {
  const params = configParams();
  const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'nextflow_schema.json'), 'utf8'));
  const props: Record<string, { default?: unknown; type: string }> = {};
  for (const def of Object.values(schema.$defs) as {
    properties: Record<string, { default?: unknown; type: string }>;
  }[])
    Object.assign(props, def.properties);
  expect(Object.keys(props).sort()).toEqual(Object.keys(params).sort());
  for (const [k, v] of Object.entries(params)) {
    if (v !== null) expect([k, props[k].default]).toEqual([k, v]);
    // an integer default may be typed integer (e.g. window sizes) or number
    const want =
      typeof v === 'number'
        ? Number.isInteger(v) && props[k].type === 'integer'
          ? 'integer'
          : 'number'
        : typeof v;
    if (v !== null) expect([k, props[k].type]).toEqual([k, want]);
  }
});
