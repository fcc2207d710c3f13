/**
 * `qtlflow finemap`: SuSiE fine-mapping of cis windows (individual-level genotypes and phenotypes, covariates
 * regressed out of both), of the eGenes of a `cis` permutation table or of named phenotypes; or of one
 * summary-statistics locus (`--sumstats`: susie_rss on z-scores with an LD matrix file or LD computed from a
 * genotype panel). Writes `PREFIX.susie_pip.parquet` and `PREFIX.susie_cs.parquet`.
 */
import { basename } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { readCovariatesAny } from '../../io/covariates.js';
import { InputError } from '../../io/errors.js';
import { canonicalChrom } from '../../io/genome.js';
import { openGenotypes, parseRegion, region } from '../../io/genotypes/index.js';
import type { Region } from '../../io/genotypes/index.js';
import { ldFromGenotypes, readLdMatrix } from '../../io/ld.js';
import { readExpressionMatrix } from '../../io/matrix.js';
import { ParquetTableWriter, openParquet, toFloat64, toStrings } from '../../io/parquet.js';
import { SUSIE_CS, susiePipSpec } from '../../io/results.js';
import { readSumstats, varbetaLooksLikeSe } from '../../io/sumstats.js';
import type { Sumstats } from '../../io/sumstats.js';
import { checkDuplicates, hasAlleles, hasPositions } from '../../io/variants.js';
import type { VariantList } from '../../io/variants.js';
import { phenotypesByChromosome, prepareVariant } from '../../stages/cis/index.js';
import { alignAnalysisSamples } from '../../stages/cis/inputs.js';
import {
  SusieNumericError,
  csColumns,
  fineMapIndividual,
  fineMapSummary,
  marginalEffects,
  pipColumns,
} from '../../stages/finemap/index.js';
import type { LocusFit, LocusVariants, SusieOptions } from '../../stages/finemap/index.js';
import { median } from '../../stats/rank.js';
import { runStage, stageParams, withCommonOptions } from '../framework.js';
import type { CommonArgs, StageContext } from '../framework.js';
import type { Logger } from '../log.js';
import { sumstatsMapping, withSumstatsColumns } from '../sumstats-flags.js';
import type { SumstatsFlagArgs } from '../sumstats-flags.js';

/** The SuSiE flags of `finemap`, also taken by `coloc --method susie` for susie_rss on text datasets. */
export interface SusieFlagArgs {
  L: number;
  coverage: number;
  'min-abs-corr': number;
  'estimate-prior-variance': boolean;
  'scaled-prior-variance': number;
  'estimate-residual-variance'?: boolean;
  'max-iter': number;
  tol: number;
}

export interface FinemapArgs extends CommonArgs, SumstatsFlagArgs, SusieFlagArgs {
  genotypes?: string;
  phenotypes?: string;
  covariates?: string;
  cis?: string;
  fdr: number;
  'phenotype-ids'?: string[];
  sumstats?: string;
  ld?: string;
  n?: number;
  trait?: string;
  region?: string;
  out: string;
  window: number;
  'maf-min': number;
  'min-samples': number;
}

export function withSusieOptions<T>(y: Argv<T>): Argv<T & SusieFlagArgs> {
  return y
    .option('L', { type: 'number', default: 10, describe: 'Number of single effects' })
    .option('coverage', { type: 'number', default: 0.95, describe: 'Credible-set coverage' })
    .option('min-abs-corr', {
      type: 'number',
      default: 0.5,
      describe: 'Purity: minimum |r| between members of a reported credible set',
    })
    .option('estimate-prior-variance', {
      type: 'boolean',
      default: true,
      describe: 'Estimate each effect’s prior variance (--no-estimate-prior-variance: fixed)',
    })
    .option('scaled-prior-variance', {
      type: 'number',
      default: 0.2,
      describe: 'Prior variance as a fraction of var(y) (initial value when estimated)',
    })
    .option('estimate-residual-variance', {
      type: 'boolean',
      describe: 'Estimate σ² (default: yes for individual data, no for summary statistics, as susieR)',
    })
    .option('max-iter', { type: 'number', default: 100, describe: 'IBSS iterations at most' })
    .option('tol', { type: 'number', default: 1e-3, describe: 'Stop when the ELBO rises by less than this' })
    .check((a) => {
      if (!(Number.isInteger(a.L) && a.L >= 1)) throw new Error('--L must be an integer ≥ 1');
      if (!(a.coverage > 0 && a.coverage < 1)) throw new Error('--coverage must be between 0 and 1');
      if (!(a['min-abs-corr'] >= 0 && a['min-abs-corr'] <= 1))
        throw new Error('--min-abs-corr must be in [0, 1]');
      if (!(a['scaled-prior-variance'] >= 0 && a['scaled-prior-variance'] <= 1))
        throw new Error('--scaled-prior-variance must be in [0, 1]');
      if (!(Number.isInteger(a['max-iter']) && a['max-iter'] >= 1)) throw new Error('--max-iter must be ≥ 1');
      if (!(a.tol > 0)) throw new Error('--tol must be > 0');
      return true;
    }) as Argv<T & SusieFlagArgs>;
}

