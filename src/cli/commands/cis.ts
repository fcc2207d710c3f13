/**
 * `qtlflow cis`: cis-QTL mapping (nominal pass, permutation pass with the beta approximation, q-values and
 * nominal thresholds) on genotypes (any format `openGenotypes` reads) and phenotypes (BED(.gz) or phenotypes
 * Parquet), with covariates (Parquet or FastQTL/tensorQTL text).
 */
import type { Argv, CommandModule } from 'yargs';
import { readCovariatesAny } from '../../io/covariates.js';
import { InputError } from '../../io/errors.js';
import { canonicalChrom } from '../../io/genome.js';
import { openGenotypes } from '../../io/genotypes/index.js';
import { readExpressionMatrix } from '../../io/matrix.js';
import { ParquetTableWriter } from '../../io/parquet.js';
import { CIS_NOMINAL, CIS_PERMUTATION } from '../../io/results.js';
import { CisMapper, phenotypesByChromosome } from '../../stages/cis/index.js';
import { alignAnalysisSamples } from '../../stages/cis/inputs.js';
import type { NominalRows, PermutationRow, SkipReason } from '../../stages/cis/index.js';
import { benjaminiHochberg, estimatePi0, nominalThresholds, qvalues } from '../../stats/qvalue.js';
import { runStage, stageParams, withCommonOptions } from '../framework.js';
import type { CommonArgs, StageContext } from '../framework.js';

export interface CisArgs extends CommonArgs {
  genotypes: string;
  phenotypes: string;
  covariates?: string;
  mode: 'nominal' | 'permute';
  out: string;
  window: number;
  permutations: number;
  seed: number;
  'maf-min': number;
  'ma-samples-min': number;
  fdr: number;
  'qvalue-lambda'?: number;
  'multiple-testing': 'qvalue' | 'bh';
  'dof-convention': 'fastqtl' | 'qtltools';
  'min-samples': number;
}

function builder(y: Argv): Argv<CisArgs> {
  return withCommonOptions(
    y
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
      })
      .option('mode', {
        choices: ['nominal', 'permute'] as const,
        demandOption: true,
        describe: 'nominal: every cis pair; permute: one row per phenotype with permutation p-values',
      })
      .option('out', { type: 'string', demandOption: true, describe: 'Output prefix' })
      .option('window', { type: 'number', default: 1_000_000, describe: 'cis window (bp) around the TSS' })
      .option('permutations', {
        type: 'number',
        default: 1000,
        describe: 'Permutations per phenotype (permute mode)',
      })
      .option('seed', { type: 'number', default: 123456789, describe: 'Seed of the permutations' })
      .option('maf-min', {
        type: 'number',
        default: 0,
        describe: 'Test variants with minor allele frequency ≥ X (monomorphic variants are never tested)',
      })
      .option('ma-samples-min', {
        type: 'number',
        default: 0,
        describe: 'Test variants with at least N samples carrying the minor allele',
      })
      .option('fdr', {
        type: 'number',
        default: 0.05,
        describe: 'FDR for eGenes and the nominal thresholds (permute mode)',
      })
      .option('qvalue-lambda', {
        type: 'number',
        describe: 'Fixed λ for π0 (default: the qvalue smoother over λ = 0.05…0.95)',
      })
      .option('multiple-testing', {
        choices: ['qvalue', 'bh'] as const,
        default: 'qvalue' as const,
        describe: 'Storey q-values or Benjamini–Hochberg',
      })
      .option('dof-convention', {
        choices: ['fastqtl', 'qtltools'] as const,
        default: 'fastqtl' as const,
        describe: 'Residual df: n − 2 − k (FastQTL, tensorQTL) or n − 2 (QTLtools)',
      })
      .option('min-samples', {
        type: 'number',
        default: 10,
        describe: 'Fail when fewer samples are shared by genotypes, phenotypes and covariates',
      })
      .check((a) => {
        if (!(a.window >= 0)) throw new Error('--window must be ≥ 0');
        if (!(Number.isInteger(a.permutations) && a.permutations >= 10))
          throw new Error('--permutations must be an integer ≥ 10');
        if (!(a.fdr > 0 && a.fdr < 1)) throw new Error('--fdr must be between 0 and 1');
        if (a['qvalue-lambda'] !== undefined && !(a['qvalue-lambda'] >= 0 && a['qvalue-lambda'] < 1))
          throw new Error('--qvalue-lambda must be in [0, 1)');
        return true;
      }),
  ) as unknown as Argv<CisArgs>;
}

