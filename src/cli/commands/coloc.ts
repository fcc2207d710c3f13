/**
 * `qtlflow coloc`: colocalization of two association datasets, as the R package coloc: `coloc.abf` (one causal
 * variant per trait; per-SNP approximate Bayes factors) or coloc-SuSiE (`coloc.susie`: every pair of SuSiE
 * credible-set signals through their per-variable log BFs). A dataset is a `cis` nominal table (one trait per
 * phenotype), a `finemap` SuSiE table (one trait per phenotype: its marginal statistics for abf, its lbf
 * columns for susie), or a summary-statistics text file (one trait; susie_rss is run on it for the susie
 * method). SNPs are matched by chromosome, position and alleles (either order and strand; flips are
 * reported) when both sides have them, or by ID.
 */
import { basename } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { InputError } from '../../io/errors.js';
import { canonicalChrom } from '../../io/genome.js';
import { openGenotypes, parseRegion } from '../../io/genotypes/index.js';
import type { Region } from '../../io/genotypes/index.js';
import { ParquetTableWriter, openParquet, toInt32, toStrings } from '../../io/parquet.js';
import type { ParquetTable } from '../../io/parquet.js';
import { COLOC_SNP, COLOC_SUMMARY } from '../../io/results.js';
import { checkDuplicates, hasAlleles, matchVariants } from '../../io/variants.js';
import type { VariantList, VariantMatch } from '../../io/variants.js';
import { abfInputProblem, colocAbf, colocBfBf, traitLabf } from '../../stages/coloc/abf.js';
import type { AbfTrait, TraitType } from '../../stages/coloc/abf.js';
import { runStage, stageParams, withCommonOptions } from '../framework.js';
import type { CommonArgs, StageContext } from '../framework.js';
import { withSumstatsColumns } from '../sumstats-flags.js';
import type { SumstatsFlagArgs } from '../sumstats-flags.js';
import {
  fineMapSumstats,
  loadSumstats,
  sumstatsVariants,
  susieOptionsOf,
  withSusieOptions,
} from './finemap.js';
import type { SusieFlagArgs } from './finemap.js';
import { openSync, readSync, closeSync } from 'node:fs';

export interface ColocArgs extends CommonArgs, SumstatsFlagArgs, SusieFlagArgs {
  dataset1: string;
  dataset2: string;
  method: 'abf' | 'susie';
  type1: TraitType;
  type2: TraitType;
  sdY1?: number;
  sdY2?: number;
  N1?: number;
  N2?: number;
  s1?: number;
  s2?: number;
  trait1?: string;
  trait2?: string;
  p1: number;
  p2: number;
  p12?: number;
  'match-by': 'auto' | 'position' | 'id';
  genotypes?: string;
  ld1?: string;
  ld2?: string;
  'phenotype-ids'?: string[];
  region?: string;
  'all-pairs': boolean;
  'overlap-min': number;
  out: string;
}