function builder(y: Argv): Argv<FinemapArgs> {
  return withSusieOptions(
    withSumstatsColumns(
      withCommonOptions(
        y
          .option('genotypes', {
            type: 'string',
            describe: 'Genotypes (any format import reads); with --sumstats: the LD reference panel',
          })
          .option('phenotypes', { type: 'string', describe: 'Phenotypes: BED(.gz) or phenotypes Parquet' })
          .option('covariates', {
            type: 'string',
            describe: 'Covariates (Parquet or text), regressed out of y and X',
          })
          .option('cis', {
            type: 'string',
            describe: 'cis permutation table (cis --mode permute): fine-map its eGenes',
          })
          .option('fdr', {
            type: 'number',
            default: 0.05,
            describe: 'eGenes: qval ≤ this in the --cis table',
          })
          .option('phenotype-ids', { type: 'string', array: true, describe: 'Fine-map these phenotypes' })
          .option('sumstats', {
            type: 'string',
            describe: 'Summary statistics of one locus (TSV/CSV(.gz)): susie_rss instead of individual data',
          })
          .option('ld', {
            type: 'string',
            describe: 'LD matrix file for --sumstats (square, variant IDs as header)',
          })
          .option('n', {
            type: 'number',
            describe: 'Sample size of --sumstats (default: median of its N column)',
          })
          .option('trait', {
            type: 'string',
            describe: 'Name of the --sumstats locus (default: the file name)',
          })
          .option('region', { type: 'string', describe: 'Use only --sumstats rows in chr:start-end' })
          .option('out', { type: 'string', demandOption: true, describe: 'Output prefix' })
          .option('window', {
            type: 'number',
            default: 1_000_000,
            describe: 'cis window (bp) around the TSS',
          })
          .option('maf-min', { type: 'number', default: 0, describe: 'Use variants with MAF ≥ X' })
          .option('min-samples', { type: 'number', default: 10, describe: 'Fail with fewer shared samples' })
          .check((a) => {
            if (a.sumstats) {
              if (!a.ld && !a.genotypes)
                throw new Error('--sumstats needs --ld or --genotypes (an LD panel)');
              if (a.phenotypes || a.cis || a['phenotype-ids'])
                throw new Error(
                  '--sumstats fine-maps one summary-statistics locus: drop --phenotypes/--cis/--phenotype-ids',
                );
            } else {
              if (!a.genotypes || !a.phenotypes)
                throw new Error(
                  '--genotypes and --phenotypes are required (or --sumstats for summary statistics)',
                );
              if (!a.cis === !a['phenotype-ids'])
                throw new Error(
                  'name the phenotypes to fine-map: --cis PERMUTATION_TABLE or --phenotype-ids (one of them)',
                );
            }
            if (!(a.fdr > 0 && a.fdr < 1)) throw new Error('--fdr must be between 0 and 1');
            if (!(a.window >= 0)) throw new Error('--window must be ≥ 0');
            if (a.n !== undefined && !(a.n > 1)) throw new Error('--n must be > 1');
            return true;
          }),
      ),
    ),
  ) as unknown as Argv<FinemapArgs>;
}

/** The SuSiE options of a command line (shared with `coloc --method susie`). */
export function susieOptionsOf(a: SusieFlagArgs, summaryData: boolean): Partial<SusieOptions> {
  return {
    L: a.L,
    coverage: a.coverage,
    minAbsCorr: a['min-abs-corr'],
    estimatePriorVariance: a['estimate-prior-variance'],
    scaledPriorVariance: a['scaled-prior-variance'],
    estimateResidualVariance: a['estimate-residual-variance'] ?? !summaryData,
    maxIter: a['max-iter'],
    tol: a.tol,
  };
}

/** Writes the two SuSiE tables, one locus at a time. */
export class SusieTableWriter {
  private readonly pip: ParquetTableWriter;
  private readonly cs: ParquetTableWriter;

