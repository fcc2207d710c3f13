/**
 * Donor × cell-type pseudobulk, as cellink and scanpy's `sc.get.aggregate` compute it: per cell type, the sum (or
 * mean) of each gene over a donor's cells. Cells are streamed from the .h5ad in blocks, so memory holds one block
 * plus the donor × gene accumulators of the combinations that have cells (the output), never the cell matrix.
 * Donors with fewer than `minCells` cells of a type are dropped from that type (a donor with no cell of a type is
 * simply absent from it, not a zero column), and genes detected (sum > 0) in fewer than `minDonorFrac` of the kept
 * donors are dropped.
 */
import { InputError } from '../../io/errors.js';
import type { H5ad, MatrixInfo, ObsColumn } from '../../io/h5ad.js';

export interface PseudobulkOptions {
  donorKey: string;
  celltypeKey: string;
  layer?: string;
  func: 'sum' | 'mean';
  minCells: number;
  minDonorFrac: number;
  /** Only these cell types (default: all). */
  celltypes?: string[];
  /** A var column holding the gene IDs (default: the var index). */
  geneKey?: string;
  /** obs columns that are donor-level (age, sex): taken once per donor, an error if they vary within one. */
  donorCovariates: string[];
  /** Values must be non-negative integers (raw counts). */
  requireCounts: boolean;
  /** Cells (or, for CSC, genes) per block read. */
  blockSize: number;
  onProgress?: (done: number, total: number) => void;
}

export interface CellTypeCounts {
  cellType: string;
  donors: string[];
  /** Cells per kept donor. */
  cells: Int32Array;
  genes: string[];
  /** genes × donors, row-major. */
  values: Float64Array;
  droppedDonors: { donor: string; cells: number }[];
  genesDropped: number;
}

export interface CellCountRow {
  donor: string;
  cellType: string;
  cells: number;
  kept: boolean;
}

export interface DonorCovariates {
  donors: string[];
  names: string[];
  /** Per covariate: one value per donor (number, string, or null when the donor has no labelled cell). */
  values: (number | string | null)[][];
}

export interface PseudobulkResult {
  cellTypes: CellTypeCounts[];
  /** Cell types with no donor left after `minCells`. */
  emptyCellTypes: string[];
  cellCounts: CellCountRow[];
  covariates: DonorCovariates;
  encoding: MatrixInfo['encoding'];
  matrix: string;
  cells: { total: number; unlabelled: number; otherCellTypes: number; used: number };
  genes: number;
}

/** Maps a block of obs labels (categorical, string or numeric) to stable integer codes over the whole file. */
class LabelCoder {
  readonly names: string[] = [];
  private readonly index = new Map<string, number>();

  constructor(private readonly key: string) {}

  private code(name: string): number {
    let c = this.index.get(name);
    if (c === undefined) {
      c = this.names.length;
      this.names.push(name);
      this.index.set(name, c);
    }
    return c;
  }

  /** Codes of a block; −1 for a missing label (categorical code −1, NaN, empty string). */
  codes(col: ObsColumn): Int32Array {
    if (col.kind === 'categorical') {
      const map = Int32Array.from(col.categories, (c) => this.code(c));
      return Int32Array.from(col.codes, (k) => (k >= 0 && k < map.length ? map[k] : -1));
    }
    if (col.kind === 'string') return Int32Array.from(col.values, (v) => (v === '' ? -1 : this.code(v)));
    return Int32Array.from(col.values, (v) => (Number.isFinite(v) ? this.code(String(v)) : -1));
  }

  get label(): string {
    return this.key;
  }
}

/** Indices of `names` in code-point order of the names. */
function nameOrder(names: string[]): number[] {
  return names.map((_, i) => i).sort((a, b) => (names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : 0));
}

function obsValue(col: ObsColumn, i: number): number | string | null {
  if (col.kind === 'categorical') return col.codes[i] >= 0 ? col.categories[col.codes[i]] : null;
  if (col.kind === 'string') return col.values[i];
  return Number.isFinite(col.values[i]) ? col.values[i] : null;
}

/** Per donor, the first value of each donor-level column; a second, different value is an input error. */
class DonorCovariateCollector {
  private readonly values: Map<number, (number | string | null)[]> = new Map();

  constructor(
    private readonly h: H5ad,
    private readonly names: string[],
    private readonly donors: LabelCoder,
  ) {}

  add(donor: Int32Array, start: number, end: number): void {
    if (this.names.length === 0) return;
    const cols = this.names.map((n) => this.h.column('obs', n, start, end));
    for (let i = 0; i < donor.length; i++) {
      const d = donor[i];
      if (d < 0) continue;
      let row = this.values.get(d);
      const fresh = row === undefined;
      if (!row) {
        row = cols.map((c) => obsValue(c, i));
        this.values.set(d, row);
      }
      if (fresh) continue;
      for (let c = 0; c < cols.length; c++) {
        const v = obsValue(cols[c], i);
        if (v !== row[c]) {
          const cell = this.h.names('obs', start + i, start + i + 1)[0];
          throw new InputError(
            `donor-level column '${this.names[c]}' varies within donor '${this.donors.names[d]}' (${String(row[c])} and ${String(v)}, cell '${cell}')`,
            {
              file: this.h.path,
              column: this.names[c],
              sample: this.donors.names[d],
              line: start + i + 1,
              expected: 'one value per donor',
              hint: 'Donor covariates must be constant over a donor’s cells: fix the obs column or leave it out of --donor-covariates',
            },
          );
        }
      }
    }
  }