function builder(y: Argv): Argv<ColocArgs> {
  let b = y
    .option('dataset1', {
      type: 'string',
      demandOption: true,
      describe: 'cis nominal Parquet, finemap PREFIX.susie_pip.parquet, or summary statistics (TSV/CSV(.gz))',
    })
    .option('dataset2', { type: 'string', demandOption: true, describe: 'as --dataset1' })
    .option('method', {
      choices: ['abf', 'susie'] as const,
      default: 'abf' as const,
      describe: 'abf: coloc.abf; susie: coloc.susie on SuSiE credible-set signals',
    });
  for (const k of [1, 2]) {
    b = b
      .option(`type${k}`, {
        choices: ['quant', 'cc'] as const,
        default: 'quant' as const,
        describe: `Dataset ${k}: quantitative or case-control trait`,
      })
      .option(`sdY${k}`, {
        type: 'number',
        describe: `Dataset ${k}: SD of the trait (quant; estimated when absent)`,
      })
      .option(`N${k}`, { type: 'number', describe: `Dataset ${k}: sample size` })
      .option(`s${k}`, { type: 'number', describe: `Dataset ${k}: fraction of cases (cc, from p-values)` })
      .option(`trait${k}`, {
        type: 'string',
        describe: `Dataset ${k}: trait name of a summary-statistics file`,
      })
      .option(`ld${k}`, {
        type: 'string',
        describe: `Dataset ${k}: LD matrix file for susie_rss (method susie)`,
      });
  }
  b = b
    .option('p1', { type: 'number', default: 1e-4, describe: 'Prior: a SNP is causal for trait 1' })
    .option('p2', { type: 'number', default: 1e-4, describe: 'Prior: a SNP is causal for trait 2' })
    .option('p12', {
      type: 'number',
      describe: 'Prior: a SNP is causal for both (default 1e-5 abf, 5e-6 susie)',
    })
    .option('match-by', {
      choices: ['auto', 'position', 'id'] as const,
      default: 'auto' as const,
      describe: 'Match SNPs by chr:pos:alleles (auto: when both datasets have them) or by ID',
    })
    .option('genotypes', {
      type: 'string',
      describe: 'Genotypes: positions/alleles of cis-table variants, and the LD panel for susie_rss',
    })
    .option('phenotype-ids', { type: 'string', array: true, describe: 'Only these traits of dataset 1' })
    .option('region', { type: 'string', describe: 'Only SNPs of summary-statistics files in chr:start-end' })
    .option('all-pairs', {
      type: 'boolean',
      default: false,
      describe: 'With several traits in dataset 2: every pair sharing SNPs, not only equal trait names',
    })
    .option('overlap-min', {
      type: 'number',
      default: 0.5,
      describe: 'susie: drop signals with less posterior than this on the shared SNPs (coloc.bf_bf)',
    })
    .option('out', { type: 'string', demandOption: true, describe: 'Output prefix' })
    .check((argv) => {
      const a = argv as unknown as Record<string, number | undefined>;
      for (const p of ['p1', 'p2', 'p12'] as const)
        if (a[p] !== undefined && !(a[p]! > 0 && a[p]! < 1))
          throw new Error(`--${p} must be between 0 and 1`);
      for (const k of ['s1', 's2'] as const)
        if (a[k] !== undefined && !(a[k]! > 0 && a[k]! < 1))
          throw new Error(`--${k} must be between 0 and 1`);
      for (const k of ['sdY1', 'sdY2', 'N1', 'N2'] as const)
        if (a[k] !== undefined && !(a[k]! > 0)) throw new Error(`--${k} must be > 0`);
      if (!(a['overlap-min']! >= 0 && a['overlap-min']! <= 1))
        throw new Error('--overlap-min must be in [0, 1]');
      return true;
    });
  // SuSiE flags: for susie_rss on summary-statistics datasets (--method susie)
  return withSusieOptions(withSumstatsColumns(withCommonOptions(b), true)) as unknown as Argv<ColocArgs>;
}

type DatasetKind = 'cis_nominal' | 'susie' | 'sumstats';

interface Trait {
  name: string;
  file: string;
  snps: VariantList;
  /** Where row i came from (errors). */
  rowLabel: (i: number) => { line?: number; what?: string };
  abf?: AbfTrait;
  /** SuSiE signals with a pure credible set: effect index and per-SNP log BF. */
  signals?: { effect: number; lbf: Float64Array }[];
}

interface Dataset {
  k: 1 | 2;
  file: string;
  kind: DatasetKind;
  traits(): AsyncGenerator<Trait>;
  traitCount?: number;
}

function isParquet(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(4);
    readSync(fd, b, 0, 4, 0);
    return b.toString('latin1') === 'PAR1';
  } finally {
    closeSync(fd);
  }
}

