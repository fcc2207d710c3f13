/**
 * `qtlflow coverage`: one coverage track per cell group (bedGraph, gzip/zstd bedGraph or bigWig) from a
 * 10x-style ATAC fragment file and a barcode → group table, as snapATAC2 `ex.export_coverage`.
 */
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { exportCoverage } from '../../stages/coverage/index.js';
import type {
  CoverageOptions,
  NormDenominator,
  Normalization,
  TrackFormat,
} from '../../stages/coverage/index.js';
import type { CountingStrategy } from '../../stages/coverage/index.js';
import type { TrackCompression } from '../../io/bedgraph.js';
import { runStage, withCommonOptions, writeJsonAtomic } from '../framework.js';
import type { CommonArgs, StageContext } from '../framework.js';

export interface CoverageArgs extends CommonArgs {
  fragments: string;
  groups: string;
  selections?: string;
  'out-dir': string;
  prefix: string;
  suffix: string;
  'output-format'?: TrackFormat;
  compression?: TrackCompression;
  'compression-level'?: number;
  'bin-size': number;
  blacklist?: string;
  normalization: Normalization;
  'norm-denominator': NormDenominator;
  'include-for-norm'?: string;
  'exclude-for-norm'?: string;
  'min-frag-length'?: number;
  'max-frag-length'?: number;
  'counting-strategy': CountingStrategy;
  'smooth-base'?: number;
  'chrom-sizes'?: string;
  tempdir?: string;
  merge: boolean;
}

function builder(y: Argv): Argv<CoverageArgs> {
  return withCommonOptions(
    y
      .option('fragments', {
        type: 'string',
        demandOption: true,
        describe: 'Fragment file: chrom, start, end, barcode[, count] (0-based; plain, gzip or bgzip)',
      })
      .option('groups', {
        type: 'string',
        demandOption: true,
        describe: 'Barcode → group table (barcode<TAB>group; a "barcode …" header line is allowed)',
      })
      .option('selections', { type: 'string', describe: 'Comma-separated groups to export (default: all)' })
      .option('out-dir', { type: 'string', demandOption: true, describe: 'Output directory' })
      .option('prefix', {
        type: 'string',
        default: '',
        describe: 'File name prefix: PREFIX + group + SUFFIX',
      })
      .option('suffix', {
        type: 'string',
        default: '.bw',
        describe: 'File name suffix; sets the format: .bw, .bedgraph, .bedgraph.gz, .bedgraph.zst',
      })
      .option('output-format', {
        choices: ['bedgraph', 'bigwig'] as const,
        describe: 'Track format (must agree with --suffix)',
      })
      .option('compression', {
        choices: ['none', 'gzip', 'zstd'] as const,
        describe: 'bedGraph compression (must agree with --suffix)',
      })
      .option('compression-level', {
        type: 'number',
        describe: 'gzip 1-9 (default 6) or zstd 1-19 (default 3)',
      })
      .option('bin-size', { type: 'number', default: 10, describe: 'Bin size (bp)' })
      .option('blacklist', {
        type: 'string',
        describe: 'BED of regions: fragments overlapping them are dropped',
      })
      .option('normalization', {
        choices: ['RPKM', 'CPM', 'BPM', 'none'] as const,
        default: 'RPKM' as const,
        describe: 'Scaling of the counts (deepTools definitions)',
      })
      .option('norm-denominator', {
        choices: ['fragments', 'bases'] as const,
        default: 'fragments' as const,
        describe: 'RPKM/CPM total: counted fragments (deepTools) or their bases (snapATAC2 ≥ 2.6)',
      })
      .option('include-for-norm', {
        type: 'string',
        describe: 'BED or regions (chr:start-end,chrM): only fragments overlapping them count for the total',
      })
      .option('exclude-for-norm', {
        type: 'string',
        describe: 'BED or regions: fragments overlapping them do not count for the total',
      })
      .option('min-frag-length', { type: 'number', describe: 'Drop fragments shorter than N bp' })
      .option('max-frag-length', {
        type: 'number',
        default: 2000,
        describe: 'Drop fragments longer than N bp',
      })
      .option('counting-strategy', {
        choices: ['fragment', 'insertion'] as const,
        default: 'fragment' as const,
        describe: 'fragment: fragments overlapping a bin; insertion: Tn5 sites (start, end−1) in a bin',
      })
      .option('smooth-base', { type: 'number', describe: 'Moving average over N bases, centred' })
      .option('chrom-sizes', {
        type: 'string',
        describe: 'UCSC chrom.sizes (required for bigWig; fragments are checked against it)',
      })
      .option('tempdir', {
        type: 'string',
        describe: 'Directory for the external sort of an unsorted fragment file',
      })
      .option('merge', {
        type: 'boolean',
        default: true,
        describe: 'Join book-ended bins of equal value (--no-merge: one interval per non-zero bin)',
      })
      .check((a) => {
        const posInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1;
        if (!posInt(a['bin-size'])) throw new Error('--bin-size must be a positive integer');
        if (a['smooth-base'] !== undefined && !posInt(a['smooth-base']))
          throw new Error('--smooth-base must be a positive integer');
        for (const f of ['min-frag-length', 'max-frag-length'] as const)
          if (a[f] !== undefined && !(Number.isInteger(a[f]) && (a[f] as number) >= 0))
            throw new Error(`--${f} must be a non-negative integer`);
        const lvl = a['compression-level'];
        if (lvl !== undefined && !(Number.isInteger(lvl) && lvl >= 1 && lvl <= 19))
          throw new Error('--compression-level must be an integer 1-19 (gzip: 1-9)');
        return true;
      }),
  ) as unknown as Argv<CoverageArgs>;
}

