/**
 * `qtlflow trans`: all variants × all phenotypes in batches through the GEMM backend (tensorQTL map_trans),
 * pairs with p ≤ --pval-threshold outside --cis-exclude of the TSS written as tensorQTL's trans table; with
 * --permutations, each phenotype's top trans association with permutation/beta p-values and q-values.
 */
import type { Argv, CommandModule } from 'yargs';
import { InputError } from '../../io/errors.js';
import { ParquetTableWriter } from '../../io/parquet.js';
import { TRANS, TRANS_PERMUTATION } from '../../io/results.js';
import { TransMapper } from '../../stages/trans/index.js';
import type { TransBatch, TransTopRow } from '../../stages/trans/index.js';
import { estimatePi0, qvalues } from '../../stats/qvalue.js';
import { readAssociationInputs } from '../analysis-inputs.js';
import { runStage, stageParams, withCommonOptions, withMappingInputs } from '../framework.js';
import type { CommonArgs, StageContext } from '../framework.js';

export interface TransArgs extends CommonArgs {
  genotypes: string;
  phenotypes: string;
  covariates?: string;
  out: string;
  'pval-threshold': number;
  'cis-exclude': number;
  'maf-min': number;
  'batch-size': number;
  permutations: number;
  seed: number;
  'min-samples': number;
}

function builder(y: Argv): Argv<TransArgs> {
  return withCommonOptions(
    withMappingInputs(y)
      .option('out', { type: 'string', demandOption: true, describe: 'Output prefix' })
      .option('pval-threshold', { type: 'number', default: 1e-5, describe: 'Report pairs with p ≤ X' })
      .option('cis-exclude', {
        type: 'number',
        default: 5_000_000,
        describe: 'Leave out pairs on the same chromosome within X bp of the TSS (0: keep all)',
      })
      .option('maf-min', {
        type: 'number',
        default: 0.05,
        describe: 'Test variants with MAF ≥ X (tensorQTL map_trans)',
      })
      .option('batch-size', { type: 'number', default: 10_000, describe: 'Variants per matrix product' })
      .option('permutations', {
        type: 'number',
        default: 0,
        describe: 'Shuffles for the genome-wide permutation FDR of each phenotype’s top trans hit (0: none)',
      })
      .option('seed', { type: 'number', default: 123456789, describe: 'Seed of the shuffles' })
      .option('min-samples', { type: 'number', default: 10, describe: 'Fail below this many shared samples' })
      .check((a) => {
        if (!(a['pval-threshold'] > 0 && a['pval-threshold'] <= 1))
          throw new Error('--pval-threshold must be in (0, 1]');
        if (!(a['cis-exclude'] >= 0)) throw new Error('--cis-exclude must be ≥ 0');
        if (!(Number.isInteger(a['batch-size']) && a['batch-size'] >= 1))
          throw new Error('--batch-size must be a positive integer');
        if (!(Number.isInteger(a.permutations) && (a.permutations === 0 || a.permutations >= 10)))
          throw new Error('--permutations must be 0 or an integer ≥ 10');
        return true;
      }),
  ) as unknown as Argv<TransArgs>;
}

function transColumns(b: TransBatch) {
  const k = b.length;
  return [
    b.variantId,
    b.phenotypeId,
    b.pval.subarray(0, k),
    b.b.subarray(0, k),
    b.bSe.subarray(0, k),
    b.r2.subarray(0, k),
    b.af.subarray(0, k),
    b.variantChr,
    b.variantPos.subarray(0, k),
    b.phenotypeChr,
    b.phenotypeTss.subarray(0, k),
  ];
}

function permutationColumns(rows: TransTopRow[], qval: Float64Array) {
  const col = <T>(f: (r: TransTopRow) => T) => rows.map(f);
  const f64 = (f: (r: TransTopRow) => number) => Float64Array.from(col(f));
  return [
    col((r) => r.phenotypeId),
    Int32Array.from(col((r) => r.numVar)),
    f64((r) => r.shape1),
    f64((r) => r.shape2),
    f64((r) => r.trueDf),
    f64((r) => r.pvalTrueDf),
    col((r) => r.variantId),
    f64((r) => r.af),
    f64((r) => r.pvalNominal),
    f64((r) => r.b),
    f64((r) => r.bSe),
    f64((r) => r.pvalPerm),
    f64((r) => r.pvalBeta),
    qval,
  ];
}