/** Rows of a Parquet result table grouped by its (sorted, contiguous) phenotype_id, row group by row group. */
async function* groupsOf(t: ParquetTable, columns: string[]) {
  let current: string | undefined;
  let rows: Record<string, unknown[]> = {};
  let start = 0;
  let at = 0;
  for (const g of t.rowGroups) {
    const ids = toStrings(await t.columnRange('phenotype_id', g.rowStart, g.rowEnd));
    const cols: Record<string, ArrayLike<unknown>> = {};
    for (const c of columns) cols[c] = (await t.columnRange(c, g.rowStart, g.rowEnd)) as ArrayLike<unknown>;
    for (let i = 0; i < ids.length; i++, at++) {
      if (ids[i] !== current) {
        if (current !== undefined) yield { id: current, rows, rowStart: start };
        current = ids[i];
        rows = Object.fromEntries(columns.map((c) => [c, []]));
        start = at;
      }
      for (const c of columns) rows[c].push(cols[c][i]);
    }
  }
  if (current !== undefined) yield { id: current, rows, rowStart: start };
}

const num = (a: unknown[]) => Float64Array.from(a as number[], Number);
const strs = (a: unknown[]) => (a as unknown[]).map(String);

/** The variant table of a genotype file: ID → chr, pos, ref, alt (IDs '.' named chr:pos, as cis does). */
async function variantAnnotation(file: string, reg: Region | undefined) {
  const reader = await openGenotypes(file);
  const out = new Map<string, { chr: string; pos: number; ref: string; alt: string }>();
  try {
    const { region } = await import('../../io/genotypes/filters.js');
    const blocks = reg
      ? reader.iterRegions([region(`${reg.chr}:${reg.start}-${reg.end}`)])
      : reader.iterBlocks({ size: 4096 });
    for await (const b of blocks) {
      const v = b.variants;
      for (let i = 0; i < v.pos.length; i++) {
        const id = v.id[i] === '.' ? `${canonicalChrom(v.chr[i])}:${v.pos[i]}` : v.id[i];
        out.set(id, {
          chr: v.chr[i],
          pos: v.pos[i],
          ref: v.ref[i].toUpperCase(),
          alt: v.alt[i].toUpperCase(),
        });
      }
    }
  } finally {
    await reader.close();
  }
  return out;
}

function option<T>(a: ColocArgs, name: string, k: 1 | 2): T | undefined {
  return (a as unknown as Record<string, T | undefined>)[`${name}${k}`];
}

