/**
 * `qtlflow rare`: gene-based rare-variant tests (burden Wald/LRT per weight, SKAT with Davies/Liu p-values,
 * ACAT of both) on genotypes, phenotypes and covariates, with functional weights from an `annotate` table.
 */
import type { Argv, CommandModule } from 'yargs';
import { stripVersion } from '../../io/annotation.js';
import { InputError } from '../../io/errors.js';
import { ParquetTableWriter, openParquet, toFloat64, toStrings } from '../../io/parquet.js';
import { RARE, VARIANT_ANNOTATION_SCHEMA } from '../../io/results.js';
import { RareMapper } from '../../stages/rare/index.js';
import type { AnnotationSource, BurdenAgg, RareRow, RareTest } from '../../stages/rare/index.js';
import { readAssociationInputs } from '../analysis-inputs.js';
import { runStage, stageParams, withCommonOptions, withMappingInputs } from '../framework.js';
import type { CommonArgs, StageContext } from '../framework.js';

export interface RareArgs extends CommonArgs {
  genotypes: string;
  phenotypes: string;
  covariates?: string;
  annotations?: string;
  test: RareTest | 'all';
  'maf-max': number;
  weights: string;
  agg: BurdenAgg;
  window: number;
  'skat-weights': 'skat' | 'cellink';
  'beta-weights': string;
  'min-samples': number;
  out: string;
}

function builder(y: Argv): Argv<RareArgs> {
  return withCommonOptions(
    withMappingInputs(y)
      .option('annotations', {
        type: 'string',
        describe:
          "Variant × gene annotations from 'qtlflow annotate' (weights; only annotated variants are tested)",
      })
      .option('test', {
        choices: ['burden', 'skat', 'acat', 'all'] as const,
        default: 'all' as const,
        describe: 'Which tests (acat combines the burden and SKAT p-values)',
      })
      .option('maf-max', {
        type: 'number',
        default: 0.05,
        describe: 'Rare: 0 < MAF ≤ X in the analysis samples',
      })
      .option('weights', {
        type: 'string',
        default: 'maf_beta',
        describe:
          'Burden weights, comma-separated: maf_beta (Beta(1,25) of the MAF), none, or annotation columns (e.g. CADD_RAW)',
      })
      .option('agg', {
        choices: ['sum', 'mean', 'max'] as const,
        default: 'sum' as const,
        describe: 'Burden aggregation of the weighted minor-allele dosages',
      })
      .option('window', {
        type: 'number',
        default: 100_000,
        describe: 'Variants within this distance (bp) of the TSS',
      })
      .option('skat-weights', {
        choices: ['skat', 'cellink'] as const,
        default: 'skat' as const,
        describe: 'skat: Z = G·w (kernel weight w², the SKAT R package); cellink: Z = G·√w (kernel weight w)',
      })
      .option('beta-weights', {
        type: 'string',
        default: '1,25',
        describe: 'Beta(a1,a2) parameters of maf_beta',
      })
      .option('min-samples', { type: 'number', default: 10, describe: 'Fail below this many shared samples' })
      .option('out', {
        type: 'string',
        demandOption: true,
        describe: 'Output Parquet (one row per gene × test)',
      })
      .check((a) => {
        if (!(a['maf-max'] > 0 && a['maf-max'] <= 0.5)) throw new Error('--maf-max must be in (0, 0.5]');
        if (!(a.window >= 0)) throw new Error('--window must be ≥ 0');
        const b = String(a['beta-weights']).split(',').map(Number);
        if (b.length !== 2 || !b.every((x) => x > 0))
          throw new Error('--beta-weights must be two positive numbers a1,a2');
        return true;
      }),
  ) as unknown as Argv<RareArgs>;
}

/** Annotation weights by gene (version-less Ensembl ID) and variant ID. */
async function readAnnotations(path: string, columns: string[]): Promise<AnnotationSource> {
  const t = await openParquet(path);
  if (t.meta.schema !== VARIANT_ANNOTATION_SCHEMA)
    throw new InputError(`not a variant-annotation table (schema ${t.meta.schema ?? 'none'})`, {
      file: path,
      expected: `a ${VARIANT_ANNOTATION_SCHEMA} table written by 'qtlflow annotate'`,
    });
  for (const c of columns)
    if (!t.columnNames.includes(c))
      throw new InputError(`weight column '${c}' is not in the annotations`, {
        file: path,
        column: c,
        hint: `Numeric columns there include ${t.columnNames
          .filter((n) => /CADD|AF|score|maf_beta|tss_distance/.test(n))
          .slice(0, 10)
          .join(', ')}`,
      });
  const gene = toStrings(await t.column('gene_id'));
  const variant = toStrings(await t.column('variant_id'));
  const values: Float64Array[] = [];
  for (const c of columns) {
    const raw = await t.column(c);
    if (raw.length && typeof (raw as ArrayLike<unknown>)[0] === 'string')
      throw new InputError(`weight column '${c}' is not numeric`, { file: path, column: c });
    values.push(toFloat64(raw));
  }
  const byGene = new Map<string, Map<string, Float64Array>>();
  for (let i = 0; i < gene.length; i++) {
    const g = stripVersion(gene[i]);
    let m = byGene.get(g);
    if (!m) byGene.set(g, (m = new Map()));
    m.set(
      variant[i],
      Float64Array.from(values, (col) => col[i]),
    );
  }
  return { columns, gene: (id) => byGene.get(stripVersion(id)) };
}

