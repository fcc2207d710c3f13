/**
 * Contract of every module process with the stage CLIs (Nextflow cannot run on the build machines), on the
 * syntax trees the static checker extracts (nf-check.groovy): the script is one `qtlflow <stage>` command
 * whose flags the stage's own strict parser accepts, for every string its branches and its callers give;
 * it uses task.cpus for --threads, a resource label and params.container; every output is named with
 * `emit:` and created by the stub; pipeline.nf includes and invokes it; and the params of nextflow.config
 * match nextflow_schema.json.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateStageArgs } from '../../src/cli/parser.js';
import { REPO_ROOT } from '../helpers/shared.js';
import { checkPipeline, type NfLiteral, type NfProcess } from './nf-check.js';
import {
  createdPaths,
  outputPatternRegExp,
  renderBlock,
  shellCommands,
  type SlotContext,
} from './nf-script.js';

const result = checkPipeline(REPO_ROOT);
const entry = result.files.find((f) => f.path === result.dag.entry);

interface SchemaProperty {
  default?: unknown;
  type: string;
}
const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'nextflow_schema.json'), 'utf8'));
const schemaProps: Record<string, SchemaProperty> = {};
for (const def of Object.values(schema.$defs) as { properties: Record<string, SchemaProperty> }[])
  Object.assign(schemaProps, def.properties);

const configParams: Record<string, NfLiteral> = Object.fromEntries(
  Object.entries(result.config.params).map(([k, p]) => [k, p.value]),
);

/**
 * Sample values of `val` inputs that the pipeline feeds from a channel (literal values at the call sites
 * are taken from pipeline.nf itself); any other such input stands for itself.
 */
const CHANNEL_VALUES: Record<string, string> = { chunk: '3/7', segment_mode: 'perm' };

/** A param's default, or a value of its schema type when it has none. */
function paramValue(name: string): string {
  const v = configParams[name];
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  const type = schemaProps[name]?.type;
  return type === 'number' || type === 'integer' ? '1' : type === 'boolean' ? 'true' : name;
}

const TASK_CPUS = '${task.cpus}';
const scriptContext: SlotContext = {
  task: (n) => (n === 'cpus' ? TASK_CPUS : '1'),
  param: paramValue,
  channelValue: (input) => CHANNEL_VALUES[input] ?? input,
};

const modules = result.files
  .filter((f) => f.path.startsWith('modules/'))
  .flatMap((f) =>
    f.processes.map((process) => ({ file: f.path, dir: f.path.split('/')[1], name: process.name, process })),
  );

function callsOf(file: string, process: NfProcess) {
  return result.calls.filter(
    (c) => c.definedIn === file && c.component === process.name && c.kind === 'process',
  );
}

/** Errors that mean the module and the CLI disagree (not a combination of flags the stage refuses). */
const DRIFT = /Unknown argument|Invalid values|Not enough arguments|Missing required argument/;

test('the checker finds the module processes and no issue in the pipeline', () => {
  expect(modules.length).toBeGreaterThan(0);
  expect(result.issues).toEqual([]);
});