async function openDataset(
  a: ColocArgs,
  k: 1 | 2,
  ctx: StageContext,
  report: Record<string, unknown>,
): Promise<Dataset> {
  const file = k === 1 ? a.dataset1 : a.dataset2;
  const { log } = ctx;
  const type = option<TraitType>(a, 'type', k)!;
  const sdY = option<number>(a, 'sdY', k);
  const N = option<number>(a, 'N', k);
  const s = option<number>(a, 's', k);
  const reg = a.region ? parseRegion(a.region) : undefined;
  const wanted =
    k === 1 && a['phenotype-ids'] ? new Set(a['phenotype-ids'].flatMap((x) => x.split(','))) : undefined;
  if (isParquet(file)) {
    const t = await openParquet(file);
    const schema = t.meta.schema ?? '';
    if (schema === 'cis_nominal/1') {
      if (a.method === 'susie')
        throw new InputError('a cis nominal table has no SuSiE signals', {
          file,
          hint: "Fine-map the eGenes with 'qtlflow finemap' and give its PREFIX.susie_pip.parquet for --method susie",
        });
      const ann = a.genotypes ? await variantAnnotation(a.genotypes, reg) : undefined;
      return {
        k,
        file,
        kind: 'cis_nominal',
        async *traits() {
          for await (const g of groupsOf(t, ['variant_id', 'af', 'slope', 'slope_se', 'pval_nominal'])) {
            if (wanted && !wanted.has(g.id)) continue;
            const id = strs(g.rows.variant_id);
            const snps: VariantList = { id };
            if (ann) {
              const hit = id.map((v) => ann.get(v));
              if (hit.some((h) => !h))
                throw new InputError(
                  `variant '${id[hit.findIndex((h) => !h)]}' of ${g.id} is not in the genotypes`,
                  {
                    file: a.genotypes,
                    hint: 'Give the genotypes the cis table was mapped on',
                  },
                );
              snps.chr = hit.map((h) => h!.chr);
              snps.pos = Int32Array.from(hit, (h) => h!.pos);
              snps.ref = hit.map((h) => h!.ref);
              snps.alt = hit.map((h) => h!.alt);
            }
            const af = num(g.rows.af);
            const se = num(g.rows.slope_se);
            yield {
              name: g.id,
              file,
              snps,
              rowLabel: (i: number) => ({ what: `row ${g.rowStart + i + 1} of the table` }),
              abf: {
                type,
                beta: num(g.rows.slope),
                varbeta: se.map((x) => x * x),
                pvalues: num(g.rows.pval_nominal),
                maf: af.map((f) => Math.min(f, 1 - f)),
                n: N !== undefined ? new Float64Array(id.length).fill(N) : undefined,
                sdY,
                s,
              },
            };
          }
        },
      };
    }
    if (schema === 'susie_pip/2') {
      const L = Number(t.meta.kv['qtlflow.L'] ?? 0);
      const nMeta = Number(t.meta.kv['qtlflow.n_samples'] ?? NaN);
      const nUse = N ?? (Number.isFinite(nMeta) ? nMeta : undefined);
      const csFile = file.replace(/susie_pip\.parquet$/, 'susie_cs.parquet');
      const signalsOf = new Map<string, number[]>();
      if (a.method === 'susie') {
        if (csFile === file)
          throw new InputError('cannot find the credible-set table beside this SuSiE table', {
            file,
            expected: 'a file named PREFIX.susie_pip.parquet with PREFIX.susie_cs.parquet beside it',
          });
        const cs = await openParquet(csFile);
        const ids = toStrings(await cs.column('phenotype_id'));
        const eff = toInt32(await cs.column('cs_id'));
        const rank = toInt32(await cs.column('cs_rank'));
        const order = Array.from(ids.keys())
          .filter((i) => rank[i] > 0)
          .sort((x, y) => rank[x] - rank[y]);
        for (const i of order) signalsOf.set(ids[i], [...(signalsOf.get(ids[i]) ?? []), eff[i]]);
      }
      const lbfCols = Array.from({ length: L }, (_, l) => `lbf_${l + 1}`);
      const cols = ['variant_id', 'chr', 'pos', 'ref', 'alt', 'af', 'slope', 'slope_se'];
      return {
        k,
        file,
        kind: 'susie',
        async *traits() {
          for await (const g of groupsOf(t, a.method === 'susie' ? [...cols, ...lbfCols] : cols)) {
            if (wanted && !wanted.has(g.id)) continue;
            const af = num(g.rows.af);
            const se = num(g.rows.slope_se);
            const id = strs(g.rows.variant_id);
            const trait: Trait = {
              name: g.id,
              file,
              snps: {
                id,
                chr: strs(g.rows.chr),
                pos: Int32Array.from(g.rows.pos as number[]),
                ref: strs(g.rows.ref).map((x) => x.toUpperCase()),
                alt: strs(g.rows.alt).map((x) => x.toUpperCase()),
              },
              rowLabel: (i: number) => ({ what: `row ${g.rowStart + i + 1} of the table` }),
              abf: {
                type,
                beta: num(g.rows.slope),
                varbeta: se.map((x) => x * x),
                maf: af.map((f) => Math.min(f, 1 - f)),
                n: nUse !== undefined ? new Float64Array(id.length).fill(nUse) : undefined,
                sdY,
                s,
              },
            };
            if (a.method === 'susie')
              trait.signals = (signalsOf.get(g.id) ?? []).map((e) => ({
                effect: e,
                lbf: num(g.rows[`lbf_${e}`]),
              }));
            yield trait;
          }
        },
      };
    }
    throw new InputError(`not a table coloc can use (schema ${schema || 'none'})`, {
      file,
      expected:
        'a cis nominal table (cis_nominal/1), a finemap SuSiE table (susie_pip/2), or summary statistics text',
    });
  }
  // summary statistics text: one trait
  const { s: st, report: rep } = await loadSumstats(
    file,
    a,
    a.method === 'susie' ? 'rss' : 'abf',
    log,
    a.region,
    k,
  );
  report[`dataset${k}`] = rep;
  const name = option<string>(a, 'trait', k) ?? basename(file).replace(/\.(tsv|csv|txt)?(\.gz|\.bgz)?$/i, '');
  return {
    k,
    file,
    kind: 'sumstats',
    traitCount: 1,
    async *traits() {
      if (a.method === 'susie') {
        const ld = option<string>(a, 'ld', k);
        if (!ld && !a.genotypes)
          throw new InputError('SuSiE on summary statistics needs LD', {
            file,
            hint: `Give --ld${k} (an LD matrix file) or --genotypes (a genotype panel to compute it from)`,
          });
        const r = await fineMapSumstats(
          st,
          { matrix: ld, genotypes: ld ? undefined : a.genotypes },
          N,
          susieOptionsOf(a, true),
          log,
        );
        report[`susie_rss${k}`] = { ...r.report, converged: r.fit.fit.converged, niter: r.fit.fit.niter };
        const f = r.fit.fit;
        yield {
          name,
          file,
          snps: {
            id: r.variants.id,
            chr: st.chr && r.variants.chr,
            pos: st.pos && r.variants.pos,
            ref: st.otherAllele && r.variants.ref,
            alt: st.effectAllele && r.variants.alt,
          },
          rowLabel: () => ({}),
          signals: f.sets
            .filter((c) => c.pure)
            .map((c) => ({
              effect: c.effect,
              lbf: f.lbfVariable.slice((c.effect - 1) * f.p, c.effect * f.p),
            })),
        };
        return;
      }
      const nPer = st.n ?? (N !== undefined ? new Float64Array(st.id.length).fill(N) : undefined);
      yield {
        name,
        file,
        snps: sumstatsVariants(st),
        rowLabel: (i: number) => ({ line: st.line[i] }),
        abf: {
          type,
          beta: st.beta,
          varbeta: st.varbeta ?? st.se?.map((x) => x * x),
          pvalues: st.p,
          maf: st.maf,
          n: nPer,
          sdY,
          s,
        },
      };
    },
  };
}

