/**
 * Runs the static Nextflow checker (`nf-check.groovy`) and types its JSON. Nextflow cannot be installed on the
 * build machines, so the pipeline is checked from its syntax trees: the Groovy 4 parser comes from the jars
 * that the `npm-groovy-lint` dev dependency ships, and runs on the machine's Java (17 or later). The script is
 * compiled once into node_modules/.cache (keyed by its content), so a check is one JVM start for every file.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const SCRIPT = join(HERE, 'nf-check.groovy');
const REPO = resolve(HERE, '..', '..');

export type NfIssueKind =
  | 'syntax'
  | 'undefined-component'
  | 'include-path'
  | 'include-name'
  | 'unknown-emit'
  | 'output-before-call'
  | 'arity'
  | 'duplicate-call'
  | 'unassigned-channel'
  | 'undeclared-param';

export interface NfIssue {
  kind: NfIssueKind;
  /** Relative to the project root. */
  file: string;
  line: number;
  column: number;
  message: string;
}

/** A literal as the checker exports it: constants, lists, or the source text of anything else. */
export type NfLiteral = string | number | boolean | null | NfLiteral[] | { expr: string };

/** An interpolation `${…}` of a string: its text, the identifier it starts from, params.X or task.X. */
export interface NfSlot {
  expr: string;
  root?: string;
  params?: string;
  task?: string;
}

export type NfPart = { text: string } | NfSlot;

/** A Groovy string (plain or GString) as text parts and interpolations; `text` renders slots as `${expr}`. */
export interface NfTemplate {
  text: string;
  parts: NfPart[];
  line: number;
}

/** `def name = …` in a script/stub block: the strings it can take (both arms of a ternary), if known. */
export interface NfLocal {
  name: string;
  alternatives: NfTemplate[] | null;
  expr: string;
  line: number;
  column: number;
}

export interface NfCommandBlock {
  locals: NfLocal[];
  /** The command string(s) the block ends with (several through if/else or a ternary). */
  commands: NfTemplate[];
  line: number;
}

export interface NfDeclaration {
  qualifier: string;
  /** Variable names it binds (inputs: `path x` → x; `tuple val(a), path(b)` → a, b). */
  names: string[];
  /** Inputs: names joined with commas. */
  name?: string;
  /** File patterns of path()/file() outputs. */
  patterns: NfTemplate[];
  components: { qualifier: string; name?: string; value?: string }[];
  emit?: string | null;
  optional?: boolean;
  line: number;
  column: number;
}

export interface NfDirective {
  name: string;
  values: NfLiteral[];
  line: number;
  column: number;
}

export interface NfProcess {
  name: string;
  line: number;
  column: number;
  directives: NfDirective[];
  inputs: NfDeclaration[];
  outputs: NfDeclaration[];
  scriptKind?: 'script' | 'shell' | 'exec';
  script: NfCommandBlock | null;
  stub: NfCommandBlock | null;
}

export interface NfCall {
  /** The name called (an include alias where there is one). */
  name: string;
  /** The process or workflow as defined. */
  component: string;
  kind: 'process' | 'workflow';
  line: number;
  column: number;
  args: ({ value: NfLiteral } | { expr: string })[];
  /** Project-level list only: the calling file and workflow (null: entry workflow), the defining file. */
  file?: string;
  workflow?: string | null;
  definedIn?: string;
}

export interface NfWorkflow {
  name: string | null;
  line: number;
  column: number;
  takes: string[];
  emits: { name: string; line: number; column: number }[];
  calls: NfCall[];
  assigned: { name: string; line: number }[];
  used: { name: string; line: number }[];
}

export interface NfInclude {
  name: string;
  alias: string | null;
  from: string | null;
  fromExpr: string | null;
  /** The file it resolved to, relative to the root. */
  resolved?: string;
  line: number;
  column: number;
}

export interface NfFile {
  path: string;
  includes: NfInclude[];
  processes: NfProcess[];
  workflows: NfWorkflow[];
  functions: string[];
}

export interface NfParam {
  value: NfLiteral;
  file: string;
  line: number;
  column: number;
}

export interface NfConfig {
  files: string[];
  mainScript: string | null;
  params: Record<string, NfParam>;
  profiles: Record<string, Record<string, NfParam>>;
  uses: { name: string; file: string; line: number; column: number }[];
}

