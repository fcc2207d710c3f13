/** `qtlflow normalize`: counts / quantifications → phenotypes Parquet (TMM, TMM-CPM, inverse normal, GTEx filter). */
import { statSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { InputError } from '../../io/errors.js';
import { requireFile } from '../../io/text.js';
import { readExpressionMatrix, readLengths, guessMatrixFormat } from '../../io/matrix.js';
import type { ExpressionInput, MatrixFormat } from '../../io/matrix.js';
import { readGeneAnnotation, lookupGene, versionlessIndex } from '../../io/annotation.js';
import { phenotypeOrder, writePhenotypes } from '../../io/contracts.js';
import type { PhenotypeMatrix } from '../../io/contracts.js';
import { normalizeExpression } from '../../stages/normalize/index.js';
import type { NormalizeResult } from '../../stages/normalize/index.js';
import { runStage, stageParams, withCommonOptions, writeJsonAtomic } from '../framework.js';
import type { CommonArgs, StageContext } from '../framework.js';

export interface NormalizeArgs extends CommonArgs {
  input: string;
  format?: MatrixFormat;
  lengths?: string;
  annotation?: string;
  out: string;
  method: 'tmm' | 'none';
  int: boolean;
  'min-count': number;
  'min-tpm': number;
  'min-sample-frac': number;
  'qc-pcs': number;
  'qc-sd': number;
  'drop-outliers': boolean;
  report?: string;
}

function builder(y: Argv): Argv<NormalizeArgs> {
  return withCommonOptions(
    y
      .option('input', {
        type: 'string',
        demandOption: true,
        describe: 'Counts/quantifications: BED(.gz), TSV(.gz) or counts Parquet',
      })
      .option('format', {
        choices: ['bed', 'tsv', 'parquet'] as const,
        describe: 'Input format (default: from the file name)',
      })
      .option('lengths', {
        type: 'string',
        describe: 'gene_id<TAB>length table for the TPM filter (default: the input length column, if any)',
      })
      .option('annotation', {
        type: 'string',
        describe: 'GTF or BED giving gene positions (TSS by strand); required for TSV/counts input',
      })
      .option('out', { type: 'string', demandOption: true, describe: 'Output phenotypes Parquet' })
      .option('method', {
        choices: ['tmm', 'none'] as const,
        default: 'tmm' as const,
        describe: 'tmm: TMM-CPM (edgeR); none: input values as they are',
      })
      .option('int', {
        type: 'boolean',
        default: false,
        describe: 'Inverse-normal transform each gene across samples',
      })
      .option('min-count', { type: 'number', default: 6, describe: 'GTEx filter: count threshold' })
      .option('min-tpm', {
        type: 'number',
        default: 0.1,
        describe: 'GTEx filter: TPM threshold (only with gene lengths; 0 disables)',
      })
      .option('min-sample-frac', {
        type: 'number',
        default: 0.2,
        describe: 'GTEx filter: fraction of samples that must pass the thresholds',
      })
      .option('qc-pcs', {
        type: 'number',
        default: 2,
        describe: 'Expression PCs used to flag outlier samples (0: no sample QC)',
      })
      .option('qc-sd', {
        type: 'number',
        default: 6,
        describe: 'Flag samples this many SD from the mean on any QC PC',
      })
      .option('drop-outliers', {
        type: 'boolean',
        default: false,
        describe: 'Remove flagged samples and normalize again',
      })
      .option('report', {
        type: 'string',
        describe: 'Write a per-sample JSON report (library sizes, factors, QC)',
      })
      .check((a) => {
        if (!(a['min-sample-frac'] >= 0 && a['min-sample-frac'] <= 1))
          throw new Error('--min-sample-frac must be between 0 and 1');
        if (!(a['qc-sd'] > 0)) throw new Error('--qc-sd must be positive');
        return true;
      }),
  ) as unknown as Argv<NormalizeArgs>;
}

/** Attaches lengths from a --lengths table, in input order; a gene without a length is an error. */
async function attachLengths(m: ExpressionInput, file: string): Promise<void> {
  const lengths = await readLengths(file);
  m.length = Float64Array.from(m.phenotypeId, (id) => {
    const v = lengths.get(id);
    if (v === undefined)
      throw new InputError(`no length for gene '${id}'`, {
        file,
        expected: 'a length for every gene of the input matrix',
      });
    return v;
  });
}

interface Positions {
  chr: string[];
  start: Int32Array;
  end: Int32Array;
  strand?: string[];
  /** Input-gene indices that have a position. */
  rows: number[];
  missing: string[];
}

async function genePositions(m: ExpressionInput, annotationFile: string | undefined): Promise<Positions> {
  if (!annotationFile) {
    if (!m.chr || !m.start || !m.end) {
      throw new InputError('the input has no gene positions', {
        file: m.file,
        hint: 'Pass --annotation with a GTF (gene records) or BED of gene positions, or give a BED matrix (#chr start end id …)',
      });
    }
    return {
      chr: m.chr,
      start: m.start,
      end: m.end,
      strand: m.strand,
      rows: m.phenotypeId.map((_, i) => i),
      missing: [],
    };
  }
  const ann = await readGeneAnnotation(annotationFile);
  const noVersion = versionlessIndex(ann);
  const chr: string[] = [];
  const start: number[] = [];
  const end: number[] = [];
  const strand: string[] = [];
  const rows: number[] = [];
  const missing: string[] = [];
  m.phenotypeId.forEach((id, i) => {
    const p = lookupGene(ann, id, noVersion);
    if (!p) {
      missing.push(id);
      return;
    }
    chr.push(p.chr);
    start.push(p.start);
    end.push(p.end);
    strand.push(p.strand);
    rows.push(i);
  });
  if (rows.length === 0) {
    throw new InputError(`none of the ${m.phenotypeId.length} gene IDs is in the annotation`, {
      file: annotationFile,
      hint: `Input IDs look like '${m.phenotypeId[0]}', annotation IDs like '${ann.keys().next().value}': use the same gene ID type`,
    });
  }
  return { chr, start: Int32Array.from(start), end: Int32Array.from(end), strand, rows, missing };
}

/** Builds the sorted phenotype matrix of the kept genes that have positions. */
function assemble(
  m: ExpressionInput,
  pos: Positions,
  res: NormalizeResult,
): { pheno: PhenotypeMatrix; noPosition: number } {
  const nS = res.samples.length;
  const rowOfGene = new Map<number, number>();
  pos.rows.forEach((g, r) => rowOfGene.set(g, r));
  const sel: { g: number; keptRow: number; posRow: number }[] = [];
  let noPosition = 0;
  res.kept.forEach((g, keptRow) => {
    const posRow = rowOfGene.get(g);
    if (posRow === undefined) noPosition++;
    else sel.push({ g, keptRow, posRow });
  });
  const unsorted = {
    chr: sel.map((s) => pos.chr[s.posRow]),
    start: Int32Array.from(sel, (s) => pos.start[s.posRow]),
    phenotypeId: sel.map((s) => m.phenotypeId[s.g]),
  };
  const order = phenotypeOrder(unsorted);
  const values = new Float64Array(order.length * nS);
  order.forEach((k, r) =>
    values.set(res.values.subarray(sel[k].keptRow * nS, (sel[k].keptRow + 1) * nS), r * nS),
  );
  const pick = <T>(f: (s: (typeof sel)[number]) => T): T[] => Array.from(order, (k) => f(sel[k]));
  const pheno: PhenotypeMatrix = {
    chr: pick((s) => pos.chr[s.posRow]),
    start: Int32Array.from(pick((s) => pos.start[s.posRow])),
    end: Int32Array.from(pick((s) => pos.end[s.posRow])),
    phenotypeId: pick((s) => m.phenotypeId[s.g]),
    groupId: m.groupId ? pick((s) => m.groupId![s.g]) : undefined,
    strand: pos.strand ? pick((s) => pos.strand![s.posRow]) : undefined,
    samples: res.samples,
    values,
  };
  return { pheno, noPosition };
}

export async function normalizeStage(a: NormalizeArgs, ctx: StageContext): Promise<Record<string, unknown>> {
  const format = a.format ?? guessMatrixFormat(a.input);
  ctx.log.info(`reading ${a.input} (${format})`);
  requireFile(a.input);
  const progress = ctx.log.progress('reading', statSync(a.input).size);
  const m = await readExpressionMatrix(a.input, format, (done) => progress.tick(done));
  progress.finish();
  if (a.lengths) await attachLengths(m, a.lengths);
  if (a['min-tpm'] <= 0) m.length = undefined;
  ctx.log.info(`${m.phenotypeId.length} genes × ${m.samples.length} samples`);
  const pos = await genePositions(m, a.annotation);
  if (pos.missing.length > 0) {
    ctx.log.warn(
      `${pos.missing.length} genes are not in the annotation and are dropped (e.g. ${pos.missing.slice(0, 3).join(', ')})`,
    );
  }
  const res = normalizeExpression(m, {
    method: a.method,
    int: a.int,
    minCount: a['min-count'],
    minTpm: a['min-tpm'],
    minSampleFrac: a['min-sample-frac'],
    qcPcs: a['qc-pcs'],
    qcSd: a['qc-sd'],
    dropOutliers: a['drop-outliers'],
  });
  for (const o of res.sampleQc.outliers) {
    ctx.log.warn(
      `sample ${o.sample} is ${o.max_abs_z.toFixed(1)} SD out on an expression PC${res.sampleQc.dropped ? ' (dropped)' : ''}`,
    );
  }
  const { pheno, noPosition } = assemble(m, pos, res);
  if (pheno.phenotypeId.length === 0) {
    throw new InputError('no gene passes the expression filter', {
      file: a.input,
      hint: `Lower --min-count (${a['min-count']}), --min-tpm (${a['min-tpm']}) or --min-sample-frac (${a['min-sample-frac']})`,
    });
  }
  writePhenotypes(ctx.outputs.claim(a.out), pheno, stageParams(a));
  const genes = {
    input: m.phenotypeId.length,
    all_zero: res.allZeroGenes,
    pass_expression_filter: res.kept.length,
    written: pheno.phenotypeId.length,
    no_position: noPosition,
  };
  if (a.report) {
    writeJsonAtomic(ctx.outputs, a.report, {
      genes,
      reference_sample: res.refColumn >= 0 ? res.samples[res.refColumn] : null,
      samples: res.samples.map((s, j) => ({
        sample: s,
        lib_size: res.libSize[j],
        norm_factor: res.normFactors[j],
        effective_lib_size: res.libSize[j] * res.normFactors[j],
        is_ref_column: j === res.refColumn,
      })),
      sample_qc: res.sampleQc,
    });
  }
  ctx.log.info(`${pheno.phenotypeId.length} genes × ${pheno.samples.length} samples written`);
  return {
    genes,
    samples: pheno.samples.length,
    reference_sample: res.refColumn >= 0 ? res.samples[res.refColumn] : null,
    sample_qc: res.sampleQc,
  };
}

export const normalizeCommand: CommandModule<object, NormalizeArgs> = {
  command: 'normalize',
  describe: 'Normalize counts: TMM, TMM-CPM, GTEx expression filter, inverse-normal transform',
  builder,
  handler: async (argv) => {
    process.exitCode = await runStage('normalize', argv, (ctx) => normalizeStage(argv, ctx));
  },
};