/** Leaves out SNPs with MAF 0 or 1 (coloc requires 0 < MAF < 1); rejects varbeta ≤ 0. */
function cleanAbfTrait(t: Trait): { trait: Trait; monomorphic: number } {
  const abf = t.abf!;
  const m = abf.varbeta;
  if (m)
    for (let i = 0; i < m.length; i++)
      if (!(m[i] > 0))
        throw new InputError(`variance of beta is ${m[i]} for SNP ${t.snps.id[i]}`, {
          file: t.file,
          line: t.rowLabel(i).line,
          expected: 'se > 0 (varbeta > 0)',
        });
  if (!abf.maf) return { trait: t, monomorphic: 0 };
  const keep: number[] = [];
  for (let i = 0; i < abf.maf.length; i++) if (abf.maf[i] > 0 && abf.maf[i] < 1) keep.push(i);
  if (keep.length === abf.maf.length) return { trait: t, monomorphic: 0 };
  const sub = <T>(x: ArrayLike<T> | undefined): T[] | undefined => (x ? keep.map((i) => x[i]) : undefined);
  const subF = (x: ArrayLike<number> | undefined) => (x ? Float64Array.from(keep, (i) => x[i]) : undefined);
  return {
    monomorphic: abf.maf.length - keep.length,
    trait: {
      ...t,
      snps: {
        id: sub(t.snps.id)!,
        chr: sub(t.snps.chr),
        pos: t.snps.pos ? Int32Array.from(keep, (i) => t.snps.pos![i]) : undefined,
        ref: sub(t.snps.ref),
        alt: sub(t.snps.alt),
      },
      rowLabel: (i: number) => t.rowLabel(keep[i]),
      abf: {
        ...abf,
        beta: subF(abf.beta),
        varbeta: subF(abf.varbeta),
        pvalues: subF(abf.pvalues),
        maf: subF(abf.maf),
        n: subF(abf.n),
      },
    },
  };
}