function rareColumns(rows: RareRow[]) {
  const col = <T>(f: (r: RareRow) => T) => rows.map(f);
  return [
    col((r) => r.phenotypeId),
    col((r) => r.chr),
    Int32Array.from(col((r) => r.tss)),
    col((r) => r.test as string),
    col((r) => r.weights),
    col((r) => r.agg),
    Int32Array.from(col((r) => r.numVar)),
    Int32Array.from(col((r) => r.numCarriers)),
    Int32Array.from(col((r) => r.mac)),
    Float64Array.from(col((r) => r.beta)),
    Float64Array.from(col((r) => r.betaSe)),
    Float64Array.from(col((r) => r.stat)),
    Float64Array.from(col((r) => r.pval)),
    Float64Array.from(col((r) => r.pvalLrt)),
    col((r) => r.pvalMethod),
    col((r) => r.variants),
  ];
}

export async function rareStage(a: RareArgs, ctx: StageContext): Promise<Record<string, unknown>> {
  const { log } = ctx;
  const weights = a.weights
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const annotationColumns = weights.filter((w) => w !== 'maf_beta' && w !== 'none');
  if (annotationColumns.length && !a.annotations)
    throw new InputError(`--weights ${annotationColumns.join(',')} needs --annotations`, {
      hint: "Give the variant-annotation table of 'qtlflow annotate', or use --weights maf_beta",
    });
  const { phenotypes, reader, inputs } = await readAssociationInputs(a, (m) => log.warn(m));
  const annotations = a.annotations ? await readAnnotations(a.annotations, annotationColumns) : undefined;
  const tests = new Set<RareTest>(a.test === 'all' ? ['burden', 'skat', 'acat'] : [a.test]);
  const [a1, a2] = a['beta-weights'].split(',').map(Number);
  const mapper = new RareMapper(
    reader,
    inputs.genotypeIndex,
    inputs.residualizer,
    inputs.k,
    {
      window: a.window,
      mafMax: a['maf-max'],
      weights,
      agg: a.agg,
      tests,
      skatWeights: a['skat-weights'],
      betaParams: [a1, a2],
    },
    annotations,
  );
  const writer = new ParquetTableWriter(ctx.outputs.claim(a.out), RARE.columns, {
    schema: RARE.schema,
    params: stageParams(a),
  });
  let rows = 0;
  const progress = log.progress('genes', phenotypes.phenotypeId.length);
  await mapper.map(
    phenotypes,
    (r) => {
      writer.write(rareColumns(r));
      rows += r.length;
    },
    (d) => progress.tick(d),
  );
  progress.finish();
  writer.close();
  await reader.close();
  const s = mapper.stats;
  if (s.genesTested === 0)
    throw new InputError(
      `no gene has a rare variant (0 < MAF ≤ ${a['maf-max']}) within ${a.window} bp of its TSS`,
      {
        file: a.genotypes,
        hint: annotations
          ? 'Only variants annotated for the gene are tested: check that the annotations were made from these genotypes'
          : 'Check chromosome names and the genome build, or widen --window / raise --maf-max',
      },
    );
  log.info(
    `${s.genesTested} genes tested (${s.genesNoVariants} without rare variants, ${s.genesConstant} constant); SKAT p by Davies ${s.skatDavies}, Liu ${s.skatLiu}`,
  );
  return {
    samples: inputs.counts,
    covariates: { count: inputs.k, rank_with_intercept: inputs.residualizer.rank },
    genes: {
      total: phenotypes.phenotypeId.length,
      tested: s.genesTested,
      no_rare_variants: s.genesNoVariants,
      constant: s.genesConstant,
    },
    variants: s.variants,
    skat_pvalue_method: { davies: s.skatDavies, liu: s.skatLiu },
    rows,
    tests: [...tests],
    weights,
  };
}

export const rareCommand: CommandModule<object, RareArgs> = {
  command: 'rare',
  describe: 'Rare-variant gene tests: burden (Wald, LRT), SKAT (Davies/Liu), ACAT',
  builder,
  handler: async (argv) => {
    process.exitCode = await runStage('rare', argv, (ctx) => rareStage(argv, ctx));
  },
};
