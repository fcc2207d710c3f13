/**
 * `qtlflow cis-merge`: joins the outputs of `qtlflow cis --chunk k/N` runs into the outputs of one unchunked
 * run. Each chunk's run summary is its manifest (mode, parameters, chunk k/N, the phenotype IDs it covered);
 * the merge checks that the chunks are 1…N of one run with the same parameters and that together they cover
 * every phenotype exactly once, then concatenates the tables in chunk order (chunks are consecutive slices of
 * the position-sorted phenotypes, so the result is row for row the unchunked output) and, for the permutation
 * table, computes the q-values and nominal thresholds over all phenotypes.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { InputError } from '../../io/errors.js';
import { ParquetTableWriter, openParquet } from '../../io/parquet.js';
import { CIS_INDEPENDENT, CIS_NOMINAL, CIS_PERMUTATION } from '../../io/results.js';
import type { ResultSpec } from '../../io/results.js';
import { permutationRowsFrom, permutationTable, significance } from '../../stages/cis/tables.js';
import { runStage, stageParams, summaryPathFor, withCommonOptions } from '../framework.js';
import type { CommonArgs, StageContext } from '../framework.js';

export interface CisMergeArgs extends CommonArgs {
  inputs: string[];
  out: string;
  fdr: number;
  'qvalue-lambda'?: number;
  'multiple-testing': 'qvalue' | 'bh';
}

function builder(y: Argv): Argv<CisMergeArgs> {
  return withCommonOptions(
    y
      .option('inputs', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'Output prefixes of the chunk runs (each with its PREFIX.summary.json)',
      })
      .option('out', { type: 'string', demandOption: true, describe: 'Output prefix of the merged run' })
      .option('fdr', { type: 'number', default: 0.05, describe: 'FDR for eGenes and the nominal thresholds' })
      .option('qvalue-lambda', { type: 'number', describe: 'Fixed λ for π0 (default: the qvalue smoother)' })
      .option('multiple-testing', {
        choices: ['qvalue', 'bh'] as const,
        default: 'qvalue' as const,
        describe: 'Storey q-values or Benjamini–Hochberg',
      })
      .check((a) => {
        if (!(a.fdr > 0 && a.fdr < 1)) throw new Error('--fdr must be between 0 and 1');
        return true;
      }),
  ) as unknown as Argv<CisMergeArgs>;
}

interface ChunkSummary {
  prefix: string;
  file: string;
  mode: string;
  k: number;
  n: number;
  region: string | null;
  ids: string[];
  params: Record<string, unknown>;
  summary: Record<string, unknown>;
}

/** Parameters that may differ between the chunks of one run. */
const PER_CHUNK = new Set(['chunk', 'out', 'threads']);

function readChunk(prefix: string): ChunkSummary {
  const file = summaryPathFor(prefix);
  if (!existsSync(file))
    throw new InputError('no run summary for this chunk', {
      file,
      expected: `the ${file} that 'qtlflow cis --out ${prefix} --chunk k/N' writes`,
    });
  let s: Record<string, unknown>;
  try {
    s = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new InputError(`not a JSON run summary (${(e as Error).message})`, { file });
  }
  const chunk = s.chunk as
    { k: number; n: number; region: string | null; phenotype_ids: string[] } | undefined;
  const params = (s.params ?? {}) as Record<string, unknown>;
  if (s.stage !== 'cis' || !chunk || !Array.isArray(chunk.phenotype_ids))
    throw new InputError('not the summary of a cis run with a chunk manifest', {
      file,
      expected: "a summary written by 'qtlflow cis' (stage 'cis' with a 'chunk' entry)",
    });
  return {
    prefix,
    file,
    mode: String(params.mode),
    k: chunk.k,
    n: chunk.n,
    region: chunk.region,
    ids: chunk.phenotype_ids,
    params,
    summary: s,
  };
}

