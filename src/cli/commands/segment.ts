/**
 * `qtlflow segment`: SegmentQTL's segmentation-aware allele-specific QTL mapping (nominal, permutation, elastic-net
 * fine-mapping, validation on an independent cohort) over SegmentQTL's input files.
 */
import type { Argv, CommandModule } from 'yargs';
import { InputError, usageError } from '../../io/errors.js';
import { canonicalChrom } from '../../io/genome.js';
import { openParquet, toFloat64, toStrings, ParquetTableWriter } from '../../io/parquet.js';
import type { ColumnData } from '../../io/parquet.js';
import {
  SEGMENT_FINEMAP,
  SEGMENT_VALIDATION,
  segmentNominalSpec,
  segmentPermutationSpec,
} from '../../io/results.js';
import {
  readGeneMatrix,
  readQuantifications,
  readSampleCovariates,
  readSegmentation,
} from '../../io/segmentqtl.js';
import { gemmBackend } from '../../linalg/gemm.js';
import {
  FINEMAP_DEFAULTS,
  MIN_SAMPLES,
  segmentFinemap,
  segmentNominal,
  segmentPermutation,
  segmentValidate,
} from '../../stages/segment/index.js';
import type { Cohort, FinemapModel, NominalRow, SegmentOptions } from '../../stages/segment/index.js';
import { runStage, stageParams, withCommonOptions } from '../framework.js';
import type { CommonArgs, StageContext } from '../framework.js';

export type SegmentMode = 'nominal' | 'perm' | 'finemap' | 'validate';

export interface SegmentArgs extends CommonArgs {
  mode: SegmentMode;
  genotypes: string;
  quantifications: string;
  covariates?: string;
  copynumber?: string;
  segmentation?: string;
  'phenotype-covariate'?: string;
  chromosome?: string;
  'phenotype-ids'?: string;
  window: number;
  'min-samples': number;
  'segment-filter': boolean;
  'neg-control': boolean;
  'neg-control-max-variants': number;
  permutations: number;
  'perm-method': 'freedman-lane' | 'segmentqtl';
  seed: number;
  'record-aic': boolean;
  alpha: number;
  resamples: number;
  'subsample-frac': number;
  'stability-threshold': number;
  'n-lambda': number;
  'lambda-ratio': number;
  'cv-tau': number;
  'coverage-tau': number;
  lambda?: number;
  'finemap-results'?: string;
  out: string;
}

const f = FINEMAP_DEFAULTS;

