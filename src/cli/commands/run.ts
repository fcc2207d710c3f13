/**
 * `qtlflow run --config params.yaml`: the pipeline's DAG on this machine, without Nextflow. The params file is
 * the one `nextflow run pipeline.nf -params-file` takes (JSON or YAML, Nextflow's snake_case names); relative
 * paths are relative to the working directory, as in Nextflow.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Argv, CommandModule } from 'yargs';
import { InputError } from '../../io/errors.js';
import { requireFile } from '../../io/text.js';
import { buildSteps, processGraph, resolveParams } from '../../runner/dag.js';
import type { Params } from '../../runner/dag.js';
import { executeSteps } from '../../runner/execute.js';
import { runStage, withCommonOptions } from '../framework.js';
import type { CommonArgs, StageContext } from '../framework.js';

export interface RunArgs extends CommonArgs {
  config: string;
  outdir?: string;
  resume: boolean;
  'dry-run': boolean;
}

export function readParamsFile(path: string): Record<string, unknown> {
  requireFile(path, 'params file');
  const text = readFileSync(path, 'utf8');
  let value: unknown;
  try {
    value = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new InputError(`not a readable params file (${(e as Error).message.split('\n')[0]})`, {
      file: path,
      expected: 'JSON or YAML mapping parameter names (as in nextflow_schema.json) to values',
    });
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new InputError('the params file must be a mapping of parameter names to values', { file: path });
  return value as Record<string, unknown>;
}

/** Runs the DAG for resolved params; returns the run summary's figures. */
export async function runPipeline(
  params: Params,
  ctx: StageContext,
  o: { outdir: string; resume: boolean; dryRun?: boolean },
): Promise<Record<string, unknown>> {
  const outdir = resolve(o.outdir);
  const abs = (v: Params[string]) => (typeof v === 'string' && v ? resolve(v) : v);
  const p: Params = { ...params };
  for (const k of [
    'counts',
    'annotation',
    'genotypes',
    'covariates',
    'gwas',
    'known_covariates',
    'truth',
    'fragments',
    'cell_groups',
    'chrom_sizes',
    'blacklist',
  ])
    if (k in p) p[k] = abs(p[k]);
  const steps = buildSteps(p, outdir, ctx.threads);
  const graph = processGraph(steps);
  if (o.dryRun) {
    process.stdout.write(JSON.stringify({ steps, graph }, null, 2) + '\n');
    return { dry_run: true, steps: steps.length, graph };
  }
  ctx.log.info(`${steps.length} steps (${graph.nodes.join(', ')}) → ${outdir}`);
  const results = await executeSteps(steps, {
    outdir,
    resume: o.resume,
    log: (line) => ctx.log.info(line),
  });
  return {
    outdir,
    params: p,
    graph,
    steps: results,
    ran: results.filter((r) => r.status === 'ran').length,
    cached: results.filter((r) => r.status === 'cached').length,
  };
}

function builder(y: Argv): Argv<RunArgs> {
  return withCommonOptions(
    y
      .option('config', {
        type: 'string',
        demandOption: true,
        describe: 'Params file (JSON or YAML; the names of nextflow_schema.json)',
      })
      .option('outdir', { type: 'string', describe: 'Results folder (default: the params file’s outdir)' })
      .option('resume', {
        type: 'boolean',
        default: true,
        describe: 'Skip steps already completed with the same inputs and parameters (--no-resume: run all)',
      })
      .option('dry-run', {
        type: 'boolean',
        default: false,
        describe: 'Print the steps and the DAG as JSON',
      }),
  ) as unknown as Argv<RunArgs>;
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run',
  describe:
    'Run the pipeline’s DAG on this machine from a params file (what pipeline.nf runs, without Nextflow)',
  builder,
  handler: async (argv) => {
    const raw = readParamsFileSafe(argv.config);
    const outdir = argv.outdir ?? (typeof raw?.outdir === 'string' ? raw.outdir : 'results');
    process.exitCode = await runStage('run', { ...argv, out: join(outdir, 'run') }, async (ctx) => {
      const params = resolveParams(readParamsFile(argv.config), argv.config);
      return runPipeline(params, ctx, { outdir, resume: argv.resume, dryRun: argv['dry-run'] });
    });
  },
};

/** The params file's outdir, read before the run starts (errors are reported by the run itself). */
function readParamsFileSafe(path: string): Record<string, unknown> | undefined {
  try {
    return readParamsFile(path);
  } catch {
    return undefined;
  }
}