/** Checks that the chunks are exactly 1…N of one run; returns them in chunk order. */
export function checkChunks(chunks: ChunkSummary[]): ChunkSummary[] {
  const first = chunks[0];
  const N = first.n;
  const byK = new Map<number, ChunkSummary>();
  for (const c of chunks) {
    if (c.n !== N)
      throw new InputError(
        `chunk ${c.k}/${c.n} is not one of ${N} chunks like ${first.prefix} (${first.k}/${N})`,
        {
          file: c.file,
          hint: 'Merge the chunks of one run only',
        },
      );
    const dup = byK.get(c.k);
    if (dup) throw new InputError(`chunk ${c.k}/${N} is given twice (also ${dup.prefix})`, { file: c.file });
    byK.set(c.k, c);
    for (const key of new Set([...Object.keys(c.params), ...Object.keys(first.params)])) {
      if (PER_CHUNK.has(key)) continue;
      if (JSON.stringify(c.params[key]) !== JSON.stringify(first.params[key]))
        throw new InputError(
          `parameter --${key} is ${JSON.stringify(c.params[key])} here but ${JSON.stringify(first.params[key])} in ${first.prefix}`,
          { file: c.file, hint: 'All chunks must come from one run with the same inputs and parameters' },
        );
    }
  }
  const missing = Array.from({ length: N }, (_, i) => i + 1).filter((k) => !byK.has(k));
  if (missing.length)
    throw new InputError(`${missing.length} of ${N} chunks are missing: ${missing.slice(0, 10).join(', ')}`, {
      file: first.file,
      hint: `Pass the output prefixes of all ${N} chunks (--chunk 1/${N} … ${N}/${N})`,
    });
  const ordered = [...byK.values()].sort((a, b) => a.k - b.k);
  const seen = new Map<string, number>();
  for (const c of ordered)
    for (const id of c.ids) {
      const other = seen.get(id);
      if (other !== undefined)
        throw new InputError(`phenotype '${id}' is in chunks ${other} and ${c.k}`, {
          file: c.file,
          hint: 'The chunks do not come from one run over the same phenotypes',
        });
      seen.set(id, c.k);
    }
  // Every chunk saw the same sorted phenotype list; chunk k covers [⌊(k−1)m/N⌋, ⌊km/N⌋), so their sizes tell m.
  const total = ordered.reduce((s, c) => s + c.ids.length, 0);
  const expected = (c: ChunkSummary) => Math.floor((c.k * total) / N) - Math.floor(((c.k - 1) * total) / N);
  const short = ordered.find((c) => c.ids.length !== expected(c));
  if (short)
    throw new InputError(
      `chunk ${short.k}/${N} covered ${short.ids.length} phenotypes, but ${expected(short)} were expected for ${total} phenotypes in ${N} chunks: a phenotype was lost`,
      { file: short.file },
    );
  return ordered;
}

async function concatTables(
  ctx: StageContext,
  files: string[],
  spec: ResultSpec,
  out: string,
  params: Record<string, unknown>,
): Promise<number> {
  const w = new ParquetTableWriter(ctx.outputs.claim(out), spec.columns, { schema: spec.schema, params });
  let rows = 0;
  for (const f of files) {
    const t = await openParquet(f);
    if (t.meta.schema !== spec.schema)
      throw new InputError(`expected a ${spec.schema} table, found ${t.meta.schema ?? 'no schema'}`, {
        file: f,
      });
    for (const g of t.rowGroups) {
      const cols = [];
      for (const c of spec.columns) cols.push(await t.columnRange(c.name, g.rowStart, g.rowEnd));
      w.write(cols);
      rows += g.rowEnd - g.rowStart;
    }
  }
  w.close();
  return rows;
}