/** Parsed CLI flags → stage options. */
export function coverageOptions(a: CoverageArgs, threads = a.threads): CoverageOptions {
  return {
    threads,
    fragments: a.fragments,
    groups: a.groups,
    selections: a.selections
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    outDir: a['out-dir'],
    prefix: a.prefix,
    suffix: a.suffix,
    format: a['output-format'],
    compression: a.compression,
    compressionLevel: a['compression-level'],
    binSize: a['bin-size'],
    blacklist: a.blacklist,
    normalization: a.normalization,
    normDenominator: a['norm-denominator'],
    includeForNorm: a['include-for-norm'],
    excludeForNorm: a['exclude-for-norm'],
    minFragLength: a['min-frag-length'],
    maxFragLength: a['max-frag-length'],
    strategy: a['counting-strategy'],
    smoothBase: a['smooth-base'],
    chromSizes: a['chrom-sizes'],
    tempdir: a.tempdir,
    merge: a.merge,
  };
}

/** Where the group → file JSON and the run summary go: OUT_DIR/PREFIXcoverage.json / .summary.json. */
export function coverageOutPrefix(a: CoverageArgs): string {
  return join(a['out-dir'], `${a.prefix}coverage`);
}

/** The stage from parsed options (what the CLI and a local runner call). */
export async function coverageStage(a: CoverageArgs, ctx: StageContext): Promise<Record<string, unknown>> {
  const r = await exportCoverage(coverageOptions(a, ctx.threads), ctx);
  const mapPath = `${coverageOutPrefix(a)}.json`;
  writeJsonAtomic(ctx.outputs, mapPath, r.files);
  for (const [g, rep] of Object.entries(r.groups))
    ctx.log.info(
      `${g}: ${rep.fragments_counted} fragments counted of ${rep.fragments_in_file}, scale ${rep.scale_factor}, ${rep.intervals_written} intervals → ${rep.file}`,
    );
  return { files_json: mapPath, ...r };
}

/** Runs the stage with the CLI's logging, atomic outputs and summary; returns the exit code. */
export function runCoverage(a: CoverageArgs): Promise<number> {
  return runStage('coverage', { ...a, out: coverageOutPrefix(a) }, (ctx) => coverageStage(a, ctx));
}

export const coverageCommand: CommandModule<object, CoverageArgs> = {
  command: 'coverage',
  describe: 'Per-group coverage tracks (bedGraph / bigWig) from ATAC fragments',
  builder,
  handler: async (argv) => {
    process.exitCode = await runCoverage(argv);
  },
};
