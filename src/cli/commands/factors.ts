/**
 * `qtlflow factors`: the covariates matrix for QTL mapping. Hidden factors (PEER-like variational Bayes with
 * ARD, or expression PCs) from the normalized phenotypes, genotype PCs after LD pruning, and known covariates
 * (categorical ones one-hot encoded), merged with linearly dependent columns dropped.
 */
import type { Argv, CommandModule } from 'yargs';
import { InputError, usageError } from '../../io/errors.js';
import { openGenotypes } from '../../io/genotypes/index.js';
import { readKnownCovariates } from '../../io/known-covariates.js';
import { readExpressionMatrix } from '../../io/matrix.js';
import { writeCovariates, writePhenotypes } from '../../io/contracts.js';
import { writeTable } from '../../io/parquet.js';
import type { ColumnSpec } from '../../io/parquet.js';
import { GemmPool } from '../../linalg/gemm-pool.js';
import { Residualizer } from '../../linalg/residualize.js';
import {
  PEER_DEFAULTS,
  PREFIX,
  checkPhenotypeMatrix,
  elbow,
  encodeKnownCovariates,
  expressionPca,
  fitPeer,
  genotypePcs,
  gtexFactorCount,
  mergeCovariates,
  namedBlock,
} from '../../stages/factors/index.js';
import type { CovariateBlock, PruneOptions } from '../../stages/factors/index.js';
import { runStage, stageParams, withCommonOptions } from '../framework.js';
import type { CommonArgs, StageContext } from '../framework.js';

export interface FactorsArgs extends CommonArgs {
  phenotypes: string;
  method: 'peer' | 'pca';
  k: string;
  scale: boolean;
  known?: string;
  categorical: string[];
  genotypes?: string;
  'genotype-pcs': number;
  'genotype-maf': number;
  'prune-window': string;
  'prune-step': number;
  'prune-r2': number;
  out: string;
  residuals: boolean;
  seed: number;
  'max-iter': number;
  tol: number;
  'var-tol': number;
}

/** Components of the expression-PCA variance curve kept for the elbow and the report. */
const CURVE_MAX = 100;

