/**
 * What every stage CLI shares: common flags, logging, atomic outputs, the JSON run summary, and the
 * exit-code contract (0 success; 2 bad input or usage; 1 internal error).
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Argv } from 'yargs';
import { InputError } from '../io/errors.js';
import { OutputSet } from '../io/atomic.js';
import { VERSION } from '../version.js';
import { Logger } from './log.js';
import type { LogFormat } from './log.js';

export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_INPUT = 2;

export interface CommonArgs {
  quiet: boolean;
  'log-format': LogFormat;
  threads: number;
}

export function withCommonOptions<T>(y: Argv<T>): Argv<T & CommonArgs> {
  return y
    .option('quiet', { type: 'boolean', default: false, describe: 'Only warnings and errors on stderr' })
    .option('log-format', {
      choices: ['text', 'json'] as const,
      default: 'text' as LogFormat,
      describe: 'Log line format on stderr',
    })
    .option('threads', {
      type: 'number',
      default: availableParallelism(),
      describe: 'Worker threads (default: all cores)',
    }) as Argv<T & CommonArgs>;
}

export interface MappingInputArgs {
  genotypes: string;
  phenotypes: string;
  covariates?: string;
}

/** The inputs of the stages that model phenotypes on genotypes with covariates (cis, trans, rare). */
export function withMappingInputs<T>(y: Argv<T>): Argv<T & MappingInputArgs> {
  return y
    .option('genotypes', {
      type: 'string',
      demandOption: true,
      describe: 'Genotypes: VCF.gz, PLINK, BGEN, .pgen or genotype Parquet',
    })
    .option('phenotypes', {
      type: 'string',
      demandOption: true,
      describe: 'Phenotypes: BED(.gz) (#chr start end id samples…) or phenotypes Parquet',
    })
    .option('covariates', {
      type: 'string',
      describe: 'Covariates: Parquet (sample_id + columns) or text (id samples…, one row per covariate)',
    }) as Argv<T & MappingInputArgs>;
}

export interface StageContext {
  log: Logger;
  outputs: OutputSet;
  threads: number;
}

/** What a stage returns: its key figures for the run summary. */
export type StageSummary = Record<string, unknown>;

/** `OUT.parquet` (or `OUT.html`) → `OUT.summary.json`; a directory or prefix gets `.summary.json` appended. */
export function summaryPathFor(out: string): string {
  return out.replace(/\.(parquet|html?)$/i, '') + '.summary.json';
}

export function writeJsonAtomic(outputs: OutputSet, path: string, value: unknown): void {
  writeFileSync(outputs.claim(path), JSON.stringify(value, null, 2) + '\n');
}

/**
 * Runs one stage: sets up logging and the output set, writes the run summary next to `out`, renames
 * every output into place on success and removes them all on failure. Returns the exit code.
 */
export async function runStage(
  stage: string,
  args: CommonArgs & { out: string },
  body: (ctx: StageContext) => Promise<StageSummary>,
): Promise<number> {
  const log = new Logger({ stage, format: args['log-format'], quiet: args.quiet });
  const outputs = new OutputSet();
  // Interrupted (Ctrl-C, or a scheduler killing the task): remove temporaries and exit 128 + signal, the codes
  // Nextflow's retry policy (conf/base.config) recognises.
  const onSignal = (signal: NodeJS.Signals): void => {
    outputs.abort();
    log.error(`interrupted by ${signal}; no output written`);
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const started = new Date();
  const t0 = process.hrtime.bigint();
  try {
    const result = await body({ log, outputs, threads: Math.max(1, Math.floor(args.threads)) });
    const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
    const summaryPath = summaryPathFor(args.out);
    const outputsWritten = outputs.paths();
    writeJsonAtomic(outputs, summaryPath, {
      stage,
      qtlflow_version: VERSION,
      started: started.toISOString(),
      elapsed_seconds: Number(elapsed.toFixed(3)),
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      params: stageParams(args),
      outputs: outputsWritten,
      ...result,
    });
    outputs.commit();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    log.info(`done in ${elapsed.toFixed(1)} s; wrote ${[...outputsWritten, summaryPath].join(', ')}`);
    return EXIT_OK;
  } catch (e) {
    outputs.abort();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    if (e instanceof InputError) {
      log.error(e.describe(), { ...e.context, exit_code: EXIT_INPUT });
      return EXIT_INPUT;
    }
    const err = e as Error;
    log.error(`internal error: ${err.stack ?? err.message}`, { exit_code: EXIT_INTERNAL });
    return EXIT_INTERNAL;
  }
}

/** The kebab-case flags of a parsed command line (yargs also adds camelCase aliases, `_` and `$0`). */
export function stageParams(args: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const entries = Object.entries(args as Record<string, unknown>);
  // the camelCase aliases yargs adds for kebab-case flags (flags such as --L or --N1 are kept)
  const aliases = new Set(
    entries
      .map(([k]) => k)
      .filter((k) => k.includes('-'))
      .map((k) => k.replace(/-([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase())),
  );
  for (const [k, v] of entries) {
    if (k === '_' || k === '$0' || aliases.has(k) || k === 'quiet' || k === 'log-format') continue;
    out[k] = v;
  }
  return out;
}
