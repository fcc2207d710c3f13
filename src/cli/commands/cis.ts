/**
 * `qtlflow cis`: cis-QTL mapping (nominal pass; permutation pass with the beta approximation, q-values and
 * nominal thresholds; conditionally independent signals) on genotypes (any format `openGenotypes` reads)
 * and phenotypes (BED(.gz) or phenotypes Parquet), with covariates (Parquet or FastQTL/tensorQTL text).
 * `--chunk k/N` and `--region` select phenotypes; `cis-merge` joins chunk outputs.
 */
import type { Argv, CommandModule } from 'yargs';
import { readCovariatesAny } from '../../io/covariates.js';
import { InputError } from '../../io/errors.js';
import { canonicalChrom } from '../../io/genome.js';
import { parseRegion } from '../../io/genotypes/filters.js';
import { openGenotypes } from '../../io/genotypes/index.js';
import { readExpressionMatrix } from '../../io/matrix.js';
import { ParquetTableWriter, openParquet } from '../../io/parquet.js';
import { ParquetWriterThread, workerUrl } from '../../io/parquet-thread.js';
import { NominalBatch } from '../../stages/cis/batches.js';
import type { InteractionBatch } from '../../stages/cis/batches.js';
import { CIS_INDEPENDENT, CIS_NOMINAL, CIS_PERMUTATION, cisInteractionSpec } from '../../io/results.js';
import { alignAnalysisSamples } from '../../stages/cis/inputs.js';
import { checkChromosomeOverlap, chunkSlice, phenotypeOrder } from '../../stages/cis/index.js';
import type {
  CisTasks,
  IndependentRow,
  InteractionTask,
  PermutationRow,
  SkipReason,
} from '../../stages/cis/index.js';
import { CisWorkerPool, runCis } from '../../stages/cis/run.js';
import type { CisJob, CisRunResult } from '../../stages/cis/run.js';
import type { Significance } from '../../stages/cis/tables.js';
import { runStage, stageParams, withCommonOptions, withMappingInputs } from '../framework.js';
import type { CommonArgs, StageContext } from '../framework.js';

/**
 * Rows per row group of the pair tables: small enough that the last group's encoding (after the mapping
 * ends) is short and that readers of one phenotype's pairs skip most of a file by its statistics.
 */
const PAIR_ROW_GROUP = 16_384;

export type CisMode = 'nominal' | 'permute' | 'independent';

export interface CisArgs extends CommonArgs {
  genotypes: string;
  phenotypes: string;
  covariates?: string;
  mode: CisMode;
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
  chunk?: string;
  region?: string;
  'cis-results'?: string;
  interaction?: string;
  'maf-min-interaction': number;
}

/** `k/N` → [k, N]. */
export function parseChunk(text: string): [number, number] {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const k = m ? Number(m[1]) : NaN;
  const N = m ? Number(m[2]) : NaN;
  if (!(k >= 1 && N >= 1 && k <= N)) throw new Error(`--chunk must be k/N with 1 ≤ k ≤ N, not '${text}'`);
  return [k, N];
}