/** A process invocation of the entry workflow (sub-workflows inlined: id `WORKFLOW:PROCESS`). */
export interface NfDagNode {
  id: string;
  name: string;
  process: string;
  module: string;
  /** The `if` conditions it runs under, outermost first (`!c` for an else branch). */
  guard: string[];
  args: NfCall['args'];
  line: number;
  column: number;
}

export type NfDagEdge =
  | { from: string; emit: string; to: string; input: string | null; index: number }
  | { param: string; to: string; input: string | null; index: number };

export interface NfDag {
  entry: string | null;
  nodes: NfDagNode[];
  edges: NfDagEdge[];
}

export interface NfCheckResult {
  root: string;
  issues: NfIssue[];
  files: NfFile[];
  config: NfConfig;
  calls: NfCall[];
  dag: NfDag;
}

/** The Groovy 4 core and JSON jars inside npm-groovy-lint (any 4.x version it ships). */
export function groovyJars(): string[] {
  const require = createRequire(import.meta.url);
  let main: string;
  try {
    main = require.resolve('npm-groovy-lint');
  } catch {
    throw new Error(
      "npm-groovy-lint is not installed: run 'npm ci' (it ships the Groovy jars of the pipeline checks)",
    );
  }
  const lib = join(dirname(main), 'java', 'groovy', 'lib');
  const jars = readdirSync(lib).filter((f) => /^groovy-(json-)?4\.[\d.]+\.jar$/.test(f));
  if (jars.length !== 2)
    throw new Error(`expected groovy-4.x and groovy-json-4.x jars in ${lib}, found ${jars}`);
  return jars.sort().map((f) => join(lib, f));
}

function javaBin(): string {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

const JVM_FLAGS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xshare:auto'];

function java(args: string[]): { stdout: string; stderr: string } {
  const r = spawnSync(javaBin(), [...JVM_FLAGS, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error) {
    throw new Error(
      `cannot run java (${r.error.message}): the pipeline checks need Java 17+ (Debian: apt-get install openjdk-17-jre-headless) or JAVA_HOME`,
    );
  }
  if (r.status !== 0) throw new Error(`nf-check failed (exit ${r.status}):\n${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

/** The checker compiled to classes, once per script version (a concurrent compile loses the rename race harmlessly). */
function compiledChecker(jars: string[]): string {
  const hash = createHash('sha256')
    .update(readFileSync(SCRIPT))
    .update(jars.join(':'))
    .digest('hex')
    .slice(0, 16);
  const cacheRoot = join(REPO, 'node_modules', '.cache', 'qtlflow-nf-check');
  const dir = join(cacheRoot, hash);
  if (existsSync(join(dir, 'nf-check.class'))) return dir;
  mkdirSync(cacheRoot, { recursive: true });
  const tmp = mkdtempSync(join(cacheRoot, `.${hash}-`));
  try {
    java(['-cp', jars.join(':'), 'org.codehaus.groovy.tools.FileSystemCompiler', '-d', tmp, SCRIPT]);
    renameSync(tmp, dir);
    // versions of the script compiled before this one
    for (const old of readdirSync(cacheRoot))
      if (old !== hash && !old.startsWith('.'))
        rmSync(join(cacheRoot, old), { recursive: true, force: true });
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(dir, 'nf-check.class'))) throw e;
  }
  return dir;
}

/** Checks each project root (a folder with nextflow.config) in one JVM. */
export function checkPipelines(roots: string[]): NfCheckResult[] {
  const jars = groovyJars();
  const classes = compiledChecker(jars);
  const { stdout } = java(['-cp', [...jars, classes].join(':'), 'nf-check', ...roots.map((r) => resolve(r))]);
  return JSON.parse(stdout) as NfCheckResult[];
}

export function checkPipeline(root: string): NfCheckResult {
  return checkPipelines([root])[0];
}

/** The process DAG that a project's main script declares (for comparison with the local runner's). */
export function declaredDag(root: string = REPO): NfDag {
  return checkPipeline(root).dag;
}

/** `file:line:column: message [kind]`, as compilers print it. */
export function formatIssue(i: NfIssue): string {
  return `${i.file}:${i.line}:${i.column}: ${i.message} [${i.kind}]`;
}