export async function transStage(a: TransArgs, ctx: StageContext): Promise<Record<string, unknown>> {
  const { log } = ctx;
  const { phenotypes, reader, inputs } = await readAssociationInputs(a, (m) => log.warn(m));
  const n = inputs.keep.length;
  const mapper = new TransMapper(reader, inputs.genotypeIndex, inputs.residualizer, inputs.k, phenotypes, {
    batchSize: a['batch-size'],
    pvalThreshold: a['pval-threshold'],
    cisExclude: a['cis-exclude'],
    mafMin: a['maf-min'],
    permutations: a.permutations,
    seed: a.seed,
  });
  if (mapper.stats.constantPhenotypes.length)
    log.warn(
      `${mapper.stats.constantPhenotypes.length} phenotypes are constant after the covariates and are not tested`,
    );
  log.info(
    `${n} samples, ${inputs.k} covariates; ${mapper.stats.phenotypesTested} phenotypes; GEMM backend ${mapper.gemm.name} (${mapper.gemm.detail})`,
  );
  const params = stageParams(a);
  const pairsPath = `${a.out}.trans_qtl_pairs.parquet`;
  // small row groups: the writer holds one row group, so memory stays flat however many pairs pass
  const writer = new ParquetTableWriter(
    ctx.outputs.claim(pairsPath),
    TRANS.columns,
    { schema: TRANS.schema, params },
    { rowGroupSize: 16_384 },
  );
  const progress = log.progress('variants read', 0);
  const t0 = process.cpuUsage();
  await mapper.map(
    (b) => writer.write(transColumns(b)),
    (d) => progress.tick(d),
  );
  progress.finish();
  writer.close();
  await reader.close();
  const cpu = process.cpuUsage(t0);
  const s = mapper.stats;
  if (s.variantsTested === 0)
    throw new InputError(
      'no variant passed the filters (biallelic, polymorphic, MAF, not collinear with covariates)',
      {
        file: a.genotypes,
        hint: `--maf-min is ${a['maf-min']}`,
      },
    );
  log.info(
    `${s.pairsReported} pairs with p ≤ ${a['pval-threshold']} of ${s.pairsTested} trans pairs (${s.pairsExcludedCis} cis pairs left out)`,
  );
  const summary: Record<string, unknown> = {
    samples: inputs.counts,
    covariates: { count: inputs.k, rank_with_intercept: inputs.residualizer.rank },
    dof: mapper.dof,
    gemm_backend: mapper.gemm.name,
    gemm_detail: mapper.gemm.detail,
    gemm: {
      seconds: Number(s.gemmSeconds.toFixed(3)),
      gflop: Number((s.gemmFlops / 1e9).toFixed(3)),
      gflops: s.gemmSeconds > 0 ? Number((s.gemmFlops / 1e9 / s.gemmSeconds).toFixed(2)) : null,
    },
    cpu_seconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(3)),
    variants: { read: s.variantsRead, tested: s.variantsTested, skipped: s.variantsSkipped },
    phenotypes: {
      total: phenotypes.phenotypeId.length,
      tested: s.phenotypesTested,
      constant: s.constantPhenotypes,
    },
    pairs: {
      tested: s.pairsTested,
      cis_excluded: s.pairsExcludedCis,
      reported: s.pairsReported,
      file: pairsPath,
    },
  };
  if (a.permutations > 0) {
    const top = mapper.topAssociations();
    const pBeta = top.map((r) => r.pvalBeta);
    const pi0 = estimatePi0(pBeta);
    const q = qvalues(pBeta, pi0.pi0);
    const permPath = `${a.out}.trans_qtl_permutation.parquet`;
    const w = new ParquetTableWriter(ctx.outputs.claim(permPath), TRANS_PERMUTATION.columns, {
      schema: TRANS_PERMUTATION.schema,
      params,
    });
    w.write(permutationColumns(top, q));
    w.close();
    const significant = Array.from(q).filter((x) => x <= 0.05).length;
    log.info(`permutations: ${significant} of ${top.length} phenotypes with a trans hit at q ≤ 0.05`);
    summary.permutation = {
      file: permPath,
      permutations: a.permutations,
      seed: a.seed,
      pi0: pi0.pi0,
      pi0_method: pi0.method,
      significant_at_0_05: significant,
    };
  }
  return summary;
}

export const transCommand: CommandModule<object, TransArgs> = {
  command: 'trans',
  describe: 'trans-QTL mapping: every variant × every phenotype, pairs below a p threshold; permutation FDR',
  builder,
  handler: async (argv) => {
    process.exitCode = await runStage('trans', argv, (ctx) => transStage(argv, ctx));
  },
};