function builder(y: Argv): Argv<SegmentArgs> {
  return withCommonOptions(
    y
      .option('mode', {
        choices: ['nominal', 'perm', 'finemap', 'validate'] as const,
        demandOption: true,
        describe: 'nominal pairs, permutation lead per gene, elastic-net fine-mapping, or validation',
      })
      .option('genotypes', {
        type: 'string',
        demandOption: true,
        describe: 'Folder of chr<N>_ALTlr.csv / chr<N>_REFlr.csv (ID chr:pos:ref:alt, then samples)',
      })
      .option('quantifications', {
        type: 'string',
        demandOption: true,
        describe: 'Phenotypes CSV: chr,start,end,gene_id,samples…',
      })
      .option('covariates', {
        type: 'string',
        describe: 'Sample covariates CSV: sample IDs, then name,values… rows',
      })
      .option('copynumber', {
        type: 'string',
        describe: 'Gene copy number CSV: gene_id,samples… (a covariate)',
      })
      .option('segmentation', {
        type: 'string',
        describe: 'Copy-number segments CSV: sample,chr,startpos,endpos',
      })
      .option('phenotype-covariate', {
        type: 'string',
        describe: 'Another per-gene covariate CSV: gene_id,samples…',
      })
      .option('chromosome', { type: 'string', describe: 'Comma-separated chromosomes to map (default: all)' })
      .option('phenotype-ids', { type: 'string', describe: 'Comma-separated genes to map (default: all)' })
      .option('window', { type: 'number', default: 1_000_000, describe: 'cis window around the gene (bp)' })
      .option('min-samples', {
        type: 'number',
        default: MIN_SAMPLES,
        describe: 'Skip a variant with fewer usable samples (SegmentQTL: 30)',
      })
      .option('segment-filter', {
        type: 'boolean',
        default: true,
        describe:
          'Use a variant only on the gene’s intact segment (--no-segment-filter: unsegmented analysis)',
      })
      .option('neg-control', {
        type: 'boolean',
        default: false,
        describe: 'Trans negative control: genes of chromosome c against variants of c + 1',
      })
      .option('neg-control-max-variants', {
        type: 'number',
        default: 2000,
        describe: 'Negative control: at most this many variants per gene (seeded subsample)',
      })
      .option('permutations', { type: 'number', default: 1000, describe: 'perm: permutations per gene' })
      .option('perm-method', {
        choices: ['freedman-lane', 'segmentqtl'] as const,
        default: 'freedman-lane' as const,
        describe:
          'freedman-lane: residual permutation + beta approximation; segmentqtl: SegmentQTL’s gene swap',
      })
      .option('seed', {
        type: 'number',
        default: 123456789,
        describe: 'Seed of permutations, folds and resamples',
      })
      .option('record-aic', {
        type: 'boolean',
        default: false,
        describe: 'Add aic_null, aic_alt and their difference',
      })
      .option('alpha', {
        type: 'number',
        default: f.alpha,
        describe: 'finemap: elastic-net mixing (1 lasso, 0 ridge)',
      })
      .option('resamples', {
        type: 'number',
        default: f.resamples,
        describe: 'finemap: stability-selection resamples',
      })
      .option('subsample-frac', {
        type: 'number',
        default: f.subsampleFrac,
        describe: 'finemap: samples per resample',
      })
      .option('stability-threshold', {
        type: 'number',
        default: f.stabilityThreshold,
        describe: 'finemap: selection frequency for is_stable',
      })
      .option('n-lambda', { type: 'number', default: f.nLambda, describe: 'finemap: λ grid points' })
      .option('lambda-ratio', { type: 'number', default: f.lambdaRatio, describe: 'finemap: λ_min / λ_max' })
      .option('cv-tau', {
        type: 'number',
        default: f.cvTau,
        describe: 'finemap: share of the CV improvement given up for sparsity',
      })
      .option('coverage-tau', {
        type: 'number',
        default: f.coverageTau,
        describe: 'finemap: a variant needs observed d in this fraction of samples',
      })
      .option('lambda', {
        type: 'number',
        describe: 'finemap: fit at this λ (SegmentQTL scale: ½·RSS + λ·penalty) instead of choosing it by CV',
      })
      .option('finemap-results', {
        type: 'string',
        describe: 'validate: the discovery cohort’s PREFIX.segment_finemap.parquet',
      })
      .option('out', { type: 'string', demandOption: true, describe: 'Output prefix' })
      .check((a) => {
        if (!(a.alpha >= 0 && a.alpha <= 1)) throw new Error('--alpha must be between 0 and 1');
        if (!(a['subsample-frac'] > 0 && a['subsample-frac'] <= 1))
          throw new Error('--subsample-frac must be in (0, 1]');
        if (!(a.permutations >= 1)) throw new Error('--permutations must be ≥ 1');
        return true;
      }),
  ) as unknown as Argv<SegmentArgs>;
}

export async function loadCohort(a: {
  genotypes: string;
  quantifications: string;
  covariates?: string;
  copynumber?: string;
  segmentation?: string;
  'phenotype-covariate'?: string;
}): Promise<Cohort> {
  const quant = await readQuantifications(a.quantifications);
  const s = quant.samples;
  return {
    quant,
    copynumber: a.copynumber ? await readGeneMatrix(a.copynumber, s, 'copy number') : undefined,
    phenotypeCovariate: a['phenotype-covariate']
      ? await readGeneMatrix(a['phenotype-covariate'], s, 'phenotype covariate')
      : undefined,
    covariates: a.covariates ? await readSampleCovariates(a.covariates, s) : undefined,
    segmentation: a.segmentation ? await readSegmentation(a.segmentation) : new Map(),
    genotypesDir: a.genotypes,
  };
}