  constructor(
    ctx: StageContext,
    readonly out: string,
    readonly L: number,
    params: Record<string, unknown>,
    extra: Record<string, unknown>,
  ) {
    const spec = susiePipSpec(L);
    this.pip = new ParquetTableWriter(ctx.outputs.claim(`${out}.susie_pip.parquet`), spec.columns, {
      schema: spec.schema,
      params,
      extra: { L, ...extra },
    });
    this.cs = new ParquetTableWriter(ctx.outputs.claim(`${out}.susie_cs.parquet`), SUSIE_CS.columns, {
      schema: SUSIE_CS.schema,
      params,
      extra: { L, ...extra },
    });
  }

  write(id: string, v: LocusVariants, r: LocusFit): void {
    this.pip.write(pipColumns(id, v, r, this.L));
    this.cs.write(csColumns(id, v, r));
  }

  close(): void {
    this.pip.close();
    this.cs.close();
  }

  get files(): string[] {
    return [`${this.out}.susie_pip.parquet`, `${this.out}.susie_cs.parquet`];
  }
}

export interface FitReport {
  phenotype_id: string;
  variants: number;
  niter: number;
  converged: boolean;
  sigma2: number;
  elbo: number;
  credible_sets: number;
  credible_sets_impure: number;
}

function fitReport(id: string, r: LocusFit): FitReport {
  const f = r.fit;
  return {
    phenotype_id: id,
    variants: f.p,
    niter: f.niter,
    converged: f.converged,
    sigma2: f.sigma2,
    elbo: f.elbo.at(-1) ?? NaN,
    credible_sets: f.sets.filter((c) => c.pure).length,
    credible_sets_impure: f.sets.filter((c) => !c.pure).length,
  };
}

/** The phenotypes to fine-map: eGenes of a cis permutation table at --fdr, or the named IDs. */
async function targetPhenotypes(a: FinemapArgs, known: Set<string>, log: Logger): Promise<string[]> {
  if (a['phenotype-ids']) {
    const ids = a['phenotype-ids'].flatMap((s) => s.split(',')).filter(Boolean);
    const absent = ids.filter((id) => !known.has(id));
    if (absent.length)
      throw new InputError(
        `${absent.length} of the --phenotype-ids are not in the phenotypes: ${absent.slice(0, 5).join(', ')}`,
        {
          file: a.phenotypes,
          expected: 'IDs of the phenotypes file',
        },
      );
    return [...new Set(ids)];
  }
  const t = await openParquet(a.cis!);
  if (t.meta.schema !== 'cis_permutation/1')
    throw new InputError(`not a cis permutation table (schema ${t.meta.schema ?? 'none'})`, {
      file: a.cis,
      expected: "the PREFIX.cis_qtl.parquet of 'qtlflow cis --mode permute' (schema cis_permutation/1)",
    });
  const ids = toStrings(await t.column('phenotype_id'));
  const q = toFloat64(await t.column('qval'));
  const eGenes = ids.filter((_, i) => q[i] <= a.fdr);
  const absent = eGenes.filter((id) => !known.has(id));
  if (absent.length)
    throw new InputError(
      `${absent.length} eGenes of the cis table are not in the phenotypes, e.g. ${absent[0]}`,
      {
        file: a.cis,
        hint: 'Use the phenotypes the cis table was mapped on',
      },
    );
  log.info(`${eGenes.length} of ${ids.length} phenotypes of the cis table have qval ≤ ${a.fdr}`);
  return eGenes;
}

export async function finemapStage(a: FinemapArgs, ctx: StageContext): Promise<Record<string, unknown>> {
  return a.sumstats ? finemapSumstatsStage(a, ctx) : finemapIndividualStage(a, ctx);
}