export async function colocStage(a: ColocArgs, ctx: StageContext): Promise<Record<string, unknown>> {
  const { log } = ctx;
  const report: Record<string, unknown> = {};
  const d1 = await openDataset(a, 1, ctx, report);
  const d2 = await openDataset(a, 2, ctx, report);
  const priors = { p1: a.p1, p2: a.p2, p12: a.p12 ?? (a.method === 'susie' ? 5e-6 : 1e-5) };
  const params = stageParams(a);
  const summaryPath = `${a.out}.coloc.parquet`;
  const snpPath = `${a.out}.coloc_snp.parquet`;
  const wSum = new ParquetTableWriter(ctx.outputs.claim(summaryPath), COLOC_SUMMARY.columns, {
    schema: COLOC_SUMMARY.schema,
    params,
  });
  const wSnp = new ParquetTableWriter(ctx.outputs.claim(snpPath), COLOC_SNP.columns, {
    schema: COLOC_SNP.schema,
    params,
  });
  const sdYs: Record<string, number> = {};
  const monomorphic = { dataset1: 0, dataset2: 0 };
  const prepare = (t: Trait, k: 1 | 2): Trait & { labf?: Float64Array } => {
    checkDuplicates(t.snps, hasAlleles(t.snps) ? 'position' : 'id', { file: t.file, rowLabel: t.rowLabel });
    if (a.method === 'susie') return t;
    const c = cleanAbfTrait(t);
    monomorphic[`dataset${k}`] += c.monomorphic;
    const problem = abfInputProblem(c.trait.abf!);
    if (problem)
      throw new InputError(`dataset ${k}, trait ${t.name}: ${problem}`, {
        file: t.file,
        hint: `Give --sdY${k} or --N${k} (and --s${k} for case-control p-values), or the columns of beta and se`,
      });
    const r = traitLabf(c.trait.abf!);
    if (r.sdYEstimated) sdYs[`${k}:${t.name}`] = r.sdY!;
    return { ...c.trait, labf: r.labf };
  };
  // dataset 2 is held in memory (a GWAS locus, or a table of traits), dataset 1 is streamed trait by trait
  const traits2: (Trait & { labf?: Float64Array })[] = [];
  for await (const t of d2.traits()) traits2.push(prepare(t, 2));
  const byName2 = new Map(traits2.map((t) => [t.name, t]));
  const matchStats = { same: 0, swap: 0, strand: 0, strandSwap: 0, palindromic: 0, alleleMismatch: 0 };
  let pairs = 0;
  let noOverlap = 0;
  let noCredibleSet = 0;
  let traits1 = 0;
  let rows = 0;
  let sdYWarned = false;
  let firstTrait1: Trait | undefined;
  for await (const t0 of d1.traits()) {
    traits1++;
    const t1 = prepare(t0, 1);
    firstTrait1 ??= t1;
    if (Object.keys(sdYs).length && !sdYWarned) {
      // coloc's warning, once
      log.warn('estimating sdY from maf and varbeta, please directly supply sdY if known');
      sdYWarned = true;
    }
    const partners =
      traits2.length === 1 || a['all-pairs'] ? traits2 : byName2.has(t1.name) ? [byName2.get(t1.name)!] : [];
    for (const t2 of partners) {
      const by = resolveMatchBy(a['match-by'], t1.snps, t2.snps, d1, d2);
      const m = matchVariants(t1.snps, t2.snps, by);
      for (const key of Object.keys(matchStats) as (keyof typeof matchStats)[])
        matchStats[key] += m.counts[key];
      if (m.i1.length === 0) {
        noOverlap++;
        continue;
      }
      pairs++;
      if (a.method === 'abf') rows += writeAbfPair(wSum, wSnp, t1, t2, m, priors);
      else {
        if (!t1.signals!.length || !t2.signals!.length) {
          noCredibleSet++;
          continue;
        }
        rows += writeSusiePair(wSum, wSnp, t1, t2, m, priors, a['overlap-min']);
      }
    }
  }
  wSum.close();
  wSnp.close();
  if (pairs === 0)
    throw new InputError(
      traits1 === 0
        ? 'dataset 1 has no traits to colocalize'
        : `no SNP is shared by the two datasets (${traits1} × ${traits2.length} traits compared, matched by ${a['match-by']})`,
      {
        file: a.dataset2,
        hint: `Dataset 1 has SNPs such as ${exampleIds(firstTrait1)}, dataset 2 ${exampleIds(traits2[0])}; check the ID style (rsID vs chr:pos), chromosome names, genome build, or use --match-by id/position`,
      },
    );
  if (noOverlap) log.warn(`${noOverlap} trait pairs share no SNP and were skipped`);
  if (noCredibleSet)
    log.warn(`${noCredibleSet} trait pairs have no credible set on one side (nothing to colocalize)`);
  const flips = matchStats.swap + matchStats.strandSwap;
  if (flips || matchStats.strand)
    log.info(
      `allele matching: ${flips} SNPs with the alleles swapped (effects flipped), ${matchStats.strand + matchStats.strandSwap} on the other strand`,
    );
  if (matchStats.alleleMismatch)
    log.warn(`${matchStats.alleleMismatch} SNPs at the same position with other alleles were not matched`);
  for (const k of ['dataset1', 'dataset2'] as const)
    if (monomorphic[k])
      log.warn(`${k}: ${monomorphic[k]} SNPs with MAF 0 or 1 left out (coloc needs 0 < MAF < 1)`);
  log.info(`${pairs} trait pairs colocalized (${a.method}); ${rows} result rows`);
  return {
    method: a.method,
    priors,
    datasets: { dataset1: d1.kind, dataset2: d2.kind },
    ...report,
    traits: { dataset1: traits1, dataset2: traits2.length },
    pairs: { colocalized: pairs, no_shared_snps: noOverlap, no_credible_set: noCredibleSet },
    snp_matching: matchStats,
    monomorphic_left_out: monomorphic,
    sdY_estimated: sdYs,
    outputs_tables: [summaryPath, snpPath],
  };
}

