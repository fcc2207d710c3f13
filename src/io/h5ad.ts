/**
 * AnnData `.h5ad` (HDF5) reader over h5wasm, for the pseudobulk stage. It reads the AnnData on-disk encoding
 * (anndata ≥ 0.8, `encoding-type` attributes): `X` or `layers/<name>` as a dense 2-D array, a `csr_matrix` or a
 * `csc_matrix` group (`data`, `indices`, `indptr`, `shape`); `obs`/`var` as `dataframe` groups whose index
 * dataset is named by their `_index` attribute, with columns that are numeric arrays, string arrays or
 * `categorical` groups (`codes`, `categories`; code −1 = missing). Older files without encoding attributes
 * (anndata < 0.7.6, plain h5py) are read by shape: a group with `data/indices/indptr` is sparse (`h5sparse_format`
 * attribute, CSR by default), and categoricals stored as codes with a `categories` attribute referring to
 * `__categories/<column>` are recognised.
 *
 * Cells are read in blocks by hyperslab (`slice`): a CSR or dense matrix streams row blocks, so memory holds
 * one block, not the matrix; CSC streams gene blocks.
 */
import { InputError } from './errors.js';
import { requireFile } from './text.js';

// h5wasm's types (the module is loaded lazily: its WebAssembly start-up is paid only by stages that read .h5ad)
type H5Module = typeof import('h5wasm');
type H5File = InstanceType<H5Module['File']>;
type H5Group = InstanceType<H5Module['Group']>;
type H5Dataset = InstanceType<H5Module['Dataset']>;
type Numeric = ArrayLike<number>;

let h5: H5Module | undefined;

async function h5wasm(): Promise<H5Module> {
  if (!h5) {
    const m = (await import('h5wasm/node')) as unknown as H5Module & { default?: H5Module };
    h5 = m.default ?? m;
    await h5.ready;
  }
  return h5;
}

export type MatrixEncoding = 'dense' | 'csr' | 'csc';

export interface MatrixInfo {
  /** `X` or `layers/<name>`. */
  path: string;
  encoding: MatrixEncoding;
  nObs: number;
  nVar: number;
  /** HDF5 element type of the values (`<f4`, `<i8`, …). */
  dtype: string;
}

/** One block of cells [start, end) of a row-major (CSR or dense) matrix. */
export interface CellBlock {
  start: number;
  end: number;
  /** CSR: row pointers of the block, relative to `data`/`indices` (length end − start + 1). */
  indptr?: Float64Array;
  indices?: Numeric;
  /** CSR: the stored values; dense: (end − start) × nVar values, row-major. */
  data: Numeric;
}

/** One block of genes [start, end) of a CSC matrix: column pointers relative to `data`, row (cell) indices. */
export interface GeneBlock {
  start: number;
  end: number;
  indptr: Float64Array;
  indices: Numeric;
  data: Numeric;
}

export type ObsColumn =
  | { kind: 'categorical'; codes: Int32Array; categories: string[] }
  | { kind: 'numeric'; values: Float64Array }
  | { kind: 'string'; values: string[] };

function attr(obj: { attrs: Record<string, { value: unknown }> }, name: string): unknown {
  const a = obj.attrs[name];
  return a === undefined ? undefined : a.value;
}

function asNumbers(v: unknown): Numeric {
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) {
    const out = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = Number(v[i]);
    return out;
  }
  if (ArrayBuffer.isView(v)) return v as unknown as Numeric;
  if (Array.isArray(v)) return Float64Array.from(v as number[], Number);
  if (typeof v === 'number' || typeof v === 'bigint') return Float64Array.of(Number(v));
  if (typeof v === 'boolean') return Float64Array.of(v ? 1 : 0);
  throw new Error(`not a numeric array: ${typeof v}`);
}

function asStrings(v: unknown): string[] {
  if (Array.isArray(v)) return v.map((x) => String(x));
  if (typeof v === 'string') return [v];
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>, String);
  throw new Error(`not a string array: ${typeof v}`);
}

export class H5ad {
  private constructor(
    readonly path: string,
    private readonly file: H5File,
    private readonly mod: H5Module,
    readonly nObs: number,
    readonly nVar: number,
  ) {}

  static async open(path: string): Promise<H5ad> {
    requireFile(path, '.h5ad file');
    const mod = await h5wasm();
    let file: H5File;
    try {
      file = new mod.File(path, 'r');
    } catch (e) {
      throw new InputError(`not a readable HDF5 file (${(e as Error).message})`, {
        file: path,
        expected: 'an AnnData .h5ad file (HDF5), as written by anndata write_h5ad',
      });
    }
    // h5wasm returns null (not an exception) for a file it cannot parse
    if (!file || file.file_id === undefined || file.file_id < 0n) {
      throw new InputError('not a readable HDF5 file', { file: path, expected: 'an AnnData .h5ad file' });
    }
    const probe = new H5ad(path, file, mod, 0, 0);
    const nObs = probe.indexLength('obs');
    const nVar = probe.indexLength('var');
    return new H5ad(path, file, mod, nObs, nVar);
  }