async function finemapIndividualStage(a: FinemapArgs, ctx: StageContext): Promise<Record<string, unknown>> {
  const { log } = ctx;
  const ph = await readExpressionMatrix(a.phenotypes!, undefined, undefined, true);
  if (!ph.chr || !ph.start || !ph.end)
    throw new InputError('phenotypes have no positions', {
      file: a.phenotypes,
      expected: 'a BED (#chr start end id samples…) or a phenotypes Parquet with chr, start, end',
    });
  const targets = await targetPhenotypes(a, new Set(ph.phenotypeId), log);
  const reader = await openGenotypes(a.genotypes!);
  const cov = a.covariates ? await readCovariatesAny(a.covariates) : undefined;
  const inputs = alignAnalysisSamples(
    ph,
    await reader.samples(),
    cov,
    { phenotypes: a.phenotypes!, covariates: a.covariates },
    a['min-samples'],
    (m) => log.warn(m),
  );
  const n = inputs.keep.length;
  const dof = n - 2 - inputs.k;
  if (dof < 1)
    throw new InputError(`${n} samples leave no residual degrees of freedom with ${inputs.k} covariates`, {
      file: a.covariates,
    });
  const opts = susieOptionsOf(a, false);
  const writer = new SusieTableWriter(ctx, a.out, a.L, stageParams(a), { n_samples: n });
  const want = new Set(targets);
  const rowsOf = phenotypesByChromosome({ chr: ph.chr, start: ph.start, phenotypeId: ph.phenotypeId });
  const variantStats = { read: 0, used: 0, monomorphic: 0, belowMaf: 0, collinearWithCovariates: 0 };
  const skipped: Record<string, string[]> = {
    no_variants_in_window: [],
    constant_phenotype: [],
    numeric: [],
  };
  const fits: FitReport[] = [];
  const progress = log.progress('phenotypes', targets.length);
  const x = new Float64Array(n);
  for (const [chr, rows] of rowsOf) {
    for (const i of rows) {
      const id = ph.phenotypeId[i];
      if (!want.has(id)) continue;
      const tss = ph.start[i] + 1;
      const lo = Math.max(1, tss - a.window);
      const hi = (ph.end[i] - ph.start[i] > 1 ? ph.end[i] : tss) + a.window;
      const v: LocusVariants = { id: [], chr: [], pos: [], ref: [], alt: [], af: [], slope: [], slopeSe: [] };
      const pos: number[] = [];
      const af: number[] = [];
      const residuals: Float64Array[] = [];
      for await (const block of reader.iterRegions([region(`${chr}:${lo}-${hi}`)])) {
        const N = block.nSamples;
        for (let k = 0; k < block.variants.pos.length; k++) {
          variantStats.read++;
          const prep = prepareVariant(
            block.dosages.subarray(k * N, (k + 1) * N),
            inputs.genotypeIndex,
            inputs.residualizer,
            { mafMin: a['maf-min'], maSamplesMin: 0 },
            x,
          );
          if (prep.status !== 'ok') {
            variantStats[prep.status]++;
            continue;
          }
          const p0 = block.variants.pos[k];
          const vid = block.variants.id[k];
          v.id.push(vid === '.' ? `${canonicalChrom(block.variants.chr[k])}:${p0}` : vid);
          v.chr.push(block.variants.chr[k]);
          pos.push(p0);
          v.ref.push(block.variants.ref[k]);
          v.alt.push(block.variants.alt[k]);
          af.push(prep.af);
          residuals.push(Float64Array.from(x));
        }
      }
      const p = residuals.length;
      progress.tick(fits.length + Object.values(skipped).flat().length + 1);
      if (p === 0) {
        skipped.no_variants_in_window.push(id);
        continue;
      }
      const y = Float64Array.from(inputs.values.subarray(i * n, (i + 1) * n));
      inputs.residualizer.residualize(y);
      if (!(Math.sqrt(y.reduce((s, t) => s + t * t, 0)) > 1e-10)) {
        skipped.constant_phenotype.push(id);
        continue;
      }
      variantStats.used += p;
      const X = new Float64Array(p * n);
      residuals.forEach((r, j) => X.set(r, j * n));
      residuals.length = 0;
      const marginal = marginalEffects(X, p, n, y, dof);
      v.pos = Int32Array.from(pos);
      v.af = Float64Array.from(af);
      v.slope = marginal.slope;
      v.slopeSe = marginal.slopeSe;
      let r: LocusFit;
      try {
        r = fineMapIndividual(X, p, n, y, opts);
      } catch (e) {
        if (!(e instanceof SusieNumericError)) throw e;
        log.warn(`${id}: SuSiE failed (${e.message}); not fine-mapped`);
        skipped.numeric.push(id);
        continue;
      }
      if (!r.fit.converged) log.warn(`${id}: IBSS did not converge in ${a['max-iter']} iterations`);
      writer.write(id, v, r);
      fits.push(fitReport(id, r));
    }
  }
  progress.finish();
  await reader.close();
  writer.close();
  if (variantStats.monomorphic)
    log.warn(`${variantStats.monomorphic} monomorphic variants in the windows were left out`);
  for (const [reason, ids] of Object.entries(skipped))
    if (ids.length)
      log.warn(`${ids.length} phenotypes not fine-mapped (${reason}), e.g. ${ids.slice(0, 3).join(', ')}`);
  const withCs = fits.filter((f) => f.credible_sets > 0).length;
  log.info(`${fits.length} phenotypes fine-mapped; ${withCs} with at least one credible set`);
  return {
    samples: inputs.counts,
    covariates: { count: inputs.k, rank_with_intercept: inputs.residualizer.rank },
    phenotypes: { requested: targets.length, fine_mapped: fits.length, with_credible_set: withCs, skipped },
    variants: variantStats,
    fits,
    outputs_tables: writer.files,
  };
}

