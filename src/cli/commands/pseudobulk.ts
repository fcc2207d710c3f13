/**
 * `qtlflow pseudobulk`: AnnData .h5ad (cells × genes) → one donor × gene counts Parquet per cell type, ready for
 * `normalize`, with a table of cells per donor per cell type and the donor-level covariates taken from obs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { InputError } from '../../io/errors.js';
import { writeCounts } from '../../io/contracts.js';
import { H5ad } from '../../io/h5ad.js';
import { writeTable } from '../../io/parquet.js';
import { cellTypeFileName, pseudobulk } from '../../stages/pseudobulk/index.js';
import type { DonorCovariates } from '../../stages/pseudobulk/index.js';
import { runStage, stageParams, withCommonOptions } from '../framework.js';
import type { CommonArgs, StageContext } from '../framework.js';

export interface PseudobulkArgs extends CommonArgs {
  h5ad: string;
  'donor-key': string;
  'celltype-key': string;
  layer?: string;
  func: 'sum' | 'mean';
  'min-cells': number;
  'min-donor-frac': number;
  celltypes?: string;
  'gene-key'?: string;
  'donor-covariates'?: string;
  'allow-non-integer': boolean;
  'block-size': number;
  'out-dir': string;
}

const list = (s: string | undefined): string[] =>
  (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

function builder(y: Argv): Argv<PseudobulkArgs> {
  return withCommonOptions(
    y
      .option('h5ad', { type: 'string', demandOption: true, describe: 'AnnData .h5ad (cells × genes)' })
      .option('donor-key', { type: 'string', demandOption: true, describe: 'obs column with the donor ID' })
      .option('celltype-key', {
        type: 'string',
        demandOption: true,
        describe: 'obs column with the cell type',
      })
      .option('layer', { type: 'string', describe: 'Aggregate layers/<layer> instead of X (e.g. counts)' })
      .option('func', {
        choices: ['sum', 'mean'] as const,
        default: 'sum' as const,
        describe: 'Per donor and cell type: the sum or the mean over cells',
      })
      .option('min-cells', {
        type: 'number',
        default: 10,
        describe: 'Drop a donor from a cell type with fewer cells of it',
      })
      .option('min-donor-frac', {
        type: 'number',
        default: 0.1,
        describe: 'Drop genes detected (sum > 0) in fewer than this fraction of a cell type’s donors',
      })
      .option('celltypes', {
        type: 'string',
        describe: 'Comma-separated cell types to aggregate (default: all)',
      })
      .option('gene-key', {
        type: 'string',
        describe: 'var column with the gene IDs (default: the var index)',
      })
      .option('donor-covariates', {
        type: 'string',
        describe:
          'Comma-separated donor-level obs columns (age, sex): one value per donor, written to donor_covariates.tsv',
      })
      .option('allow-non-integer', {
        type: 'boolean',
        default: false,
        describe:
          'Accept values that are not non-negative integers (sums of normalized values, or --func mean)',
      })
      .option('block-size', { type: 'number', default: 20000, describe: 'Cells read per block' })
      .option('out-dir', { type: 'string', demandOption: true, describe: 'Output directory' })
      .check((a) => {
        if (!(a['min-donor-frac'] >= 0 && a['min-donor-frac'] <= 1))
          throw new Error('--min-donor-frac must be between 0 and 1');
        if (!(a['min-cells'] >= 0)) throw new Error('--min-cells must be ≥ 0');
        if (!(a['block-size'] >= 1)) throw new Error('--block-size must be ≥ 1');
        return true;
      }),
  ) as unknown as Argv<PseudobulkArgs>;
}

const CELLS_TABLE = [
  { name: 'donor', type: 'string' as const },
  { name: 'cell_type', type: 'string' as const },
  { name: 'n_cells', type: 'int32' as const },
  { name: 'kept', type: 'bool' as const },
];

function covariatesTsv(c: DonorCovariates): string {
  const rows = [['sample_id', ...c.names].join('\t')];
  c.donors.forEach((d, k) =>
    rows.push([d, ...c.names.map((_, j) => String(c.values[j][k] ?? 'NA'))].join('\t')),
  );
  return rows.join('\n') + '\n';
}

export async function pseudobulkStage(
  a: PseudobulkArgs,
  ctx: StageContext,
): Promise<Record<string, unknown>> {
  const dir = a['out-dir'];
  const h = await H5ad.open(a.h5ad);
  try {
    ctx.log.info(`${a.h5ad}: ${h.nObs} cells × ${h.nVar} genes`);
    const progress = ctx.log.progress('aggregating', h.nObs);
    const res = pseudobulk(h, {
      donorKey: a['donor-key'],
      celltypeKey: a['celltype-key'],
      layer: a.layer,
      func: a.func,
      minCells: a['min-cells'],
      minDonorFrac: a['min-donor-frac'],
      celltypes: a.celltypes ? list(a.celltypes) : undefined,
      geneKey: a['gene-key'],
      donorCovariates: list(a['donor-covariates']),
      requireCounts: !a['allow-non-integer'],
      blockSize: a['block-size'],
      onProgress: (done, total) => progress.tick((done / total) * h.nObs),
    });
    progress.finish();
    ctx.log.info(
      `${res.matrix} (${res.encoding}): ${res.cells.used} cells used, ${res.cells.unlabelled} without donor or cell type`,
    );
    if (res.cellTypes.length === 0)
      throw new InputError(`no cell type has a donor with at least ${a['min-cells']} cells`, {
        file: a.h5ad,
        hint: 'Lower --min-cells, or check --donor-key / --celltype-key',
      });
    const params = stageParams(a);
    const files: Record<string, string> = {};
    const byName = new Map<string, string>();
    for (const ct of res.cellTypes) {
      const name = cellTypeFileName(ct.cellType);
      const clash = byName.get(name);
      if (clash !== undefined)
        throw new InputError(`cell types '${clash}' and '${ct.cellType}' give the same file name '${name}'`, {
          file: a.h5ad,
          column: a['celltype-key'],
          hint: 'Rename one of the cell types so that they differ in letters or digits',
        });
      byName.set(name, ct.cellType);
      if (ct.genes.length === 0) {
        ctx.log.warn(
          `cell type '${ct.cellType}': no gene passes --min-donor-frac ${a['min-donor-frac']}; no file`,
        );
        continue;
      }
      const path = join(dir, `${name}.counts.parquet`);
      writeCounts(
        ctx.outputs.claim(path),
        { phenotypeId: ct.genes, samples: ct.donors, values: ct.values },
        {
          ...params,
          cell_type: ct.cellType,
        },
      );
      files[ct.cellType] = path;
      ctx.log.info(
        `${ct.cellType}: ${ct.donors.length} donors × ${ct.genes.length} genes (${ct.droppedDonors.length} donors below --min-cells, ${ct.genesDropped} genes dropped)`,
      );
    }
    for (const ct of res.emptyCellTypes)
      ctx.log.warn(`cell type '${ct}': no donor has ${a['min-cells']} cells or more; no file`);
    const cellsPath = join(dir, 'pseudobulk.cells.parquet');
    writeTable(
      ctx.outputs.claim(cellsPath),
      CELLS_TABLE,
      [
        res.cellCounts.map((r) => r.donor),
        res.cellCounts.map((r) => r.cellType),
        Int32Array.from(res.cellCounts, (r) => r.cells),
        res.cellCounts.map((r) => r.kept),
      ],
      { schema: 'pseudobulk_cells/1', params },
    );
    let covariatesPath: string | undefined;
    if (res.covariates.names.length) {
      covariatesPath = join(dir, 'donor_covariates.tsv');
      writeFileSync(ctx.outputs.claim(covariatesPath), covariatesTsv(res.covariates));
    }
    return {
      matrix: res.matrix,
      encoding: res.encoding,
      cells: res.cells,
      genes: res.genes,
      donors: res.covariates.donors.length,
      cell_types: res.cellTypes.map((ct) => ({
        cell_type: ct.cellType,
        file: files[ct.cellType] ?? null,
        donors: ct.donors.length,
        genes: ct.genes.length,
        genes_dropped: ct.genesDropped,
        donors_dropped: ct.droppedDonors,
      })),
      empty_cell_types: res.emptyCellTypes,
      cells_table: cellsPath,
      donor_covariates: covariatesPath ?? null,
    };
  } finally {
    h.close();
  }
}

export const pseudobulkCommand: CommandModule<object, PseudobulkArgs> = {
  command: 'pseudobulk',
  describe: 'Single-cell AnnData (.h5ad) → donor × gene counts per cell type (sum or mean over cells)',
  builder,
  handler: async (argv) => {
    process.exitCode = await runStage(
      'pseudobulk',
      { ...argv, out: join(argv['out-dir'], 'pseudobulk') },
      (ctx) => pseudobulkStage(argv, ctx),
    );
  },
};