function builder(y: Argv): Argv<FactorsArgs> {
  return withCommonOptions(
    y
      .option('phenotypes', {
        type: 'string',
        demandOption: true,
        describe: 'Normalized phenotypes: phenotypes Parquet or BED(.gz) (#chr start end id samples…)',
      })
      .option('method', {
        choices: ['peer', 'pca'] as const,
        default: 'peer' as const,
        describe: 'Hidden factors: PEER-like variational Bayes with ARD, or expression PCs',
      })
      .option('k', {
        type: 'string',
        default: 'auto',
        describe: "Hidden factors to infer, or 'auto' (GTEx: 15/30/45/60 for < 150/250/350/more samples)",
      })
      .option('scale', {
        type: 'boolean',
        default: false,
        describe: 'PCA: scale each gene to unit variance (prcomp scale. = TRUE)',
      })
      .option('known', {
        type: 'string',
        describe: 'Known covariates: TSV (one row per sample or per covariate) or Parquet with sample_id',
      })
      .option('categorical', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe: 'Known covariates to treat as categorical even when their values are numbers',
      })
      .option('genotypes', {
        type: 'string',
        describe: 'Genotypes for genotype PCs: any format qtlflow reads (VCF, PLINK, BGEN, .pgen, Parquet)',
      })
      .option('genotype-pcs', { type: 'number', default: 5, describe: 'Genotype PCs (with --genotypes)' })
      .option('genotype-maf', {
        type: 'number',
        default: 0.05,
        describe: 'Genotype PCs use variants with minor allele frequency ≥ this',
      })
      .option('prune-window', {
        type: 'string',
        default: '50000',
        describe: "LD pruning window: variants, or bp with a 'kb' suffix (plink2 --indep-pairwise)",
      })
      .option('prune-step', { type: 'number', default: 200, describe: 'LD pruning step (variants)' })
      .option('prune-r2', { type: 'number', default: 0.05, describe: 'LD pruning r² threshold' })
      .option('out', { type: 'string', demandOption: true, describe: 'Output covariates Parquet' })
      .option('residuals', {
        type: 'boolean',
        default: false,
        describe: 'Also write the phenotypes residualized on the output covariates (OUT.residuals.parquet)',
      })
      .option('seed', {
        type: 'number',
        default: 123456789,
        describe: 'Start of the subspace iteration used for eigenvectors above 1,500 samples',
      })
      .option('max-iter', { type: 'number', default: 1000, describe: 'PEER: maximum iterations' })
      .option('tol', { type: 'number', default: 1e-3, describe: 'PEER: stop when the bound changes less' })
      .option('var-tol', {
        type: 'number',
        default: 1e-5,
        describe: 'PEER: stop when the residual variance changes less',
      })
      .check((a) => {
        if (a.k !== 'auto' && !(Number.isInteger(Number(a.k)) && Number(a.k) >= 0))
          throw new Error("--k must be a non-negative integer or 'auto'");
        if (!(Number.isInteger(a['genotype-pcs']) && a['genotype-pcs'] >= 0))
          throw new Error('--genotype-pcs must be a non-negative integer');
        if (!(a['genotype-maf'] >= 0 && a['genotype-maf'] <= 0.5))
          throw new Error('--genotype-maf must be between 0 and 0.5');
        if (!/^\d+(kb)?$/.test(a['prune-window']))
          throw new Error('--prune-window must be a number of variants or a size in kb (e.g. 50000, 500kb)');
        if (!(Number.isInteger(a['prune-step']) && a['prune-step'] >= 1))
          throw new Error('--prune-step must be a positive integer');
        if (a['prune-window'].endsWith('kb') && a['prune-step'] !== 1)
          throw new Error('--prune-step must be 1 with a kb window (as plink2 requires)');
        if (!(a['prune-r2'] > 0 && a['prune-r2'] <= 1)) throw new Error('--prune-r2 must be in (0, 1]');
        if (!(Number.isInteger(a['max-iter']) && a['max-iter'] >= 1))
          throw new Error('--max-iter must be a positive integer');
        if (!(a.tol >= 0) || !(a['var-tol'] >= 0)) throw new Error('--tol and --var-tol must be ≥ 0');
        return true;
      }),
  ) as unknown as Argv<FactorsArgs>;
}

export function pruneOptions(window: string, step: number, r2: number): PruneOptions {
  const bp = window.endsWith('kb');
  return { window: bp ? Number(window.slice(0, -2)) * 1000 : Number(window), windowBp: bp, step, r2 };
}

function preview(ids: string[]): string {
  return ids
    .slice(0, 3)
    .map((s) => `'${s}'`)
    .join(', ');
}

const FACTOR_TABLE: ColumnSpec[] = [
  { name: 'covariate', type: 'string' },
  { name: 'source', type: 'string' },
  { name: 'component', type: 'int32' },
  { name: 'variance', type: 'float64' },
  { name: 'variance_explained', type: 'float64' },
  { name: 'alpha', type: 'float64' },
  { name: 'relevance', type: 'float64' },
  { name: 'in_covariates', type: 'bool' },
];

const BOUND_TABLE: ColumnSpec[] = [
  { name: 'iteration', type: 'int32' },
  { name: 'lower_bound', type: 'float64' },
  { name: 'residual_variance', type: 'float64' },
];

interface FactorRow {
  covariate: string;
  source: 'peer' | 'expression_pca' | 'genotype_pca';
  component: number;
  variance: number;
  varianceExplained: number;
  alpha: number;
}

