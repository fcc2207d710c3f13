/**
 * `qtlflow report`: one self-contained HTML file summarizing a run (Manhattan, QQ with λ_GC, eGenes, locus and
 * expression-by-genotype plots, PIPs, PP.H4, normalization QC, run costs; recall and false-discovery rate
 * against a planted truth), from result files recognised by their content.
 */
import type { Argv, CommandModule } from 'yargs';
import { buildReport } from '../../stages/report/index.js';
import { runStage, summaryPathFor, withCommonOptions } from '../framework.js';
import type { CommonArgs, StageContext } from '../framework.js';

export interface ReportArgs extends CommonArgs {
  inputs: string[];
  out: string;
  genotypes?: string;
  phenotypes?: string;
  truth?: string;
  fdr?: number;
  'top-loci': number;
  'max-points': number;
  title?: string;
}

function builder(y: Argv): Argv<ReportArgs> {
  return withCommonOptions(
    y
      .positional('inputs', {
        type: 'string',
        array: true,
        default: [],
        describe:
          'Result files or folders: cis tables, SuSiE/coloc tables, *.summary.json, normalize --report JSON',
      })
      .option('out', { type: 'string', demandOption: true, describe: 'Output HTML file (report.html)' })
      .option('genotypes', {
        type: 'string',
        describe:
          'Genotypes (any format import reads): lead-variant genotypes for expression-by-genotype plots; variant positions when IDs and phenotypes do not give them',
      })
      .option('phenotypes', {
        type: 'string',
        describe:
          'Phenotypes (BED or Parquet): values for expression-by-genotype plots; TSS for variant positions',
      })
      .option('truth', {
        type: 'string',
        describe:
          'Planted truth TSV (phenotype_id, causal_variants, effect_sizes): recall and false-discovery rate',
      })
      .option('fdr', { type: 'number', describe: "eGene FDR (default: the cis run's --fdr, else 0.05)" })
      .option('top-loci', {
        type: 'number',
        default: 6,
        describe: 'Top eGenes with locus, expression-by-genotype and PIP plots',
      })
      .option('max-points', {
        type: 'number',
        default: 10000,
        describe: 'Points of the Manhattan plot (thinned beyond)',
      })
      .option('title', { type: 'string', describe: 'Report title' })
      .check((a) => {
        if (a.fdr !== undefined && !(a.fdr > 0 && a.fdr < 1))
          throw new Error('--fdr must be between 0 and 1');
        if (!(Number.isInteger(a['top-loci']) && a['top-loci'] >= 0))
          throw new Error('--top-loci must be an integer ≥ 0');
        if (!(Number.isInteger(a['max-points']) && a['max-points'] >= 100))
          throw new Error('--max-points must be an integer ≥ 100');
        if (!/\.html?$/i.test(a.out)) throw new Error('--out must name an .html file');
        return true;
      }),
  ) as unknown as Argv<ReportArgs>;
}

export function reportStage(a: ReportArgs, ctx: StageContext): Promise<Record<string, unknown>> {
  return buildReport(
    {
      inputs: a.inputs.map(String),
      out: a.out,
      exclude: [a.out, summaryPathFor(a.out)],
      genotypes: a.genotypes,
      phenotypes: a.phenotypes,
      truth: a.truth,
      fdr: a.fdr,
      topLoci: a['top-loci'],
      maxPoints: a['max-points'],
      title: a.title,
    },
    ctx,
  );
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report [inputs..]',
  describe:
    'Self-contained HTML report of a run: Manhattan, QQ, eGenes, loci, expression by genotype, PIPs, coloc',
  builder,
  handler: async (argv) => {
    process.exitCode = await runStage('report', argv, (ctx) => reportStage(argv, ctx));
  },
};