function nominalColumns(rows: NominalRow[], recordAic: boolean): ColumnData[] {
  const col = (g: (r: NominalRow) => number) => Float64Array.from(rows, g);
  return [
    rows.map((r) => r.phenotype),
    rows.map((r) => r.variant),
    rows.map((r) => r.chr),
    Int32Array.from(rows, (r) => r.pos),
    Int32Array.from(rows, (r) => r.fit.n),
    col((r) => r.fit.betaS),
    col((r) => r.fit.seS),
    col((r) => r.fit.betaD),
    col((r) => r.fit.seD),
    col((r) => r.fit.t),
    col((r) => r.fit.p),
    col((r) => r.fit.r2),
    ...(recordAic
      ? [col((r) => r.fit.aicNull), col((r) => r.fit.aicAlt), col((r) => r.fit.aicAlt - r.fit.aicNull)]
      : []),
  ];
}

async function readFinemapModels(path: string): Promise<Map<string, FinemapModel[]>> {
  const t = await openParquet(path);
  if (t.meta.schema !== SEGMENT_FINEMAP.schema)
    throw new InputError(`not a segment fine-mapping table (schema ${t.meta.schema ?? 'none'})`, {
      file: path,
      expected: `${SEGMENT_FINEMAP.schema}: the PREFIX.segment_finemap.parquet of 'segment --mode finemap'`,
    });
  const gene = toStrings(await t.column('phenotype'));
  const variant = toStrings(await t.column('variant'));
  const mean = toFloat64(await t.column('mean_d'));
  const sd = toFloat64(await t.column('sd_d'));
  const beta = toFloat64(await t.column('beta_full'));
  const out = new Map<string, FinemapModel[]>();
  gene.forEach((g, i) => {
    if (!out.has(g)) out.set(g, []);
    out.get(g)!.push({ variant: variant[i], meanD: mean[i], sdD: sd[i], beta: beta[i] });
  });
  return out;
}