function exampleIds(t: Trait | undefined): string {
  if (!t) return 'none';
  return t.snps.id
    .slice(0, 2)
    .map((s, i) => `'${s}'${t.snps.chr && t.snps.pos ? ` (${t.snps.chr[i]}:${t.snps.pos[i]})` : ''}`)
    .join(', ');
}

function resolveMatchBy(
  want: 'auto' | 'position' | 'id',
  a: VariantList,
  b: VariantList,
  d1: Dataset,
  d2: Dataset,
) {
  const both = hasAlleles(a) && hasAlleles(b);
  if (want === 'position' && !(a.chr && a.pos && b.chr && b.pos)) {
    const which = a.chr && a.pos ? d2 : d1;
    throw new InputError('--match-by position needs chromosome and position in both datasets', {
      file: which.file,
      hint:
        which.kind === 'cis_nominal'
          ? 'Give --genotypes (the genotypes the cis table was mapped on) to look up positions'
          : 'Map the columns with --chr-col and --pos-col',
    });
  }
  if (want === 'auto') return both ? 'position' : 'id';
  return want;
}

function argmax(x: ArrayLike<number>): number {
  let h = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[h]) h = i;
  return h;
}

function snpRows(
  t1: Trait,
  t2: Trait,
  m: VariantMatch,
  l1: Float64Array,
  l2: Float64Array,
  pp: Float64Array,
  idx1: number,
  idx2: number,
) {
  const k = m.i1.length;
  const chr = (i: number) => (t1.snps.chr ? t1.snps.chr[m.i1[i]] : t2.snps.chr ? t2.snps.chr[m.i2[i]] : '');
  const pos = (i: number) => (t1.snps.pos ? t1.snps.pos[m.i1[i]] : t2.snps.pos ? t2.snps.pos[m.i2[i]] : 0);
  return [
    new Array<string>(k).fill(t1.name),
    new Array<string>(k).fill(t2.name),
    new Int32Array(k).fill(idx1),
    new Int32Array(k).fill(idx2),
    Array.from(m.i1, (i) => t1.snps.id[i]),
    Array.from(m.i2, (i) => t2.snps.id[i]),
    Array.from({ length: k }, (_, i) => chr(i)),
    Int32Array.from({ length: k }, (_, i) => pos(i)),
    m.flip.slice(),
    l1,
    l2,
    pp,
  ];
}