  close(): void {
    this.file.close();
  }

  private entity(path: string): H5Group | H5Dataset | undefined {
    let e: unknown;
    try {
      e = this.file.get(path);
    } catch {
      return undefined;
    }
    if (e instanceof this.mod.Group || e instanceof this.mod.Dataset) return e;
    return undefined;
  }

  private dataset(path: string, what: string): H5Dataset {
    const e = this.entity(path);
    if (!(e instanceof this.mod.Dataset))
      throw new InputError(`no dataset '${path}' (${what})`, {
        file: this.path,
        expected: `an AnnData file with '${path}'`,
      });
    return e;
  }

  private dataframe(which: 'obs' | 'var'): H5Group {
    const g = this.entity(which);
    if (!(g instanceof this.mod.Group))
      throw new InputError(`no '${which}' group`, {
        file: this.path,
        expected: 'an AnnData .h5ad file (groups obs, var and X)',
        hint: 'Write the file with anndata (adata.write_h5ad) or follow the AnnData on-disk format',
      });
    return g;
  }

  private indexName(which: 'obs' | 'var'): string {
    const g = this.dataframe(which);
    const idx = attr(g, '_index');
    if (typeof idx === 'string') return idx;
    if (g.keys().includes('_index')) return '_index';
    if (g.keys().includes('index')) return 'index';
    throw new InputError(`'${which}' has no index (attribute _index)`, {
      file: this.path,
      expected: `an AnnData dataframe group with an _index attribute naming its index dataset`,
    });
  }

  private indexLength(which: 'obs' | 'var'): number {
    const d = this.dataset(`${which}/${this.indexName(which)}`, `${which} index`);
    return d.shape?.[0] ?? 0;
  }

  /** The obs or var index (cell barcodes, gene IDs) in rows [start, end). */
  names(which: 'obs' | 'var', start = 0, end?: number): string[] {
    const d = this.dataset(`${which}/${this.indexName(which)}`, `${which} index`);
    const n = d.shape?.[0] ?? 0;
    return asStrings(d.slice([[start, end ?? n]]));
  }

  /** Column names of obs or var (index excluded). */
  columns(which: 'obs' | 'var'): string[] {
    const g = this.dataframe(which);
    const order = attr(g, 'column-order');
    const index = this.indexName(which);
    const listed = order === undefined ? [] : asStrings(order).filter((c) => c.length > 0);
    if (listed.length > 0) return listed;
    return g.keys().filter((k) => k !== index && k !== '__categories');
  }

  /** Whether obs or var has this column. */
  hasColumn(which: 'obs' | 'var', name: string): boolean {
    return this.entity(`${which}/${name}`) !== undefined;
  }

  /**
   * Rows [start, end) of an obs/var column: categorical (codes and categories), numeric or strings. Booleans
   * come as numbers 0/1.
   */
  column(which: 'obs' | 'var', name: string, start = 0, end?: number): ObsColumn {
    const path = `${which}/${name}`;
    const e = this.entity(path);
    if (e === undefined)
      throw new InputError(`${which} has no column '${name}'`, {
        file: this.path,
        column: name,
        expected: `one of ${this.columns(which).slice(0, 12).join(', ')}`,
        hint: `Name an existing ${which} column`,
      });
    const stop = end ?? (which === 'obs' ? this.nObs : this.nVar);
    if (e instanceof this.mod.Group) {
      const type = attr(e, 'encoding-type');
      if (type !== undefined && type !== 'categorical')
        throw new InputError(`${which} column '${name}' has encoding '${String(type)}'`, {
          file: this.path,
          column: name,
          expected: 'a categorical, numeric or string column',
        });
      const codes = this.dataset(`${path}/codes`, `codes of ${name}`);
      const categories = this.dataset(`${path}/categories`, `categories of ${name}`);
      return {
        kind: 'categorical',
        codes: Int32Array.from(asNumbers(codes.slice([[start, stop]]))),
        categories: asStrings(categories.value),
      };
    }
    const d = e;
    // legacy categorical: integer codes with a `categories` attribute (an object reference to __categories/<name>)
    if (attr(d, 'categories') !== undefined) {
      const cats = this.entity(`${which}/__categories/${name}`);
      if (cats instanceof this.mod.Dataset)
        return {
          kind: 'categorical',
          codes: Int32Array.from(asNumbers(d.slice([[start, stop]]))),
          categories: asStrings(cats.value),
        };
    }
    const raw = d.slice([[start, stop]]);
    // H5T_STRING (class 3): variable- or fixed-length strings
    if (d.metadata.type === 3) return { kind: 'string', values: asStrings(raw) };
    return { kind: 'numeric', values: Float64Array.from(asNumbers(raw)) };
  }

