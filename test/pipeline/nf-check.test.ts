/**
 * The static Nextflow checker (nf-check.groovy on the Groovy 4 parser): the real pipeline passes, each
 * fixture under fixtures/ holds one kind of error and is caught at the right file and line, and the DAG of
 * a pipeline with aliases, a sub-workflow, pipes and branches is what Nextflow would build.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/shared.js';
import { checkPipelines, formatIssue, type NfCheckResult, type NfIssueKind } from './nf-check.js';

const FIXTURES = join(REPO_ROOT, 'test', 'pipeline', 'fixtures');

/** What each broken fixture must report: exactly these issues (file, line, kind, message). */
const BROKEN: Record<string, { kind: NfIssueKind; file: string; line: number; message: RegExp }[]> = {
  'syntax-error': [
    { kind: 'syntax', file: 'pipeline.nf', line: 3, message: /syntax error: Unexpected input.*unclosed/ },
  ],
  'undefined-process': [
    {
      kind: 'undefined-component',
      file: 'pipeline.nf',
      line: 5,
      message: /^SHOUT is not a process or workflow/,
    },
  ],
  'include-missing-path': [
    { kind: 'include-path', file: 'pipeline.nf', line: 2, message: /shuot\/main\.nf'.*no such file/ },
  ],
  'include-missing-name': [
    {
      kind: 'include-name',
      file: 'pipeline.nf',
      line: 2,
      message: /does not define SHOUTER \(it defines SHOUT\)/,
    },
  ],
  'unknown-emit': [
    {
      kind: 'unknown-emit',
      file: 'pipeline.nf',
      line: 6,
      message: /GREET\.out\.greetings: .*no output `emit: greetings` \(it emits greeting, log\)/,
    },
  ],
  'wrong-arity': [
    {
      kind: 'arity',
      file: 'pipeline.nf',
      line: 5,
      message: /GREET takes 2 inputs \(name, template\) but is called with 1 argument/,
    },
  ],
  'channel-used-before-assigned': [
    {
      kind: 'unassigned-channel',
      file: 'pipeline.nf',
      line: 4,
      message: /`names_ch` is used before it is assigned \(line 5\)/,
    },
  ],
  'channel-assigned-in-one-branch': [
    {
      kind: 'unassigned-channel',
      file: 'pipeline.nf',
      line: 7,
      message: /`names_ch` may be unassigned here: .*only when `params\.loud`/,
    },
  ],
  'output-before-call': [
    {
      kind: 'output-before-call',
      file: 'pipeline.nf',
      line: 7,
      message: /^GREET\.out is used but it has not been invoked/,
    },
    {
      kind: 'output-before-call',
      file: 'pipeline.nf',
      line: 12,
      message: /^GREET_LOUD\.out is used but it is invoked \(line 10\) only when `params\.loud`/,
    },
  ],
  'process-called-twice': [
    {
      kind: 'duplicate-call',
      file: 'pipeline.nf',
      line: 6,
      message: /GREET is invoked again \(first at line 5\)/,
    },
  ],
  'undeclared-param': [
    {
      kind: 'undeclared-param',
      file: 'nextflow.config',
      line: 5,
      message: /profile test sets params\.repaet/,
    },
    { kind: 'undeclared-param', file: 'pipeline.nf', line: 4, message: /params\.nmaes is not declared/ },
  ],
};

const fixtureNames = readdirSync(FIXTURES).filter((f) => f !== 'common');
let results: Map<string, NfCheckResult>;

beforeAll(() => {
  // one JVM for the real pipeline and every fixture
  const roots = [REPO_ROOT, ...fixtureNames.map((f) => join(FIXTURES, f))];
  const out = checkPipelines(roots);
  results = new Map(roots.map((r, i) => [r === REPO_ROOT ? 'repo' : fixtureNames[i - 1], out[i]]));
});

test('the pipeline of this repository has no issues', () => {
  const r = results.get('repo')!;
  expect(r.issues.map(formatIssue)).toEqual([]);
  expect(r.dag.entry).toBe('pipeline.nf');
  expect(r.dag.nodes.length).toBeGreaterThan(0);
  // every module file was parsed, whether or not pipeline.nf includes it
  const moduleFiles = readdirSync(join(REPO_ROOT, 'modules')).map((m) => `modules/${m}/main.nf`);
  expect(r.files.map((f) => f.path)).toEqual(expect.arrayContaining(moduleFiles));
});

test('every broken fixture has a test and every fixture kind is covered', () => {
  expect(fixtureNames.filter((f) => f !== 'valid').sort()).toEqual(Object.keys(BROKEN).sort());
});

describe.each(Object.entries(BROKEN))('fixture %s', (name, expected) => {
  test('is reported with file, line and message, and nothing else', () => {
    const got = results.get(name)!.issues;
    expect(got.map((i) => ({ kind: i.kind, file: i.file, line: i.line }))).toEqual(
      expected.map(({ kind, file, line }) => ({ kind, file, line })),
    );
    got.forEach((i, k) => expect(i.message).toMatch(expected[k].message));
    for (const i of got) expect(i.column).toBeGreaterThan(0);
  });
});

describe('fixture valid', () => {
  test('has no issues', () => {
    expect(results.get('valid')!.issues.map(formatIssue)).toEqual([]);
  });

  test('extracts includes with aliases and resolved paths, process inputs/outputs and the sub-workflow', () => {
    const r = results.get('valid')!;
    const pipeline = r.files.find((f) => f.path === 'pipeline.nf')!;
    expect(pipeline.includes.map((i) => [i.name, i.alias, i.resolved])).toEqual([
      ['GREET', null, '../common/modules/greet/main.nf'],
      ['GREET', 'GREET_AGAIN', '../common/modules/greet/main.nf'],
      ['SHOUT', null, '../common/modules/shout/main.nf'],
      ['LOUD', null, '../common/subworkflows/loud/main.nf'],
    ]);
    expect(pipeline.functions).toEqual(['nameChannel']);
    const greet = r.files.find((f) => f.path === '../common/modules/greet/main.nf')!.processes[0];
    expect(greet.inputs.map((i) => [i.qualifier, i.name])).toEqual([
      ['val', 'name'],
      ['path', 'template'],
    ]);
    expect(greet.outputs.map((o) => [o.qualifier, o.emit, o.patterns.map((p) => p.text)])).toEqual([
      ['path', 'greeting', ['greeting.txt']],
      ['path', 'log', ['greet.log']],
    ]);
    expect(greet.script!.commands[0].parts).toContainEqual({ expr: 'name', root: 'name' });
    const shout = r.files.find((f) => f.path === '../common/modules/shout/main.nf')!.processes[0];
    expect(shout.script!.locals[0].alternatives!.map((a) => a.text)).toEqual(['-n ${params.repeat}', '']);
    const loud = r.files.find((f) => f.path === '../common/subworkflows/loud/main.nf')!.workflows[0];
    expect([loud.name, loud.takes, loud.emits.map((e) => e.name)]).toEqual(['LOUD', ['texts'], ['loud']]);
    const entry = pipeline.workflows.find((w) => w.name === null)!;
    expect(entry.assigned.map((a) => a.name)).toEqual(
      expect.arrayContaining(['template_path', 'template_ch', 'names_ch', 'texts', 'reversed_ch']),
    );
    expect(entry.calls.map((c) => [c.name, c.component, c.args.length])).toEqual([
      ['GREET', 'GREET', 2],
      ['SHOUT', 'SHOUT', 1],
      ['LOUD', 'LOUD', 1],
      ['GREET_AGAIN', 'GREET', 2],
    ]);
  });

  test('exports the DAG: sub-workflow processes inlined, edges by emit name and input, guards', () => {
    const { dag } = results.get('valid')!;
    expect(dag.nodes.map((n) => [n.id, n.process, n.guard])).toEqual([
      ['GREET', 'GREET', []],
      ['SHOUT', 'SHOUT', ['!params.loud']],
      ['LOUD:SHOUT', 'SHOUT', ['params.loud']],
      ['GREET_AGAIN', 'GREET', ['params.loud', 'params.repeat > 1']],
    ]);
    expect(dag.edges).toEqual([
      { param: 'names', to: 'GREET', input: 'name', index: 0 },
      { param: 'template', to: 'GREET', input: 'template', index: 1 },
      { from: 'GREET', emit: 'greeting', to: 'SHOUT', input: 'text', index: 0 },
      { from: 'GREET', emit: 'greeting', to: 'LOUD:SHOUT', input: 'text', index: 0 },
      { param: 'names', to: 'GREET_AGAIN', input: 'name', index: 0 },
      { param: 'template', to: 'GREET_AGAIN', input: 'template', index: 1 },
    ]);
  });

  test('reads the params of the included config with their defaults', () => {
    const { config } = results.get('valid')!;
    expect(config.files).toEqual(['nextflow.config', '../common/base.config']);
    expect(config.mainScript).toBe('pipeline.nf');
    expect(Object.fromEntries(Object.entries(config.params).map(([k, p]) => [k, p.value]))).toEqual({
      names: 'world',
      template: 'template.txt',
      repeat: 1,
      loud: false,
    });
  });
});