/** The variant list of a summary-statistics table (effect allele as ALT). */
export function sumstatsVariants(s: Sumstats): VariantList {
  return { id: s.id, chr: s.chr, pos: s.pos, ref: s.otherAllele, alt: s.effectAllele };
}

/** Reads and checks a summary-statistics file for an analysis ('abf' or 'rss'): duplicates, varbeta scale. */
export async function loadSumstats(
  file: string,
  args: object,
  use: 'abf' | 'rss',
  log: Logger,
  regionText?: string,
  dataset?: 1 | 2,
): Promise<{ s: Sumstats; report: Record<string, unknown> }> {
  const reg: Region | undefined = regionText ? parseRegion(regionText) : undefined;
  const s = await readSumstats(file, sumstatsMapping(args, dataset), {
    use,
    keep: reg
      ? (_id, chr, pos) =>
          chr !== undefined && canonicalChrom(chr) === reg.chr && pos >= reg.start && pos <= reg.end
      : undefined,
  });
  if (reg && !s.chr)
    throw new InputError('--region needs chromosome and position columns', {
      file,
      hint: 'Map them with --chr-col and --pos-col',
    });
  if (s.id.length === 0)
    throw new InputError(
      s.droppedMissing
        ? `no row has a value in every column the analysis needs (${s.droppedMissing} rows with missing values, the first on line ${s.firstDroppedLine})`
        : 'no rows' + (reg ? ` in ${regionText}` : ''),
      {
        file,
        hint: `Columns used: ${Object.entries(s.columns)
          .map(([k, c]) => `${k}='${c}'`)
          .join(
            ', ',
          )}. A column that is NA throughout can be replaced with the mapping flags (e.g. --beta-col log_OR)`,
      },
    );
  if (s.droppedMissing)
    log.warn(
      `${file}: ${s.droppedMissing} rows with missing values left out (first on line ${s.firstDroppedLine})`,
    );
  const v = sumstatsVariants(s);
  const by = hasAlleles(v) ? 'position' : 'id';
  checkDuplicates(v, by, { file, rowLabel: (i) => ({ line: s.line[i] }) });
  let varbetaAsSe: string | undefined;
  if (s.varbeta && !s.se) {
    varbetaAsSe = varbetaLooksLikeSe(s);
    if (varbetaAsSe) {
      log.warn(
        `${file}: the varbeta column '${s.columns.varbeta}' looks like standard errors, not variances (${varbetaAsSe}); using its square as varbeta. Map it with --se-col to say so, or check the column`,
      );
      s.se = s.varbeta;
      s.varbeta = s.varbeta.map((x) => x * x);
    }
  }
  const maf = s.maf;
  let monomorphic = 0;
  if (maf) for (const f of maf) if (f === 0 || f === 1) monomorphic++;
  return {
    s,
    report: {
      file,
      rows: s.id.length,
      columns: s.columns,
      dropped_missing: s.droppedMissing,
      outside_region: s.skipped,
      varbeta_looks_like_se: varbetaAsSe ?? null,
      monomorphic,
    },
  };
}

/** z-scores of a summary-statistics table: the z column, or beta/se. */
export function zScores(s: Sumstats): Float64Array {
  if (s.beta && (s.se || s.varbeta)) {
    const se = s.se ?? s.varbeta!.map(Math.sqrt);
    return s.beta.map((b, i) => b / se[i]);
  }
  return Float64Array.from(s.z!);
}

/**
 * susie_rss on one summary-statistics locus: LD from a matrix file (by ID) or computed from a genotype panel
 * (by position and alleles when the file has them, else by ID); variants without LD are left out (reported).
 */