  result(): DonorCovariates {
    const donors = this.donors.names;
    const order = nameOrder(donors);
    return {
      donors: order.map((k) => donors[k]),
      names: this.names,
      values: this.names.map((_, c) => order.map((k) => this.values.get(k)?.[c] ?? null)),
    };
  }
}

function nonCount(h: H5ad, m: MatrixInfo, cell: number, gene: number, v: number): InputError {
  const cellName = h.names('obs', cell, cell + 1)[0];
  return new InputError(
    `value ${v} of cell '${cellName}', gene ${gene + 1} is not a non-negative integer count`,
    {
      file: h.path,
      column: m.path,
      line: cell + 1,
      expected: `raw counts (non-negative integers) in ${m.path}`,
      hint:
        m.path === 'X'
          ? 'X holds normalized values: pass --layer with the raw counts layer (e.g. --layer counts), or --func mean --allow-non-integer to average them'
          : `Layer '${m.path.slice(7)}' is not raw counts: name the raw counts layer, or pass --allow-non-integer`,
    },
  );
}

/**
 * Aggregates the cells of an opened .h5ad into donor × gene matrices per cell type (see the file comment).
 */
export function pseudobulk(h: H5ad, o: PseudobulkOptions): PseudobulkResult {
  const m = h.matrix(o.layer);
  const G = m.nVar;
  const N = m.nObs;
  for (const key of [o.donorKey, o.celltypeKey, ...o.donorCovariates])
    if (!h.hasColumn('obs', key))
      throw new InputError(`obs has no column '${key}'`, {
        file: h.path,
        column: key,
        expected: `an obs column; obs has ${h.columns('obs').join(', ')}`,
        hint:
          key === o.donorKey
            ? 'Name the donor column with --donor-key'
            : key === o.celltypeKey
              ? 'Name the cell-type column with --celltype-key'
              : 'Name existing obs columns in --donor-covariates',
      });
  let genes: string[];
  if (o.geneKey) {
    const col = h.column('var', o.geneKey);
    genes =
      col.kind === 'categorical'
        ? Array.from(col.codes, (k) => col.categories[k] ?? '')
        : col.kind === 'string'
          ? col.values
          : Array.from(col.values, String);
  } else genes = h.names('var');
  const seen = new Set<string>();
  for (const g of genes) {
    if (seen.has(g))
      throw new InputError(
        `duplicate gene ID '${g}' in var${o.geneKey ? ` column '${o.geneKey}'` : ' index'}`,
        {
          file: h.path,
          expected: 'unique gene IDs',
          hint: 'Pick a var column with unique IDs (--gene-key), e.g. Ensembl gene IDs',
        },
      );
    seen.add(g);
  }

  const donors = new LabelCoder(o.donorKey);
  const types = new LabelCoder(o.celltypeKey);
  const covariates = new DonorCovariateCollector(h, o.donorCovariates, donors);
  const wanted = o.celltypes ? new Set(o.celltypes) : undefined;
  // accumulators per (donor, cell type) with cells: key donor · 2^20 + type (cell types are few)
  const TYPE_BITS = 1 << 20;
  const sums = new Map<number, Float64Array>();
  const cellCount = new Map<number, number>();
  let unlabelled = 0;
  let other = 0;

  /** Accumulator row of each cell of a block (undefined: the cell is not used). */
  const targets = (start: number, end: number): (Float64Array | undefined)[] => {
    const d = donors.codes(h.column('obs', o.donorKey, start, end));
    const t = types.codes(h.column('obs', o.celltypeKey, start, end));
    covariates.add(d, start, end);
    const out: (Float64Array | undefined)[] = new Array(end - start);
    for (let i = 0; i < d.length; i++) {
      if (d[i] < 0 || t[i] < 0) {
        unlabelled++;
        continue;
      }
      if (wanted && !wanted.has(types.names[t[i]])) {
        other++;
        continue;
      }
      const key = d[i] * TYPE_BITS + t[i];
      let acc = sums.get(key);
      if (!acc) {
        acc = new Float64Array(G);
        sums.set(key, acc);
      }
      cellCount.set(key, (cellCount.get(key) ?? 0) + 1);
      out[i] = acc;
    }
    return out;
  };

  const B = Math.max(1, o.blockSize);
  if (m.encoding === 'csc') {
    // column-major: the cell → accumulator map for every cell first (one pointer per cell), then gene blocks
    const rowOf: (Float64Array | undefined)[] = new Array(N);
    for (let a = 0; a < N; a += B) {
      const b = Math.min(N, a + B);
      const t = targets(a, b);
      for (let i = 0; i < t.length; i++) rowOf[a + i] = t[i];
    }
    for (let a = 0; a < G; a += B) {
      const b = Math.min(G, a + B);
      const blk = h.geneBlock(m, a, b);
      for (let g = a; g < b; g++) {
        for (let k = blk.indptr[g - a]; k < blk.indptr[g - a + 1]; k++) {
          const cell = blk.indices[k];
          const v = blk.data[k];
          if (o.requireCounts && !(v >= 0 && Number.isInteger(v))) throw nonCount(h, m, cell, g, v);
          const acc = rowOf[cell];
          if (acc) acc[g] += v;
        }
      }
      o.onProgress?.(b, G);
    }
  } else {
    for (let a = 0; a < N; a += B) {
      const b = Math.min(N, a + B);
      const t = targets(a, b);
      const blk = h.cellBlock(m, a, b);
      const { data } = blk;
      if (m.encoding === 'csr') {
        const { indptr, indices } = blk as Required<typeof blk>;
        for (let i = 0; i < b - a; i++) {
          const acc = t[i];
          for (let k = indptr[i]; k < indptr[i + 1]; k++) {
            const v = data[k];
            if (o.requireCounts && !(v >= 0 && Number.isInteger(v)))
              throw nonCount(h, m, a + i, indices[k], v);
            if (acc) acc[indices[k]] += v;
          }
        }
      } else {
        for (let i = 0; i < b - a; i++) {
          const acc = t[i];
          const off = i * G;
          for (let g = 0; g < G; g++) {
            const v = data[off + g];
            if (o.requireCounts && !(v >= 0 && Number.isInteger(v))) throw nonCount(h, m, a + i, g, v);
            if (acc) acc[g] += v;
          }
        }
      }
      o.onProgress?.(b, N);
    }
  }

  if (o.celltypes) {
    const missing = o.celltypes.filter((c) => !types.names.includes(c));
    if (missing.length)
      throw new InputError(
        `cell type${missing.length > 1 ? 's' : ''} ${missing.map((c) => `'${c}'`).join(', ')} not in obs '${o.celltypeKey}'`,
        {
          file: h.path,
          column: o.celltypeKey,
          expected: `cell types among ${types.names.slice(0, 12).join(', ')}`,
          hint: 'Check --celltypes against the cell-type column',
        },
      );
  }

  const cellTypes: CellTypeCounts[] = [];
  const emptyCellTypes: string[] = [];
  const cellCounts: CellCountRow[] = [];
  // outputs in name order (code order depends on the encoding: categories, or first appearance in a string column)
  const typeOrder = o.celltypes ? o.celltypes.map((c) => types.names.indexOf(c)) : nameOrder(types.names);
  for (const t of typeOrder) {
    const kept: number[] = [];
    const droppedDonors: { donor: string; cells: number }[] = [];
    for (const d of nameOrder(donors.names)) {
      const n = cellCount.get(d * TYPE_BITS + t) ?? 0;
      const keep = n > 0 && n >= o.minCells;
      cellCounts.push({ donor: donors.names[d], cellType: types.names[t], cells: n, kept: keep });
      if (keep) kept.push(d);
      else droppedDonors.push({ donor: donors.names[d], cells: n });
    }
    if (kept.length === 0) {
      emptyCellTypes.push(types.names[t]);
      continue;
    }
    const D = kept.length;
    const accs = kept.map((d) => sums.get(d * TYPE_BITS + t)!);
    const cells = Int32Array.from(kept, (d) => cellCount.get(d * TYPE_BITS + t)!);
    const need = o.minDonorFrac * D;
    const keepGenes: number[] = [];
    for (let g = 0; g < G; g++) {
      let detected = 0;
      for (let j = 0; j < D; j++) if (accs[j][g] > 0) detected++;
      if (detected > 0 && detected >= need) keepGenes.push(g);
    }
    const values = new Float64Array(keepGenes.length * D);
    keepGenes.forEach((g, r) => {
      for (let j = 0; j < D; j++) values[r * D + j] = o.func === 'mean' ? accs[j][g] / cells[j] : accs[j][g];
    });
    cellTypes.push({
      cellType: types.names[t],
      donors: kept.map((d) => donors.names[d]),
      cells,
      genes: keepGenes.map((g) => genes[g]),
      values,
      droppedDonors,
      genesDropped: G - keepGenes.length,
    });
  }
  const used = [...cellCount.values()].reduce((s, n) => s + n, 0);
  return {
    cellTypes,
    emptyCellTypes,
    cellCounts,
    covariates: covariates.result(),
    encoding: m.encoding,
    matrix: m.path,
    cells: { total: N, unlabelled, otherCellTypes: other, used },
    genes: G,
  };
}

/** A cell-type name as a file-name part: letters, digits, `_` and `-` only (Nextflow's simpleName stops at a dot). */
export function cellTypeFileName(cellType: string): string {
  return cellType.replace(/[^A-Za-z0-9_-]+/g, '_');
}