export async function factorsStage(a: FactorsArgs, ctx: StageContext): Promise<Record<string, unknown>> {
  const { log } = ctx;
  const ph = await readExpressionMatrix(a.phenotypes, undefined, undefined, true);
  const samples = ph.samples;
  const N = samples.length;
  const G = ph.phenotypeId.length;
  checkPhenotypeMatrix(ph.values, ph.phenotypeId, samples, a.phenotypes);
  log.info(`${G} phenotypes × ${N} samples`);
  const prefix = a.out.replace(/\.parquet$/i, '');
  const params = stageParams(a);
  const blocks: CovariateBlock[] = [];
  const rows: FactorRow[] = [];
  const summary: Record<string, unknown> = { samples: N, phenotypes: G };

  // known covariates (as fixed factors for PEER; first columns of the output)
  let known: CovariateBlock = { names: [], values: new Float64Array(0) };
  if (a.known) {
    const table = await readKnownCovariates(a.known, samples, a.categorical);
    const enc = encodeKnownCovariates(table, samples);
    if (enc.extraSamples > 0)
      log.warn(
        `${enc.extraSamples} samples of the known covariates are not among the phenotypes and are ignored`,
      );
    const checked = mergeCovariates([enc], N);
    if (checked.dropped.length)
      log.warn(
        `known covariates linearly dependent on the intercept and earlier covariates, dropped: ${checked.dropped.join(', ')}`,
      );
    known = { names: checked.names, values: checked.values };
    blocks.push(known);
    summary.known_covariates = {
      file: a.known,
      columns: checked.names,
      categorical: enc.categorical,
      dropped: checked.dropped,
    };
  }

  // genotype PCs
  if (a.genotypes && a['genotype-pcs'] > 0) {
    const reader = await openGenotypes(a.genotypes);
    const gs = await reader.samples();
    const gIndex = new Map(gs.map((s, i) => [s, i]));
    const missing = samples.filter((s) => !gIndex.has(s));
    if (missing.length > 0)
      throw new InputError(
        `${missing.length} of the ${N} phenotype samples are not in the genotypes (${preview(missing)}${missing.length > 3 ? ', …' : ''})`,
        {
          file: a.genotypes,
          sample: missing[0],
          hint: `Sample IDs must be identical: the genotypes have ${preview(gs)} (check FID_IID vs IID, suffixes, case)`,
        },
      );
    const pcs = a['genotype-pcs'];
    if (pcs >= N)
      throw new InputError(`${pcs} genotype PCs requested from ${N} samples`, {
        hint: `--genotype-pcs must be below the number of samples (${N})`,
      });
    const pruning = pruneOptions(a['prune-window'], a['prune-step'], a['prune-r2']);
    log.info(
      `genotype PCs: MAF ≥ ${a['genotype-maf']}, LD pruning window ${a['prune-window']} step ${a['prune-step']} r² ${a['prune-r2']}`,
    );
    const gp = await genotypePcs(
      reader,
      Int32Array.from(samples, (s) => gIndex.get(s)!),
      {
        pcs,
        mafMin: a['genotype-maf'],
        pruning,
      },
    );
    await reader.close();
    if (gp.variants.kept < pcs)
      throw new InputError(
        `only ${gp.variants.kept} variants are left after the MAF filter and LD pruning, fewer than the ${pcs} genotype PCs asked for`,
        {
          file: a.genotypes,
          hint: 'Use more variants (the whole genome), a lower --genotype-maf or a higher --prune-r2',
        },
      );
    log.info(
      `genotype PCs from ${gp.variants.kept} of ${gp.variants.passMaf} variants with MAF ≥ ${a['genotype-maf']} (${gp.variants.read} read)`,
    );
    const block = namedBlock(PREFIX.genotype, gp.vectors, pcs);
    blocks.push(block);
    block.names.forEach((name, c) =>
      rows.push({
        covariate: name,
        source: 'genotype_pca',
        component: c + 1,
        variance: gp.eigenvalues[c],
        varianceExplained: gp.trace > 0 ? gp.eigenvalues[c] / gp.trace : 0,
        alpha: NaN,
      }),
    );
    summary.genotype_pcs = {
      file: a.genotypes,
      pcs,
      variants: gp.variants,
      eigenvalues: Array.from(gp.eigenvalues),
    };
  }

  // hidden factors: how many
  const nFixed = known.names.length + 1; // known covariates and the mean (PEER's add_mean)
  const maxK = a.method === 'peer' ? Math.min(N, G) - nFixed - 1 : Math.min(N - 1, G);
  const autoK = a.k === 'auto';
  let K = autoK ? gtexFactorCount(N) : Number(a.k);
  if (K > maxK) {
    const why =
      a.method === 'peer'
        ? `PEER needs factors + known covariates + mean (${K} + ${nFixed}) below both the samples (${N}) and the phenotypes (${G})`
        : `PCA gives at most min(samples − 1, phenotypes) = ${maxK} components`;
    if (!autoK)
      throw new InputError(
        `${K} hidden factors requested, more than ${N} samples and ${G} phenotypes allow`,
        {
          file: a.phenotypes,
          hint: `${why}: use --k ${Math.max(0, maxK)} or fewer`,
        },
      );
    log.warn(
      `--k auto gives ${K} factors for ${N} samples, more than the data allow (${why}); using ${maxK}`,
    );
    K = Math.max(0, maxK);
  }

  // the expression-PCA variance curve (elbow, report), and the PCs themselves for --method pca
  const curveK = Math.min(Math.max(a.method === 'pca' ? K : 0, CURVE_MAX), N - 1, G);
  const pca = expressionPca(ph.values, G, N, curveK, a.scale, a.seed);
  const curve = Array.from(pca.variances, (v) => v / pca.totalVariance);
  const elbowK = elbow(curve);
  summary.expression_pca = {
    scaled: a.scale,
    components: curveK,
    variance_explained: curve.map((v) => Number(v.toPrecision(6))),
    elbow: elbowK,
  };
  summary.k = { method: a.method, requested: a.k, used: K, gtex_rule: gtexFactorCount(N), elbow: elbowK };
  log.info(
    `${a.method === 'peer' ? 'PEER factors' : 'expression PCs'}: k = ${K}${autoK ? ' (GTEx rule)' : ''}; elbow of expression PCA variance explained at ${elbowK}`,
  );

  let hidden: CovariateBlock;
  if (a.method === 'pca') {
    const scores = new Float64Array(N * K);
    for (let i = 0; i < N; i++) for (let c = 0; c < K; c++) scores[i * K + c] = pca.scores[i * curveK + c];
    hidden = namedBlock(PREFIX.pca, scores, K);
    hidden.names.forEach((name, c) =>
      rows.push({
        covariate: name,
        source: 'expression_pca',
        component: c + 1,
        variance: pca.variances[c],
        varianceExplained: curve[c],
        alpha: NaN,
      }),
    );
  } else {
    const progress = log.progress('PEER iterations', a['max-iter']);
    const input = {
      y: ph.values,
      genes: G,
      samples: N,
      covariates: known.values,
      covariateCount: known.names.length,
    };
    const pool = ctx.threads > 1 ? new GemmPool(ctx.threads) : undefined;
    const t0 = process.cpuUsage(); // all threads of the process
    const w0 = process.hrtime.bigint();
    let fit: Awaited<ReturnType<typeof fitPeer>>;
    try {
      fit = await fitPeer(input, {
        ...PEER_DEFAULTS,
        k: K,
        maxIterations: a['max-iter'],
        boundTolerance: a.tol,
        varianceTolerance: a['var-tol'],
        seed: a.seed,
        pool,
        onIteration: (i) => progress.tick(i),
      });
    } finally {
      await pool?.close();
    }
    progress.finish();
    const cpu = process.cpuUsage(t0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const wallSeconds = Number(process.hrtime.bigint() - w0) / 1e9;
    log.info(
      `PEER (${ctx.threads} thread${ctx.threads > 1 ? 's' : ''}): ${fit.iterations} iterations (stopped by ${fit.stoppedBy}), lower bound ${fit.bound[fit.bound.length - 1]?.toFixed(3)}, ${(fit.iterations / cpuSeconds).toFixed(2)} iterations per CPU second`,
    );
    hidden = namedBlock(PREFIX.peer, fit.factors, K);
    hidden.names.forEach((name, c) =>
      rows.push({
        covariate: name,
        source: 'peer',
        component: c + 1,
        variance: NaN,
        varianceExplained: fit.varianceExplained[c],
        alpha: fit.alpha[fit.fixedColumns + c],
      }),
    );
    const boundPath = `${prefix}.peer_bound.parquet`;
    writeTable(
      ctx.outputs.claim(boundPath),
      BOUND_TABLE,
      [
        Int32Array.from(fit.bound, (_, i) => i + 1),
        Float64Array.from(fit.bound),
        Float64Array.from(fit.residualVariance),
      ],
      { schema: 'peer_bound/1', params },
    );
    summary.peer = {
      iterations: fit.iterations,
      stopped_by: fit.stoppedBy,
      lower_bound: fit.bound[fit.bound.length - 1] ?? null,
      residual_variance: fit.residualVariance[fit.residualVariance.length - 1] ?? null,
      cpu_seconds: Number(cpuSeconds.toFixed(3)),
      wall_seconds: Number(wallSeconds.toFixed(3)),
      iterations_per_cpu_second: Number((fit.iterations / cpuSeconds).toFixed(4)),
      threads: ctx.threads,
      alpha: Array.from(fit.alpha.subarray(fit.fixedColumns)),
      alpha_fixed_columns: Array.from(fit.alpha.subarray(0, fit.fixedColumns)),
      bound_file: boundPath,
    };
  }
  blocks.push(hidden);

  const merged = mergeCovariates(blocks, N);
  if (merged.dropped.length)
    log.warn(
      `covariates linearly dependent on the intercept and earlier columns, dropped: ${merged.dropped.join(', ')}`,
    );
  if (merged.names.length + 2 >= N)
    throw new InputError(
      `${merged.names.length} covariates leave no residual degrees of freedom for ${N} samples (intercept and genotype need 2 more)`,
      { file: a.phenotypes, hint: 'Use fewer hidden factors (--k) or genotype PCs' },
    );
  writeCovariates(
    ctx.outputs.claim(a.out),
    { sampleIds: samples, names: merged.names, values: merged.values },
    params,
  );

  const factorPath = `${prefix}.factors.parquet`;
  const dropped = new Set(merged.dropped);
  writeTable(
    ctx.outputs.claim(factorPath),
    FACTOR_TABLE,
    [
      rows.map((r) => r.covariate),
      rows.map((r) => r.source),
      Int32Array.from(rows, (r) => r.component),
      Float64Array.from(rows, (r) => r.variance),
      Float64Array.from(rows, (r) => r.varianceExplained),
      Float64Array.from(rows, (r) => r.alpha),
      Float64Array.from(rows, (r) => 1 / r.alpha),
      rows.map((r) => !dropped.has(r.covariate)),
    ],
    { schema: 'factors/1', params },
  );

  if (a.residuals) {
    if (!ph.chr || !ph.start || !ph.end)
      throw usageError('--residuals needs phenotypes with positions (a BED or phenotypes Parquet)');
    // each phenotype residualized on [1, every output covariate], as the cis stage adjusts it
    const residuals = Float64Array.from(ph.values);
    const res = Residualizer.of(N, merged.values, merged.names.length, merged.names);
    for (let g = 0; g < G; g++) res.residualize(residuals, g * N);
    const path = `${prefix}.residuals.parquet`;
    writePhenotypes(
      ctx.outputs.claim(path),
      {
        chr: ph.chr,
        start: ph.start,
        end: ph.end,
        phenotypeId: ph.phenotypeId,
        strand: ph.strand,
        groupId: ph.groupId,
        samples,
        values: residuals,
      },
      params,
    );
    summary.residuals_file = path;
  }
  log.info(`${merged.names.length} covariates written (${merged.dropped.length} dropped as dependent)`);
  return {
    ...summary,
    covariates: { file: a.out, columns: merged.names, dropped: merged.dropped },
    factor_table: factorPath,
  };
}

export const factorsCommand: CommandModule<object, FactorsArgs> = {
  command: 'factors',
  describe:
    'Covariates for QTL mapping: PEER-like factors or expression PCs, genotype PCs, known covariates, merged',
  builder,
  handler: async (argv) => {
    process.exitCode = await runStage('factors', argv, (ctx) => factorsStage(argv, ctx));
  },
};