export async function cisMergeStage(a: CisMergeArgs, ctx: StageContext): Promise<Record<string, unknown>> {
  const chunks = checkChunks(a.inputs.map(readChunk));
  const mode = chunks[0].mode;
  const params = stageParams(a);
  const summary: Record<string, unknown> = {
    chunks: chunks.length,
    mode,
    phenotypes: chunks.reduce((s, c) => s + c.ids.length, 0),
    tested: chunks.reduce((s, c) => s + Number((c.summary.phenotypes as { tested: number }).tested), 0),
    pairs: chunks.reduce((s, c) => s + Number(c.summary.pairs ?? 0), 0),
  };
  ctx.log.info(`${chunks.length} chunks, mode ${mode}, ${summary.phenotypes} phenotypes`);
  if (summary.tested === 0 && mode !== 'independent')
    throw new InputError(
      'no phenotype was tested in any chunk: no genotyped variant lies in any cis window',
      {
        file: chunks[0].file,
        hint: 'Check that the genotype file has the phenotypes’ chromosomes (names, genome build) and positions',
      },
    );
  if (mode === 'nominal') {
    // the chromosomes each chunk wrote, found beside the prefix given here (files may have been moved)
    const byChr = new Map<string, string[]>();
    for (const c of chunks)
      for (const f of (c.summary.nominal as { files: string[] }).files) {
        const chr = /\.cis_qtl_pairs\.([^.]+)\.parquet$/.exec(f)![1];
        byChr.set(chr, [...(byChr.get(chr) ?? []), `${c.prefix}.cis_qtl_pairs.${chr}.parquet`]);
      }
    const files: string[] = [];
    let pairs = 0;
    for (const [chr, parts] of byChr) {
      const path = `${a.out}.cis_qtl_pairs.${chr}.parquet`;
      pairs += await concatTables(ctx, parts, CIS_NOMINAL, path, params);
      files.push(path);
    }
    return { ...summary, nominal: { files, pairs } };
  }
  if (mode === 'independent') {
    const path = `${a.out}.cis_independent_qtl.parquet`;
    const rows = await concatTables(
      ctx,
      chunks.map((c) => `${c.prefix}.cis_independent_qtl.parquet`),
      CIS_INDEPENDENT,
      path,
      params,
    );
    return { ...summary, independent: { file: path, signals: rows } };
  }
  const rows = [];
  for (const c of chunks) {
    const f = `${c.prefix}.cis_qtl.parquet`;
    const t = await openParquet(f);
    if (t.meta.schema !== CIS_PERMUTATION.schema)
      throw new InputError(`expected a ${CIS_PERMUTATION.schema} table`, { file: f });
    const cols: Record<string, ArrayLike<unknown>> = {};
    for (const s of CIS_PERMUTATION.columns) cols[s.name] = (await t.column(s.name)) as ArrayLike<unknown>;
    rows.push(...permutationRowsFrom(cols));
  }
  const sig = significance(rows, { fdr: a.fdr, method: a['multiple-testing'], lambda: a['qvalue-lambda'] });
  if (sig.warning) ctx.log.warn(sig.warning);
  const path = `${a.out}.cis_qtl.parquet`;
  const w = new ParquetTableWriter(ctx.outputs.claim(path), CIS_PERMUTATION.columns, {
    schema: CIS_PERMUTATION.schema,
    params,
  });
  w.write(permutationTable(rows, sig));
  w.close();
  ctx.log.info(`${sig.significant} of ${rows.length} phenotypes significant at FDR ${a.fdr}`);
  return {
    ...summary,
    permutation: {
      file: path,
      multiple_testing: a['multiple-testing'],
      ...(sig.pi0 ?? {}),
      fdr: a.fdr,
      significant: sig.significant,
      min_p_threshold: sig.pThreshold,
    },
  };
}

export const cisMergeCommand: CommandModule<object, CisMergeArgs> = {
  command: 'cis-merge',
  describe:
    'Join the outputs of cis --chunk k/N runs (checks that no phenotype is lost; q-values over all chunks)',
  builder,
  handler: async (argv) => {
    process.exitCode = await runStage('cis-merge', argv, (ctx) => cisMergeStage(argv, ctx));
  },
};