function preview(ids: string[]): string {
  return ids
    .slice(0, 3)
    .map((s) => `'${s}'`)
    .join(', ');
}

export async function cisStage(a: CisArgs, ctx: StageContext): Promise<Record<string, unknown>> {
  const { log } = ctx;
  const ph = await readExpressionMatrix(a.phenotypes, undefined, undefined, true);
  if (!ph.chr || !ph.start || !ph.end)
    throw new InputError('phenotypes have no positions', {
      file: a.phenotypes,
      expected: 'a BED (#chr start end id samples…) or a phenotypes Parquet with chr, start, end',
    });
  const reader = await openGenotypes(a.genotypes);
  const genoSamples = await reader.samples();
  const cov = a.covariates ? await readCovariatesAny(a.covariates) : undefined;

  const { keep, counts, genotypeIndex, k, residualizer, values } = alignAnalysisSamples(
    ph,
    genoSamples,
    cov,
    { phenotypes: a.phenotypes, covariates: a.covariates },
    a['min-samples'],
    (m) => log.warn(m),
  );
  const n = keep.length;
  const dofCheck = a['dof-convention'] === 'qtltools' ? n - 2 : n - 2 - k;
  if (dofCheck < 1)
    throw new InputError(`${n} samples leave no residual degrees of freedom with ${k} covariates`, {
      file: a.covariates,
    });
  const nPh = ph.phenotypeId.length;

  const mapper = new CisMapper(reader, genotypeIndex, residualizer, k, {
    mode: a.mode,
    window: a.window,
    permutations: a.permutations,
    seed: a.seed,
    mafMin: a['maf-min'],
    maSamplesMin: a['ma-samples-min'],
    dofConvention: a['dof-convention'],
  });
  log.info(
    `${n} samples, ${k} covariates (rank ${residualizer.rank} with the intercept), dof ${mapper.dof}; GEMM backend: ${mapper.backend}`,
  );

  const params = stageParams(a);
  const skipped: Record<SkipReason, string[]> = { constant_phenotype: [], no_variants_in_window: [] };
  const perm: PermutationRow[] = [];
  const nominalFiles: string[] = [];
  let nominalPairs = 0;
  const byChr = phenotypesByChromosome({ chr: ph.chr, start: ph.start, phenotypeId: ph.phenotypeId });
  const cisPh = { chr: ph.chr, start: ph.start, end: ph.end, phenotypeId: ph.phenotypeId, values };
  let done = 0;
  const progress = log.progress('phenotypes', nPh);
  for (const [chr, rows] of byChr) {
    await mapper.mapChromosome(chr, cisPh, rows, {
      nominal:
        a.mode === 'nominal'
          ? (c: string, r: NominalRows) => {
              const path = `${a.out}.cis_qtl_pairs.${canonicalChrom(c)}.parquet`;
              const w = new ParquetTableWriter(ctx.outputs.claim(path), CIS_NOMINAL.columns, {
                schema: CIS_NOMINAL.schema,
                params,
              });
              w.write([
                r.phenotypeId,
                r.variantId,
                Int32Array.from(r.startDistance),
                Float64Array.from(r.af),
                Int32Array.from(r.maSamples),
                Int32Array.from(r.maCount),
                Float64Array.from(r.pvalNominal),
                Float64Array.from(r.slope),
                Float64Array.from(r.slopeSe),
              ]);
              w.close();
              nominalFiles.push(path);
              nominalPairs += r.phenotypeId.length;
            }
          : undefined,
      permutation: a.mode === 'permute' ? (row) => perm.push(row) : undefined,
      skipped: (id, reason) => skipped[reason].push(id),
    });
    done += rows.length;
    progress.tick(done);
  }
  progress.finish();
  if (mapper.stats.variantsRead === 0)
    throw new InputError('no genotyped variant lies in any phenotype’s cis window', {
      file: a.genotypes,
      hint: `The phenotypes are on chromosomes ${[...byChr.keys()].slice(0, 5).join(', ')}: check that the genotype file has them (chromosome names, genome build)`,
    });
  for (const [reason, ids] of Object.entries(skipped))
    if (ids.length) log.warn(`${ids.length} phenotypes not tested (${reason}), e.g. ${preview(ids)}`);

  const summary: Record<string, unknown> = {
    samples: counts,
    covariates: { count: k, rank_with_intercept: residualizer.rank, dependent: residualizer.dropped },
    dof: mapper.dof,
    gemm_backend: mapper.backend,
    variants: mapper.stats,
    phenotypes: { total: nPh, tested: mapper.stats.phenotypesTested, skipped },
  };
  if (a.mode === 'nominal') return { ...summary, nominal: { files: nominalFiles, pairs: nominalPairs } };

  const pBeta = perm.map((r) => r.pvalBeta);
  let qval: Float64Array;
  let pi0: Record<string, unknown> = {};
  if (a['multiple-testing'] === 'bh') qval = benjaminiHochberg(pBeta);
  else {
    const est = estimatePi0(pBeta, a['qvalue-lambda']);
    qval = qvalues(pBeta, est.pi0);
    pi0 = { pi0: est.pi0, method: est.method, lambda: est.lambda, pi0_lambda: est.pi0Lambda };
  }
  const thr = nominalThresholds(
    pBeta,
    qval,
    perm.map((r) => r.shape1),
    perm.map((r) => r.shape2),
    a.fdr,
  );
  const path = `${a.out}.cis_qtl.parquet`;
  const col = <T>(f: (r: PermutationRow) => T) => perm.map(f);
  const w = new ParquetTableWriter(ctx.outputs.claim(path), CIS_PERMUTATION.columns, {
    schema: CIS_PERMUTATION.schema,
    params,
  });
  w.write([
    col((r) => r.phenotypeId),
    Int32Array.from(col((r) => r.numVar)),
    Float64Array.from(col((r) => r.shape1)),
    Float64Array.from(col((r) => r.shape2)),
    Float64Array.from(col((r) => r.trueDf)),
    Float64Array.from(col((r) => r.pvalTrueDf)),
    col((r) => r.variantId),
    Int32Array.from(col((r) => r.startDistance)),
    Float64Array.from(col((r) => r.af)),
    Int32Array.from(col((r) => r.maSamples)),
    Int32Array.from(col((r) => r.maCount)),
    Float64Array.from(col((r) => r.pvalNominal)),
    Float64Array.from(col((r) => r.slope)),
    Float64Array.from(col((r) => r.slopeSe)),
    Float64Array.from(col((r) => r.pvalPerm)),
    Float64Array.from(pBeta),
    qval,
    thr ? thr.thresholds : new Float64Array(perm.length).fill(NaN),
  ]);
  w.close();
  const eGenes = qval.filter((q) => q <= a.fdr).length;
  log.info(`${eGenes} of ${perm.length} phenotypes significant at FDR ${a.fdr}`);
  return {
    ...summary,
    permutation: {
      file: path,
      permutations: a.permutations,
      seed: a.seed,
      multiple_testing: a['multiple-testing'],
      ...pi0,
      fdr: a.fdr,
      significant: eGenes,
      min_p_threshold: thr?.pThreshold ?? null,
    },
  };
}

export const cisCommand: CommandModule<object, CisArgs> = {
  command: 'cis',
  describe:
    'cis-QTL mapping: nominal pass, or permutation pass with beta approximation, q-values and nominal thresholds',
  builder,
  handler: async (argv) => {
    process.exitCode = await runStage('cis', argv, (ctx) => cisStage(argv, ctx));
  },
};