function builder(y: Argv): Argv<CisArgs> {
  return withCommonOptions(
    withMappingInputs(y)
      .option('mode', {
        choices: ['nominal', 'permute', 'independent'] as const,
        demandOption: true,
        describe:
          'nominal: every cis pair; permute: one row per phenotype with permutation p-values; independent: conditionally independent signals of the eGenes',
      })
      .option('out', { type: 'string', demandOption: true, describe: 'Output prefix' })
      .option('window', { type: 'number', default: 1_000_000, describe: 'cis window (bp) around the TSS' })
      .option('permutations', {
        type: 'number',
        default: 1000,
        describe: 'Permutations per phenotype (permute and independent modes)',
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
        describe: 'FDR for eGenes and the nominal thresholds (permute, independent)',
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
      .option('chunk', {
        type: 'string',
        describe: 'Map slice k of N of the phenotypes (sorted by position); join the outputs with cis-merge',
      })
      .option('region', {
        type: 'string',
        describe: 'Map only phenotypes whose TSS lies in chr:start-end (1-based, inclusive)',
      })
      .option('cis-results', {
        type: 'string',
        describe:
          'independent mode: the (merged) permutation table giving the eGenes (default: run the permutation pass first)',
      })
      .option('interaction', {
        type: 'string',
        describe:
          'nominal mode: test p ~ g + i + g·i + covariates for the terms of this file (Parquet sample_id + terms, or text id samples…, one row per term)',
      })
      .option('maf-min-interaction', {
        type: 'number',
        default: 0.05,
        describe: 'With --interaction: MAF ≥ X in both halves of each term’s median split (tensorQTL)',
      })
      .check((a) => {
        if (!(a.window >= 0)) throw new Error('--window must be ≥ 0');
        if (a.interaction !== undefined && a.mode !== 'nominal')
          throw new Error('--interaction is for --mode nominal');
        if (!(Number.isInteger(a.permutations) && a.permutations >= 10))
          throw new Error('--permutations must be an integer ≥ 10');
        if (!(a.fdr > 0 && a.fdr < 1)) throw new Error('--fdr must be between 0 and 1');
        if (a['qvalue-lambda'] !== undefined && !(a['qvalue-lambda'] >= 0 && a['qvalue-lambda'] < 1))
          throw new Error('--qvalue-lambda must be in [0, 1)');
        if (a.chunk !== undefined) parseChunk(a.chunk);
        if (a['cis-results'] !== undefined && a.mode !== 'independent')
          throw new Error('--cis-results is for --mode independent');
        if (a.mode === 'independent' && a.chunk !== undefined && a['cis-results'] === undefined)
          throw new Error(
            '--mode independent with --chunk needs --cis-results: the eGenes come from the merged permutation table',
          );
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

/** The eGenes and the pval_beta threshold of a merged permutation table (tensorQTL map_independent). */
async function eGenesFrom(path: string, fdr: number): Promise<{ ids: Set<string>; threshold: number }> {
  const t = await openParquet(path);
  if (t.meta.schema !== CIS_PERMUTATION.schema)
    throw new InputError(`not a cis permutation table (schema ${t.meta.schema ?? 'none'})`, {
      file: path,
      expected: `a ${CIS_PERMUTATION.schema} table written by 'qtlflow cis --mode permute' or 'qtlflow cis-merge'`,
    });
  const ids = (await t.column('phenotype_id')) as ArrayLike<unknown>;
  const q = (await t.column('qval')) as Float64Array;
  const pb = (await t.column('pval_beta')) as Float64Array;
  if (q.length && q.every((x) => Number.isNaN(x)))
    throw new InputError('the permutation table has no q-values (it is one chunk of a run)', {
      file: path,
      hint: "Join the chunks with 'qtlflow cis-merge' first and pass the merged table",
    });
  const out = new Set<string>();
  let threshold = -Infinity;
  for (let i = 0; i < q.length; i++)
    if (q[i] <= fdr) {
      out.add(String(ids[i]));
      threshold = Math.max(threshold, pb[i]);
    }
  return { ids: out, threshold };
}

export interface CisOutputs {
  interactionFiles: string[];
  interactionPairs: number;
  nominalFiles: string[];
  nominalPairs: number;
  permutation: PermutationRow[];
  independent: IndependentRow[];
  /** Forward-pass selections of the phenotypes where it selected more than one variant. */
  forward: Record<string, string[]>;
  skipped: Record<SkipReason, string[]>;
}

/** The interaction terms of the analysis samples (every one must be in the file). */
async function interactionTask(
  path: string,
  keep: (readonly [string, number])[],
  mafMin: number,
): Promise<InteractionTask> {
  const t = await readCovariatesAny(path);
  const index = new Map(t.sampleIds.map((s, i) => [s, i]));
  const ni = t.names.length;
  if (ni === 0) throw new InputError('the interaction file has no terms', { file: path });
  const values = new Float64Array(keep.length * ni);
  keep.forEach(([s], j) => {
    const i = index.get(s);
    if (i === undefined)
      throw new InputError('analysis sample missing from the interaction file', {
        file: path,
        sample: s,
        hint: 'Every sample shared by phenotypes, genotypes and covariates needs an interaction value',
      });
    values.set(t.values.subarray(i * ni, (i + 1) * ni), j * ni);
  });
  for (let k = 0; k < ni; k++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let j = 0; j < keep.length; j++) {
      lo = Math.min(lo, values[j * ni + k]);
      hi = Math.max(hi, values[j * ni + k]);
    }
    if (!(hi > lo))
      throw new InputError(`interaction term '${t.names[k]}' is constant over the analysis samples`, {
        file: path,
        column: t.names[k],
      });
  }
  return { values, names: t.names, mafMin };
}

/**
 * How a run uses its threads. Modes that write a pair table (nominal, interaction) give one thread to the
 * Parquet encoding of that table and map on the others (on the main thread when one is left); the other modes
 * map on every thread. Threads are started here, before the inputs are read, so that their start-up overlaps it.
 */
function threadPlan(a: CisArgs, threads: number): { mappers: number; writer?: ParquetWriterThread } {
  if (threads > 1 && a.mode === 'nominal') {
    const entry = workerUrl(
      'cis-pairs-writer.mjs',
      new URL('../../stages/cis/pairs-writer.js', import.meta.url),
    );
    return { mappers: threads - 1, writer: new ParquetWriterThread(entry) };
  }
  return { mappers: threads };
}

export async function cisStage(a: CisArgs, ctx: StageContext): Promise<Record<string, unknown>> {
  const plan = threadPlan(a, ctx.threads);
  const pool = plan.mappers > 1 ? new CisWorkerPool(plan.mappers) : undefined;
  try {
    return await mapCis(a, ctx, plan.mappers, pool, plan.writer);
  } finally {
    pool?.close();
    await plan.writer?.terminate();
  }
}

async function mapCis(
  a: CisArgs,
  ctx: StageContext,
  mappers: number,
  pool?: CisWorkerPool,
  writerThread?: ParquetWriterThread,
): Promise<Record<string, unknown>> {
  const { log } = ctx;
  const ph = await readExpressionMatrix(a.phenotypes, undefined, undefined, true);
  if (!ph.chr || !ph.start || !ph.end)
    throw new InputError('phenotypes have no positions', {
      file: a.phenotypes,
      expected: 'a BED (#chr start end id samples…) or a phenotypes Parquet with chr, start, end',
    });
  const reader = await openGenotypes(a.genotypes);
  const genoSamples = await reader.samples();
  const genoChromosomes = await reader.chromosomes?.();
  await reader.close();
  if (genoChromosomes)
    checkChromosomeOverlap(ph.chr, genoChromosomes, { phenotypes: a.phenotypes, genotypes: a.genotypes });
  const cov = a.covariates ? await readCovariatesAny(a.covariates) : undefined;

  const inputs = alignAnalysisSamples(
    ph,
    genoSamples,
    cov,
    { phenotypes: a.phenotypes, covariates: a.covariates },
    a['min-samples'],
    (m) => log.warn(m),
  );
  const { counts, k, residualizer, values } = inputs;
  const n = inputs.keep.length;
  const nPh = ph.phenotypeId.length;
  const covValues = inputs.covariates;
  const dofCheck = a['dof-convention'] === 'qtltools' ? n - 2 : n - 2 - k;
  if (dofCheck < 1)
    throw new InputError(`${n} samples leave no residual degrees of freedom with ${k} covariates`, {
      file: a.covariates,
    });
  const phenotypes = { chr: ph.chr, start: ph.start, end: ph.end, phenotypeId: ph.phenotypeId, values };
  const interaction = a.interaction
    ? await interactionTask(a.interaction, inputs.keep, a['maf-min-interaction'])
    : undefined;
  if (interaction && dofCheck - 2 * interaction.names.length < 1)
    throw new InputError(`${n} samples leave no residual degrees of freedom for the interaction model`, {
      file: a.interaction,
    });

  // which phenotypes: --region (TSS inside), then --chunk k/N of the sorted order
  let order = phenotypeOrder(phenotypes);
  // phenotypes on chromosomes the (indexed) genotype file does not have: not mapped, named in the summary
  const noGenotypes: string[] = [];
  if (genoChromosomes) {
    const have = new Set(genoChromosomes.map(canonicalChrom));
    const missing = new Set<string>();
    order = order.filter((i) => {
      const c = canonicalChrom(ph.chr![i]);
      if (have.has(c)) return true;
      missing.add(c);
      noGenotypes.push(ph.phenotypeId[i]);
      return false;
    });
    if (noGenotypes.length)
      log.warn(
        `${noGenotypes.length} phenotypes are on chromosomes the genotypes do not have (${[...missing].slice(0, 5).join(', ')}): not mapped`,
      );
  }
  if (a.region) {
    const r = parseRegion(a.region);
    order = order.filter(
      (i) => canonicalChrom(ph.chr![i]) === r.chr && ph.start![i] + 1 >= r.start && ph.start![i] + 1 <= r.end,
    );
    if (order.length === 0)
      throw new InputError(`no phenotype has its TSS in --region ${a.region}`, { file: a.phenotypes });
  }
  const [chunkK, chunkN] = a.chunk ? parseChunk(a.chunk) : [1, 1];
  const [from, to] = chunkSlice(order.length, chunkK, chunkN);
  const slice = order.subarray(from, to);
  const selected = Array.from(slice, (i) => ph.phenotypeId[i]);

  const params = stageParams(a);
  const job = (tasks: CisTasks): CisJob => ({
    genotypes: a.genotypes,
    genotypeIndex: inputs.genotypeIndex,
    covariates: covValues,
    k,
    covariateNames: cov?.names ?? [],
    phenotypes,
    order,
    from,
    to,
    options: {
      window: a.window,
      permutations: a.permutations,
      seed: a.seed,
      mafMin: a['maf-min'],
      maSamplesMin: a['ma-samples-min'],
      dofConvention: a['dof-convention'],
    },
    tasks,
  });

  const out: CisOutputs = {
    interactionFiles: [],
    interactionPairs: 0,
    nominalFiles: [],
    nominalPairs: 0,
    permutation: [],
    independent: [],
    forward: {},
    skipped: { constant_phenotype: [], no_variants_in_window: [] },
  };
  // a pair table, written here or on the writer thread (which then computes the statistics columns too)
  interface PairTable {
    write(b: NominalBatch | InteractionBatch): void;
    close(): void;
  }
  let writer: PairTable | undefined;
  let writerChr: string | undefined;
  const closeWriter = () => {
    writer?.close();
    writer = undefined;
  };
  const openTable = (...args: ConstructorParameters<typeof ParquetTableWriter>): PairTable => {
    if (!writerThread) {
      const w = new ParquetTableWriter(...args);
      return { write: (b) => w.write(b.columns()), close: () => w.close() };
    }
    const t = writerThread.open(...args);
    return {
      write: (b) =>
        t.write(
          b instanceof NominalBatch ? { kind: 'nominal', batch: b } : { kind: 'interaction', batch: b },
          b.length,
          b.buffers(),
        ),
      close: () => t.close(),
    };
  };
  const pass = async (label: string, tasks: CisTasks, count: number): Promise<CisRunResult> => {
    const progress = log.progress(label, count);
    const result = await runCis(
      job(tasks),
      mappers,
      {
        ready: writerThread && (() => writerThread.ready()),
        nominal: (chr, batch) => {
          if (chr !== writerChr) {
            closeWriter();
            writerChr = chr;
            const path = `${a.out}.cis_qtl_pairs.${chr}.parquet`;
            writer = openTable(
              ctx.outputs.claim(path),
              CIS_NOMINAL.columns,
              { schema: CIS_NOMINAL.schema, params },
              { rowGroupSize: PAIR_ROW_GROUP },
            );
            out.nominalFiles.push(path);
          }
          out.nominalPairs += batch.length;
          writer!.write(batch);
        },
        interaction: (chr, batch) => {
          if (chr !== writerChr) {
            closeWriter();
            writerChr = chr;
            const path = `${a.out}.cis_qtl_interaction_pairs.${chr}.parquet`;
            const spec = cisInteractionSpec(interaction!.names);
            writer = openTable(ctx.outputs.claim(path), spec.columns, {
              schema: spec.schema,
              params,
              extra: { interaction_terms: interaction!.names },
            });
            out.interactionFiles.push(path);
          }
          out.interactionPairs += batch.length;
          writer!.write(batch);
        },
        permutation: (row) => out.permutation.push(row),
        independent: (id, rows, forward) => {
          out.independent.push(...rows);
          if (forward.length > 1) out.forward[id] = forward;
        },
        skipped: (id, reason) => {
          if (tasks.nominal || tasks.permute || tasks.interaction) out.skipped[reason].push(id);
        },
        progress: (d) => progress.tick(d),
      },
      pool,
    );
    closeWriter();
    await writerThread?.finish();
    progress.finish();
    return result;
  };

  log.info(
    `${n} samples, ${k} covariates (rank ${residualizer.rank} with the intercept); ${slice.length} of ${nPh} phenotypes${a.chunk ? ` (chunk ${a.chunk})` : ''}${a.region ? ` in ${a.region}` : ''}`,
  );
  let sig: Significance | undefined;
  let independentSource: Record<string, unknown> | undefined;
  let result: CisRunResult;
  if (a.mode === 'independent' && a['cis-results']) {
    const e = await eGenesFrom(a['cis-results'], a.fdr);
    independentSource = {
      cis_results: a['cis-results'],
      egenes: e.ids.size,
      pval_beta_threshold: e.threshold,
    };
    result = await pass(
      'independent signals',
      { independent: { phenotypes: e.ids, threshold: e.threshold } },
      slice.length,
    );
  } else {
    result = await pass(
      a.mode === 'nominal' ? 'phenotypes' : 'permutations',
      interaction ? { interaction } : a.mode === 'nominal' ? { nominal: true } : { permute: true },
      slice.length,
    );
    if (a.mode !== 'nominal' && !a.chunk)
      sig = (await import('../../stages/cis/tables.js')).significance(out.permutation, {
        fdr: a.fdr,
        method: a['multiple-testing'],
        lambda: a['qvalue-lambda'],
      });
    if (sig?.warning) log.warn(sig.warning);
    if (a.mode === 'independent') {
      const ids = new Set(out.permutation.filter((_, i) => sig!.qval[i] <= a.fdr).map((r) => r.phenotypeId));
      const threshold = Math.max(
        -Infinity,
        ...out.permutation.filter((r) => ids.has(r.phenotypeId)).map((r) => r.pvalBeta),
      );
      independentSource = {
        cis_results: 'permutation pass of this run',
        egenes: ids.size,
        pval_beta_threshold: threshold,
      };
      if (ids.size)
        await pass('independent signals', { independent: { phenotypes: ids, threshold } }, slice.length);
    }
  }
  log.info(
    `${result.stats.phenotypesTested} phenotypes tested, dof ${result.dof}; GEMM backend: ${result.backend} (${result.backendDetail}), ${result.threads} mapping thread(s)${writerThread ? ' and a Parquet writer thread' : ''}`,
  );
  if (result.stats.recordsRead === 0 && !a.chunk)
    throw new InputError('no genotyped variant lies in any phenotype’s cis window', {
      file: a.genotypes,
      hint: `The phenotypes are on chromosomes ${[...new Set(Array.from(slice, (i) => canonicalChrom(ph.chr![i])))].slice(0, 5).join(', ')}: check that the genotype file has them (chromosome names, genome build)`,
    });
  if (result.stats.recordsRead === 0 && a.chunk)
    log.warn(
      `no genotyped variant lies in the cis windows of chunk ${a.chunk} (cis-merge checks the whole run)`,
    );
  for (const [reason, ids] of Object.entries(out.skipped))
    if (ids.length) log.warn(`${ids.length} phenotypes not tested (${reason}), e.g. ${preview(ids)}`);

  const summary: Record<string, unknown> = {
    samples: counts,
    covariates: { count: k, rank_with_intercept: residualizer.rank, dependent: residualizer.dropped },
    dof: result.dof,
    gemm_backend: result.backend,
    gemm_detail: result.backendDetail,
    threads_used: result.threads + (writerThread ? 1 : 0),
    parquet_writer_thread: writerThread !== undefined,
    permutation_gemm: {
      seconds: Number(result.stats.gemmSeconds.toFixed(3)),
      gflop: Number((result.stats.gemmFlops / 1e9).toFixed(3)),
      gflops_per_thread:
        result.stats.gemmSeconds > 0
          ? Number((result.stats.gemmFlops / 1e9 / result.stats.gemmSeconds).toFixed(2))
          : null,
    },
    variants: result.stats.variants,
    pairs: result.stats.pairs,
    phenotypes: {
      total: nPh,
      selected: slice.length,
      tested: result.stats.phenotypesTested,
      skipped: out.skipped,
      not_on_genotype_chromosomes: noGenotypes,
    },
    // the manifest cis-merge checks: which slice of which phenotypes this run covered
    chunk: { k: chunkK, n: chunkN, region: a.region ?? null, phenotype_ids: selected },
  };
  if (interaction)
    return {
      ...summary,
      interaction: {
        files: out.interactionFiles,
        pairs: out.interactionPairs,
        terms: interaction.names,
        maf_min_interaction: interaction.mafMin,
        dof: result.dof - 2 * interaction.names.length,
      },
    };
  if (a.mode === 'nominal')
    return { ...summary, nominal: { files: out.nominalFiles, pairs: out.nominalPairs } };

  const permPath = `${a.out}.cis_qtl.parquet`;
  if (a.mode === 'permute' || !a['cis-results']) {
    const w = new ParquetTableWriter(ctx.outputs.claim(permPath), CIS_PERMUTATION.columns, {
      schema: CIS_PERMUTATION.schema,
      params,
    });
    w.write((await import('../../stages/cis/tables.js')).permutationTable(out.permutation, sig));
    w.close();
  }
  const permutation = {
    file: a.mode === 'permute' || !a['cis-results'] ? permPath : null,
    permutations: a.permutations,
    seed: a.seed,
    multiple_testing: a.chunk ? null : a['multiple-testing'],
    ...(sig?.pi0 ?? {}),
    fdr: a.fdr,
    significant: sig ? sig.significant : null,
    min_p_threshold: sig?.pThreshold ?? null,
  };
  if (sig) log.info(`${sig.significant} of ${out.permutation.length} phenotypes significant at FDR ${a.fdr}`);
  else if (a.mode === 'permute')
    log.info(`q-values and nominal thresholds: run cis-merge over all ${chunkN} chunks`);
  if (a.mode === 'permute') return { ...summary, permutation };

  const indPath = `${a.out}.cis_independent_qtl.parquet`;
  const w = new ParquetTableWriter(ctx.outputs.claim(indPath), CIS_INDEPENDENT.columns, {
    schema: CIS_INDEPENDENT.schema,
    params,
  });
  w.write((await import('../../stages/cis/tables.js')).independentTable(out.independent));
  w.close();
  const perGene = new Map<string, number>();
  for (const r of out.independent) perGene.set(r.phenotypeId, (perGene.get(r.phenotypeId) ?? 0) + 1);
  log.info(`${out.independent.length} independent signals in ${perGene.size} phenotypes`);
  return {
    ...summary,
    ...(a['cis-results'] ? {} : { permutation }),
    independent: {
      file: indPath,
      ...independentSource,
      signals: out.independent.length,
      phenotypes_with_signals: perGene.size,
      phenotypes_with_several: [...perGene.values()].filter((c) => c > 1).length,
      forward_selected: out.forward,
    },
  };
}

export const cisCommand: CommandModule<object, CisArgs> = {
  command: 'cis',
  describe:
    'cis-QTL mapping: nominal pass; permutation pass with beta approximation, q-values and nominal thresholds; independent signals',
  builder,
  handler: async (argv) => {
    process.exitCode = await runStage('cis', argv, (ctx) => cisStage(argv, ctx));
  },
};