describe.each(modules)('module $file ($name)', ({ file, dir, process }) => {
  test('its script is one qtlflow command the stage parser accepts for every branch and caller', async () => {
    expect(process.script).not.toBeNull();
    const renderings = renderBlock(process.script!, process, callsOf(file, process), scriptContext);
    expect(renderings.length).toBeGreaterThan(0);
    const accepted = new Map<string, Set<string>>(); // choice name → values seen in an accepted command
    let acceptedCount = 0;
    for (const { text, choices } of renderings) {
      const commands = shellCommands(text);
      expect([text, commands.length]).toEqual([text, 1]);
      const [cmd] = commands;
      const stage = cmd[0] === 'qtlflow' ? cmd[1] : cmd[0].replace(/^qtlflow-/, '');
      const args = (cmd[0] === 'qtlflow' ? cmd.slice(2) : cmd.slice(1)).map((a) =>
        a === TASK_CPUS ? '2' : a,
      );
      expect([cmd[0], stage]).toEqual([
        cmd[0].startsWith('qtlflow-') ? cmd[0] : 'qtlflow',
        dir.replace(/_/g, '-'),
      ]);
      const error = await validateStageArgs(stage, args);
      // a combination that never occurs (e.g. --mode independent without --cis-results) may be refused by the
      // stage's own checks, but never with a flag or value the parser does not know
      expect([args.join(' '), error ?? '']).not.toEqual([args.join(' '), expect.stringMatching(DRIFT)]);
      if (error === undefined) acceptedCount++;
      if (error === undefined)
        for (const [n, v] of Object.entries(choices)) accepted.set(n, (accepted.get(n) ?? new Set()).add(v));
    }
    // every value a caller passes and every arm of every branch is accepted in some command
    const all = new Map<string, Set<string>>();
    for (const { choices } of renderings)
      for (const [n, v] of Object.entries(choices)) all.set(n, (all.get(n) ?? new Set()).add(v));
    expect(acceptedCount).toBeGreaterThan(0);
    for (const [n, values] of all)
      expect([n, [...(accepted.get(n) ?? [])].sort()]).toEqual([n, [...values].sort()]);
  });

  test('passes --threads ${task.cpus}, has a tag, a process_low/medium/high label and container params.container', () => {
    for (const { text } of renderBlock(process.script!, process, callsOf(file, process), scriptContext)) {
      const words = shellCommands(text)[0];
      expect(words[words.indexOf('--threads') + 1]).toBe(TASK_CPUS);
    }
    const directive = (name: string) =>
      process.directives.filter((d) => d.name === name).map((d) => d.values);
    expect(directive('tag')).toHaveLength(1);
    expect(directive('label')).toEqual([[expect.stringMatching(/^process_(low|medium|high)$/)]]);
    expect(directive('container')).toEqual([[{ expr: 'params.container' }]]);
  });

  test('names every output with emit: and its stub creates every emitted file', () => {
    expect(process.outputs.length).toBeGreaterThan(0);
    for (const o of process.outputs) expect([o.line, o.emit]).toEqual([o.line, expect.any(String)]);
    expect(process.stub).not.toBeNull();
    // slots other than params stand for any text, on both sides
    const WILD = '\u0001';
    const stubContext: SlotContext = { task: () => WILD, param: paramValue, channelValue: () => WILD };
    const created = renderBlock(process.stub!, process, [], stubContext).flatMap((r) =>
      createdPaths(shellCommands(r.text)),
    );
    for (const o of process.outputs.filter((o) => !o.optional)) {
      for (const pattern of o.patterns) {
        const text = pattern.parts
          .map((p) => ('text' in p ? p.text : p.params !== undefined ? paramValue(p.params) : WILD))
          .join('');
        const re = outputPatternRegExp(text, WILD);
        expect([o.emit, pattern.text, created.some((c) => re.test(c))]).toEqual([o.emit, pattern.text, true]);
      }
    }
  });

  test('is included and invoked by the pipeline', () => {
    expect(entry).toBeDefined();
    expect(
      entry!.includes.filter((i) => i.resolved === file && i.name === process.name).length,
    ).toBeGreaterThan(0);
    expect(
      result.dag.nodes.filter((n) => n.module === file && n.process === process.name).length,
    ).toBeGreaterThan(0);
  });
});

test('the strict parser check rejects a drifted flag', async () => {
  expect(await validateStageArgs('normalize', ['--input', 'a', '--out', 'b', '--min-counts', '3'])).toMatch(
    DRIFT,
  );
});

test('nextflow.config params and nextflow_schema.json describe the same parameters with matching defaults', () => {
  expect(Object.keys(schemaProps).sort()).toEqual(Object.keys(configParams).sort());
  for (const [k, v] of Object.entries(configParams)) {
    // a default must be a literal the schema can state
    expect([k, typeof v === 'object' && v !== null ? 'expression' : 'literal']).toEqual([k, 'literal']);
    if (v !== null) expect([k, schemaProps[k].default]).toEqual([k, v]);
    // an integer default may be typed integer (e.g. window sizes) or number
    const want =
      typeof v === 'number'
        ? Number.isInteger(v) && schemaProps[k].type === 'integer'
          ? 'integer'
          : 'number'
        : typeof v;
    if (v !== null) expect([k, schemaProps[k].type]).toEqual([k, want]);
  }
});