export async function segmentStage(a: SegmentArgs, ctx: StageContext): Promise<Record<string, unknown>> {
  if (a.mode === 'validate' && !a['finemap-results'])
    throw usageError(
      '--mode validate needs --finemap-results',
      'Pass the discovery cohort’s PREFIX.segment_finemap.parquet',
    );
  if (a['segment-filter'] && !a['neg-control'] && !a.segmentation)
    throw usageError(
      '--segmentation is required with the segment filter',
      'Pass the copy-number segments (sample,chr,startpos,endpos), or --no-segment-filter for an unsegmented analysis',
    );
  const cohort = await loadCohort(a);
  ctx.log.info(`${cohort.quant.geneId.length} genes × ${cohort.quant.samples.length} samples`);
  let phenotypes: Set<string> | undefined = a['phenotype-ids']
    ? new Set(a['phenotype-ids'].split(',').filter(Boolean))
    : undefined;
  if (a.chromosome) {
    const chrs = new Set(a.chromosome.split(',').map(canonicalChrom));
    const onChr = cohort.quant.geneId.filter((_, g) => chrs.has(canonicalChrom(cohort.quant.chr[g])));
    phenotypes = new Set(phenotypes ? onChr.filter((g) => phenotypes!.has(g)) : onChr);
  }
  const gemm = gemmBackend();
  const progress = ctx.log.progress('genes', phenotypes?.size ?? cohort.quant.geneId.length);
  const o: SegmentOptions = {
    window: a.window,
    minSamples: a['min-samples'],
    segmentFilter: a['segment-filter'],
    negControl: a['neg-control'],
    negControlMaxVariants: a['neg-control-max-variants'],
    permutations: a.permutations,
    permMethod: a['perm-method'],
    seed: a.seed,
    gemm,
    phenotypes,
    finemap: {
      ...FINEMAP_DEFAULTS,
      alpha: a.alpha,
      resamples: a.resamples,
      subsampleFrac: a['subsample-frac'],
      stabilityThreshold: a['stability-threshold'],
      nLambda: a['n-lambda'],
      lambdaRatio: a['lambda-ratio'],
      cvTau: a['cv-tau'],
      coverageTau: a['coverage-tau'],
      lambda: a.lambda,
    },
    onGene: (done) => progress.tick(done),
  };
  const meta = { params: stageParams(a) };
  const aic = a['record-aic'];
  const summary: Record<string, unknown> = { mode: a.mode, gemm: gemm.name };
  if (a.mode === 'nominal') {
    const spec = segmentNominalSpec(aic);
    const path = `${a.out}.segment_nominal.parquet`;
    const w = new ParquetTableWriter(ctx.outputs.claim(path), spec.columns, { schema: spec.schema, ...meta });
    summary.counts = await segmentNominal(cohort, o, (rows) => w.write(nominalColumns(rows, aic)));
    w.close();
    summary.table = path;
  } else if (a.mode === 'perm') {
    const { rows, counts } = await segmentPermutation(cohort, o);
    const spec = segmentPermutationSpec(aic);
    const path = `${a.out}.segment_perm.parquet`;
    const w = new ParquetTableWriter(ctx.outputs.claim(path), spec.columns, { schema: spec.schema, ...meta });
    const col = (g: (r: (typeof rows)[number]) => number) => Float64Array.from(rows, g);
    w.write([
      ...nominalColumns(rows, aic),
      Int32Array.from(rows, (r) => r.numVar),
      Int32Array.from(rows, (r) => r.perm.permP.length),
      col((r) => r.perm.shape1),
      col((r) => r.perm.shape2),
      col((r) => r.perm.trueDf),
      col((r) => r.perm.pvalTrueDf),
      col((r) => r.perm.pvalPerm),
      col((r) => r.perm.pvalBeta),
      col((r) => r.qval),
    ]);
    w.close();
    summary.counts = counts;
    summary.perm_method = a['perm-method'];
    summary.table = path;
  } else if (a.mode === 'finemap') {
    const path = `${a.out}.segment_finemap.parquet`;
    const w = new ParquetTableWriter(ctx.outputs.claim(path), SEGMENT_FINEMAP.columns, {
      schema: SEGMENT_FINEMAP.schema,
      ...meta,
    });
    summary.counts = await segmentFinemap(cohort, o, (rows) => {
      const col = (g: (r: (typeof rows)[number]) => number) => Float64Array.from(rows, g);
      w.write([
        rows.map((r) => r.phenotype),
        rows.map((r) => r.variant),
        Int32Array.from(rows, (r) => r.nSamples),
        Int32Array.from(rows, (r) => r.nVariants),
        Int32Array.from(rows, (r) => r.nObs),
        col((r) => r.meanD),
        col((r) => r.sdD),
        col((r) => r.stability),
        rows.map((r) => r.isStable),
        col((r) => r.meanBeta),
        col((r) => r.signConsistency),
        col((r) => r.lambda),
        col((r) => r.betaFull),
        col((r) => r.betaFullRaw),
      ]);
    });
    w.close();
    summary.table = path;
  } else {
    const models = await readFinemapModels(a['finemap-results']!);
    const { rows, counts } = await segmentValidate(cohort, o, models);
    const path = `${a.out}.segment_validation.parquet`;
    const col = (g: (r: (typeof rows)[number]) => number) => Float64Array.from(rows, g);
    const w = new ParquetTableWriter(ctx.outputs.claim(path), SEGMENT_VALIDATION.columns, {
      schema: SEGMENT_VALIDATION.schema,
      ...meta,
    });
    w.write([
      rows.map((r) => r.phenotype),
      Int32Array.from(rows, (r) => r.nSamples),
      Int32Array.from(rows, (r) => r.nVariantsUsed),
      col((r) => r.rmse),
      col((r) => r.mae),
      col((r) => r.r2),
      col((r) => r.r2Baseline),
      col((r) => r.r2 - r.r2Baseline),
      col((r) => r.calibrationIntercept),
      col((r) => r.calibrationSlope),
      col((r) => r.rho),
      col((r) => r.rhoPval),
    ]);
    w.close();
    summary.counts = counts;
    summary.models = models.size;
    summary.table = path;
  }
  progress.finish();
  const c = summary.counts as { genes: number; genesTested: number; pairs: number; maskedEntries: number };
  ctx.log.info(
    `${c.genesTested} of ${c.genes} genes tested, ${c.pairs} gene–variant pairs; ${c.maskedEntries} genotype entries masked by the segment filter`,
  );
  return summary;
}

export const segmentCommand: CommandModule<object, SegmentArgs> = {
  command: 'segment',
  describe: 'Segmentation-aware allele-specific QTLs (SegmentQTL): nominal, perm, finemap, validate',
  builder,
  handler: async (argv) => {
    process.exitCode = await runStage('segment', argv, (ctx) => segmentStage(argv, ctx));
  },
};