export async function fineMapSumstats(
  s: Sumstats,
  ld: { matrix?: string; genotypes?: string },
  n: number | undefined,
  options: Partial<SusieOptions>,
  log: Logger,
): Promise<{ variants: LocusVariants; fit: LocusFit; report: Record<string, unknown> }> {
  const v = sumstatsVariants(s);
  const m = ld.matrix ? await readLdMatrix(ld.matrix, s.id) : await ldFromGenotypes(ld.genotypes!, v);
  const source = ld.matrix ?? ld.genotypes!;
  if (m.rows.length === 0)
    throw new InputError(`none of the ${s.id.length} summary-statistics variants is in the LD source`, {
      file: source,
      hint: hasPositions(v)
        ? `Summary statistics are on chromosome ${s.chr![0]} around ${s.pos![0]}: check chromosome names, genome build and alleles`
        : `IDs such as '${s.id[0]}' must appear in the LD source`,
    });
  if (m.missing || m.monomorphic)
    log.warn(
      `${m.missing} summary-statistics variants not in the LD source${m.monomorphic ? ` and ${m.monomorphic} constant in it` : ''} left out; ${m.rows.length} used`,
    );
  const N = n ?? (s.n ? median(s.n) : undefined);
  if (N === undefined || !(N > 1))
    throw new InputError('the sample size of the summary statistics is unknown', {
      file: s.file,
      hint: 'Give it with --n (finemap) / --N1, --N2 (coloc), or map an N column with --n-col',
    });
  const z = zScores(s);
  const zSub = Float64Array.from(m.rows, (k) => z[k]);
  let asym = 0;
  let fit: LocusFit;
  try {
    fit = fineMapSummary(zSub, m.r, N, { ...options, onAsymmetry: (d) => (asym = d) });
  } catch (e) {
    if (!(e instanceof SusieNumericError)) throw e;
    throw new InputError(`susie_rss failed: ${e.message}`, {
      file: s.file,
      hint: `Check that the z-scores and the LD (${source}) come from the same alleles and population, and that n = ${N} is right`,
    });
  }
  if (asym > 1e-8)
    log.warn(`LD matrix is not symmetric (max |r_ij − r_ji| = ${asym.toExponential(2)}); used (R + Rᵀ)/2`);
  const pick = <T>(arr: ArrayLike<T> | undefined, fill: T) => m.rows.map((k) => (arr ? arr[k] : fill));
  const variants: LocusVariants = {
    id: pick(s.id, ''),
    chr: pick(s.chr, ''),
    pos: Int32Array.from(pick(s.pos, 0)),
    ref: pick(s.otherAllele, ''),
    alt: pick(s.effectAllele, ''),
    af: Float64Array.from(pick(s.eaf, NaN)),
    slope: Float64Array.from(pick(s.beta, NaN)),
    slopeSe: Float64Array.from(pick(s.se ?? s.varbeta?.map(Math.sqrt), NaN)),
  };
  return {
    variants,
    fit,
    report: {
      ld_source: source,
      n: N,
      used: m.rows.length,
      no_ld: m.missing,
      monomorphic_in_panel: m.monomorphic,
      flipped_in_panel: m.flipped,
    },
  };
}

async function finemapSumstatsStage(a: FinemapArgs, ctx: StageContext): Promise<Record<string, unknown>> {
  const { log } = ctx;
  const { s, report } = await loadSumstats(a.sumstats!, a, 'rss', log, a.region);
  const trait = a.trait ?? basename(a.sumstats!).replace(/\.(tsv|csv|txt)?(\.gz|\.bgz)?$/i, '');
  const r = await fineMapSumstats(
    s,
    { matrix: a.ld, genotypes: a.genotypes },
    a.n,
    susieOptionsOf(a, true),
    log,
  );
  const writer = new SusieTableWriter(ctx, a.out, a.L, stageParams(a), { n_samples: r.report.n });
  writer.write(trait, r.variants, r.fit);
  writer.close();
  const fit = fitReport(trait, r.fit);
  if (!fit.converged) log.warn(`${trait}: IBSS did not converge in ${a['max-iter']} iterations`);
  log.info(`${trait}: ${fit.variants} variants, ${fit.credible_sets} credible sets`);
  return { sumstats: report, rss: r.report, fits: [fit], outputs_tables: writer.files };
}

export const finemapCommand: CommandModule<object, FinemapArgs> = {
  command: 'finemap',
  describe:
    'SuSiE fine-mapping of cis windows (individual data) or of a summary-statistics locus (susie_rss)',
  builder,
  handler: async (argv) => {
    process.exitCode = await runStage('finemap', argv, (ctx) => finemapStage(argv, ctx));
  },
};