  /** The matrix `X` (no layer) or `layers/<layer>`. */
  matrix(layer?: string): MatrixInfo {
    const path = layer ? `layers/${layer}` : 'X';
    const e = this.entity(path);
    if (e === undefined) {
      const layers = this.entity('layers');
      const have = layers instanceof this.mod.Group ? layers.keys() : [];
      throw new InputError(layer ? `no layer '${layer}'` : "no matrix 'X'", {
        file: this.path,
        expected: layer ? `a layer named ${layer}` : 'an X matrix',
        hint: have.length ? `Layers in the file: ${have.join(', ')}` : 'The file has no layers',
      });
    }
    if (e instanceof this.mod.Dataset) {
      const shape = e.shape ?? [];
      if (shape.length !== 2)
        throw new InputError(`'${path}' is ${shape.length}-dimensional`, {
          file: this.path,
          expected: 'a 2-D cells × genes matrix',
        });
      return this.checkShape({
        path,
        encoding: 'dense',
        nObs: shape[0],
        nVar: shape[1],
        dtype: String(e.dtype),
      });
    }
    const type = attr(e, 'encoding-type') ?? attr(e, 'h5sparse_format');
    const enc =
      type === 'csr_matrix' || type === 'csr'
        ? 'csr'
        : type === 'csc_matrix' || type === 'csc'
          ? 'csc'
          : undefined;
    const keys = e.keys();
    if (enc === undefined || !['data', 'indices', 'indptr'].every((k) => keys.includes(k)))
      throw new InputError(`'${path}' is a group that is not a sparse matrix (encoding '${String(type)}')`, {
        file: this.path,
        expected: 'a dense array or a csr_matrix / csc_matrix group with data, indices and indptr',
      });
    const shapeAttr = attr(e, 'shape') ?? attr(e, 'h5sparse_shape');
    const shape = Array.from(asNumbers(shapeAttr ?? []));
    if (shape.length !== 2)
      throw new InputError(`sparse matrix '${path}' has no shape attribute`, {
        file: this.path,
        expected: 'a shape attribute (cells, genes)',
      });
    const data = this.dataset(`${path}/data`, 'sparse values');
    const indptr = this.dataset(`${path}/indptr`, 'sparse row pointers');
    const ptrLen = indptr.shape?.[0] ?? 0;
    const want = enc === 'csr' ? shape[0] + 1 : shape[1] + 1;
    if (ptrLen !== want)
      throw new InputError(`'${path}/indptr' has ${ptrLen} entries, expected ${want}`, {
        file: this.path,
        expected: `indptr of length ${enc === 'csr' ? 'cells' : 'genes'} + 1`,
      });
    return this.checkShape({
      path,
      encoding: enc,
      nObs: shape[0],
      nVar: shape[1],
      dtype: String(data.dtype),
    });
  }

  private checkShape(m: MatrixInfo): MatrixInfo {
    if (m.nObs !== this.nObs || m.nVar !== this.nVar)
      throw new InputError(
        `'${m.path}' is ${m.nObs} × ${m.nVar} but obs has ${this.nObs} cells and var ${this.nVar} genes`,
        { file: this.path, expected: 'a cells × genes matrix matching obs and var' },
      );
    return m;
  }

  /** Cells [start, end) of a CSR or dense matrix. */
  cellBlock(m: MatrixInfo, start: number, end: number): CellBlock {
    if (m.encoding === 'dense') {
      const d = this.dataset(m.path, 'matrix');
      return { start, end, data: asNumbers(d.slice([[start, end], []])) };
    }
    if (m.encoding !== 'csr') throw new Error('cellBlock needs a CSR or dense matrix');
    return this.sparseBlock(m, start, end);
  }

  /** Major-axis slices [start, end) of a sparse matrix (rows of CSR, columns of CSC), pointers made relative. */
  private sparseBlock(m: MatrixInfo, start: number, end: number): GeneBlock {
    const ptr = asNumbers(this.dataset(`${m.path}/indptr`, 'sparse pointers').slice([[start, end + 1]]));
    const a = ptr[0];
    const b = ptr[ptr.length - 1];
    const indptr = new Float64Array(ptr.length);
    for (let i = 0; i < ptr.length; i++) indptr[i] = ptr[i] - a;
    const indices = asNumbers(this.dataset(`${m.path}/indices`, 'sparse indices').slice([[a, b]]));
    const data = asNumbers(this.dataset(`${m.path}/data`, 'values').slice([[a, b]]));
    return { start, end, indptr, indices, data };
  }

  /** Genes [start, end) of a CSC matrix. */
  geneBlock(m: MatrixInfo, start: number, end: number): GeneBlock {
    if (m.encoding !== 'csc') throw new Error('geneBlock needs a CSC matrix');
    return this.sparseBlock(m, start, end);
  }
}