function writeAbfPair(
  wSum: ParquetTableWriter,
  wSnp: ParquetTableWriter,
  t1: Trait & { labf?: Float64Array },
  t2: Trait & { labf?: Float64Array },
  m: VariantMatch,
  priors: { p1: number; p2: number; p12: number },
): number {
  const l1 = Float64Array.from(m.i1, (i) => t1.labf![i]);
  const l2 = Float64Array.from(m.i2, (i) => t2.labf![i]);
  const r = colocAbf(l1, l2, priors, t1.snps.id.length, t2.snps.id.length);
  wSum.write([
    [t1.name],
    [t2.name],
    'abf'.split(' '),
    Int32Array.of(0),
    Int32Array.of(0),
    [t1.snps.id[m.i1[argmax(l1)]]],
    [t2.snps.id[m.i2[argmax(l2)]]],
    Int32Array.of(r.nsnps),
    ...r.pp.map((v) => Float64Array.of(v)),
    Float64Array.of(r.p1),
    Float64Array.of(r.p2),
    Float64Array.of(r.p12),
  ]);
  wSnp.write(snpRows(t1, t2, m, l1, l2, r.snpPPH4, 0, 0));
  return 1;
}

function writeSusiePair(
  wSum: ParquetTableWriter,
  wSnp: ParquetTableWriter,
  t1: Trait,
  t2: Trait,
  m: VariantMatch,
  priors: { p1: number; p2: number; p12: number },
  overlapMin: number,
): number {
  const s1 = t1.signals!;
  const s2 = t2.signals!;
  const res = colocBfBf(
    s1.map((s) => s.lbf),
    s2.map((s) => s.lbf),
    m.i1,
    m.i2,
    priors,
    overlapMin,
  );
  for (const r of res) {
    const e1 = s1[r.i].effect;
    const e2 = s2[r.j].effect;
    wSum.write([
      [t1.name],
      [t2.name],
      ['susie'],
      Int32Array.of(e1),
      Int32Array.of(e2),
      [t1.snps.id[r.hit1]],
      [t2.snps.id[r.hit2]],
      Int32Array.of(r.nsnps),
      ...r.pp.map((v) => Float64Array.of(v)),
      Float64Array.of(priors.p1),
      Float64Array.of(priors.p2),
      Float64Array.of(priors.p12),
    ]);
    if (r.snpPPH4) {
      const l1 = Float64Array.from(m.i1, (i) => s1[r.i].lbf[i]);
      const l2 = Float64Array.from(m.i2, (i) => s2[r.j].lbf[i]);
      wSnp.write(snpRows(t1, t2, m, l1, l2, r.snpPPH4, e1, e2));
    }
  }
  return res.length;
}

export const colocCommand: CommandModule<object, ColocArgs> = {
  command: 'coloc',
  describe: 'Colocalization of two association datasets: coloc.abf, or coloc-SuSiE on credible-set signals',
  builder,
  handler: async (argv) => {
    process.exitCode = await runStage('coloc', argv, (ctx) => colocStage(argv, ctx));
  },
};
