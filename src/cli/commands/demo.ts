/**
 * `qtlflow demo`: the embedded default. Simulates the demo cohort (src/runner/demo-cohort.ts) in the real input
 * formats, writes the params file `nextflow run pipeline.nf -params-file` and `qtlflow run --config` take, runs
 * the whole DAG on it with the local runner, and scores the results against the planted truth.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify as toYaml } from 'yaml';
import type { Argv, CommandModule } from 'yargs';
import { openParquet, toFloat64, toStrings } from '../../io/parquet.js';
import { resolveParams } from '../../runner/dag.js';
import { DEFAULT_DEMO_COHORT, writeDemoCohort } from '../../runner/demo-cohort.js';
import type { DemoCohort } from '../../runner/demo-cohort.js';
import { runStage, withCommonOptions } from '../framework.js';
import type { CommonArgs, StageContext } from '../framework.js';
import { runPipeline } from './run.js';

interface DemoArgs extends CommonArgs {
  outdir: string;
  samples: number;
  seed: number;
  resume: boolean;
}

/** The demo's planted truth against the run's results: what a user should expect the pipeline to recover. */
export async function scoreDemo(
  cohort: DemoCohort,
  results: string,
  fdr: number,
): Promise<Record<string, unknown>> {
  const perm = await openParquet(join(results, 'merge_permute', 'cis_permute.cis_qtl.parquet'));
  const ids = toStrings(await perm.column('phenotype_id'));
  const q = toFloat64(await perm.column('qval'));
  const found = new Set(ids.filter((_, i) => q[i] <= fdr));
  const planted = cohort.genes.filter((g) => g.causal.length > 0);
  const nulls = cohort.genes.filter((g) => g.causal.length === 0);
  const truePos = planted.filter((g) => found.has(g.geneId)).length;
  const falsePos = nulls.filter((g) => found.has(g.geneId)).length;
  const out: Record<string, unknown> = {
    genes: cohort.genes.length,
    planted_egenes: planted.length,
    planted_with_two_signals: planted.filter((g) => g.causal.length === 2).length,
    discovered_egenes: found.size,
    recall: Number((truePos / planted.length).toFixed(4)),
    false_discovery_rate: found.size ? Number((falsePos / found.size).toFixed(4)) : 0,
  };
  const indPath = join(results, 'merge_independent', 'cis_independent.cis_independent_qtl.parquet');
  if (existsSync(indPath)) {
    const t = await openParquet(indPath);
    const perGene = new Map<string, number>();
    for (const id of toStrings(await t.column('phenotype_id'))) perGene.set(id, (perGene.get(id) ?? 0) + 1);
    const two = planted.filter((g) => g.causal.length === 2);
    out.two_signal_genes_with_two_found = two.filter((g) => (perGene.get(g.geneId) ?? 0) >= 2).length;
    out.one_signal_genes_with_more_found = planted
      .filter((g) => g.causal.length === 1)
      .filter((g) => (perGene.get(g.geneId) ?? 0) >= 2).length;
  }
  return out;
}

export async function demoStage(a: DemoArgs, ctx: StageContext): Promise<Record<string, unknown>> {
  const outdir = resolve(a.outdir);
  const inputs = join(outdir, 'inputs');
  mkdirSync(inputs, { recursive: true });
  ctx.log.info(`simulating the demo cohort (${a.samples} samples) in ${inputs}`);
  const cohort = writeDemoCohort(inputs, { ...DEFAULT_DEMO_COHORT, samples: a.samples, seed: a.seed });
  const userParams = {
    counts: cohort.files.counts,
    annotation: cohort.files.gtf,
    genotypes: cohort.files.vcf,
    known_covariates: cohort.files.knownCovariates,
    factors_k: '10',
    cis_chunks: 2,
    finemap: true,
    gwas: cohort.files.gwas,
    gwas_n: 20000,
    coloc_method: 'abf',
    truth: cohort.files.truth,
  };
  const paramsFile = join(outdir, 'params.yaml');
  writeFileSync(paramsFile, toYaml(userParams));
  const params = resolveParams(userParams, paramsFile);
  const results = join(outdir, 'results');
  const run = await runPipeline(params, ctx, { outdir: results, resume: a.resume });
  const score = await scoreDemo(cohort, results, Number(params.fdr));
  const coloc = join(results, 'coloc', 'coloc.coloc.parquet');
  if (existsSync(coloc)) {
    const t = await openParquet(coloc);
    const locus = toStrings(await t.column('locus_id'));
    const h4 = toFloat64(await t.column('PP.H4'));
    score.coloc = cohort.gwasLoci.map((l) => {
      const i = locus.findIndex((x) => x.startsWith(l.geneId));
      return {
        gene: l.geneId,
        shared_causal_variant: l.shared,
        pp_h4: i >= 0 ? Number(h4[i].toFixed(4)) : null,
      };
    });
  }
  process.stdout.write(
    `qtlflow demo → ${outdir}\n` +
      `  ${score.genes} genes, ${score.planted_egenes} with planted eQTLs (${score.planted_with_two_signals} with two)\n` +
      `  eGenes at FDR ${params.fdr}: ${score.discovered_egenes}; recall ${score.recall}, false discovery rate ${score.false_discovery_rate}\n` +
      (score.two_signal_genes_with_two_found !== undefined
        ? `  independent signals: ${score.two_signal_genes_with_two_found} of ${score.planted_with_two_signals} two-signal genes with both found\n`
        : '') +
      `  params: ${paramsFile} (for qtlflow run --config or nextflow run pipeline.nf -params-file)\n`,
  );
  // written by the stage framework as OUTDIR/demo.summary.json
  return {
    cohort: { ...DEFAULT_DEMO_COHORT, samples: a.samples, seed: a.seed },
    ...run,
    truth_recovery: score,
    params_file: paramsFile,
  };
}

export const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo',
  describe: 'Simulate the demo cohort and run the whole pipeline on it, scored against the planted truth',
  builder: (y: Argv) =>
    withCommonOptions(
      y
        .option('outdir', {
          alias: 'out-dir',
          type: 'string',
          default: 'demo-out',
          describe: 'Output folder',
        })
        .option('samples', {
          type: 'number',
          default: DEFAULT_DEMO_COHORT.samples,
          describe: 'Samples to simulate',
        })
        .option('seed', {
          type: 'number',
          default: DEFAULT_DEMO_COHORT.seed,
          describe: 'Seed of the simulation',
        })
        .option('resume', {
          type: 'boolean',
          default: true,
          describe: 'Reuse completed steps of an earlier run',
        }),
    ) as unknown as Argv<DemoArgs>,
  handler: async (argv) => {
    process.exitCode = await runStage('demo', { ...argv, out: join(argv.outdir, 'demo') }, (ctx) =>
      demoStage(argv, ctx),
    );
  },
};
