/**
 * pseudobulk against numpy: .h5ad files written by Debian's python3-anndata (CSR, dense and CSC X, an integer
 * `counts` layer, categorical obs with a missing label and a donor without cells of one cell type) and by
 * python3-h5py directly (string obs columns, int64 indptr, gzip-compressed datasets), aggregated by us, equal the
 * numpy group-by sums exactly; cells per donor and cell type, --min-cells, --min-donor-frac, --func mean and the
 * donor covariates agree with what numpy computes from the same obs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/cli.js';
import { readColumns } from '../helpers/shared.js';
import { describeWithTool, hasPythonModules, python } from '../helpers/tools.js';

const dir = tempDir('qtlflow-pseudobulk-');

interface Reference {
  genes: string[];
  /** cell type → donor → per-gene sums (float64). */
  sums: Record<string, Record<string, number[]>>;
  cells: Record<string, Record<string, number>>;
  age: Record<string, number>;
  sex: Record<string, string>;
}

const WRITE = String.raw`
import sys, json, numpy as np, pandas as pd, scipy.sparse as sp, anndata as ad, h5py
out = sys.argv[1]
rng = np.random.default_rng(5)
n_cells, n_genes = 3000, 150
donors = [f"D{i}" for i in range(8)]
types = ["B", "T", "NK"]
donor = rng.choice(donors, n_cells)
ctype = rng.choice(types, n_cells, p=[0.4, 0.45, 0.15]).astype(object)
ctype[(donor == "D5") & (ctype == "NK")] = "T"       # D5 has no NK cells
ctype[rng.random(n_cells) < 0.02] = None              # unlabelled cells (categorical code -1)
mu = rng.gamma(0.6, 2.0, n_genes)
X = rng.poisson(mu[None, :] * rng.gamma(2, 0.5, (n_cells, 1))).astype(np.float32)
X[:, 7] = 0                                            # a gene detected nowhere
age = {d: float(30 + 5 * i) for i, d in enumerate(donors)}
sex = {d: ("F" if i % 2 else "M") for i, d in enumerate(donors)}
obs = pd.DataFrame({
    "donor_id": pd.Categorical(donor),
    "cell_type": pd.Categorical(ctype, categories=types),
    "age": [age[d] for d in donor],
    "sex": pd.Categorical([sex[d] for d in donor]),
}, index=[f"cell{i}" for i in range(n_cells)])
var = pd.DataFrame({"gene_ids": [f"ENSG{i:05d}" for i in range(n_genes)]}, index=[f"gene{i}" for i in range(n_genes)])
a = ad.AnnData(X=sp.csr_matrix(X), obs=obs, var=var)
a.layers["counts"] = sp.csr_matrix(X.astype(np.int32))
a.write_h5ad(f"{out}/csr.h5ad")
ad.AnnData(X=X, obs=obs, var=var).write_h5ad(f"{out}/dense.h5ad")
ad.AnnData(X=sp.csc_matrix(X), obs=obs, var=var).write_h5ad(f"{out}/csc.h5ad")
# a file written with h5py alone: string obs columns, int64 pointers, gzip
csr = sp.csr_matrix(X.astype(np.float64))
with h5py.File(f"{out}/h5py.h5ad", "w") as f:
    str_dt = h5py.string_dtype()
    g = f.create_group("X"); g.attrs["encoding-type"] = "csr_matrix"; g.attrs["encoding-version"] = "0.1.0"
    g.attrs["shape"] = np.array(X.shape, dtype=np.int64)
    g.create_dataset("data", data=csr.data, compression="gzip")
    g.create_dataset("indices", data=csr.indices.astype(np.int64), compression="gzip")
    g.create_dataset("indptr", data=csr.indptr.astype(np.int64))
    o = f.create_group("obs"); o.attrs["encoding-type"] = "dataframe"; o.attrs["_index"] = "barcode"
    o.attrs["column-order"] = np.array(["donor_id", "cell_type"], dtype=object).astype(str_dt)
    o.create_dataset("barcode", data=np.array(obs.index, dtype=object), dtype=str_dt)
    o.create_dataset("donor_id", data=np.array(donor, dtype=object), dtype=str_dt)
    o.create_dataset("cell_type", data=np.array([c or "" for c in ctype], dtype=object), dtype=str_dt)
    v = f.create_group("var"); v.attrs["encoding-type"] = "dataframe"; v.attrs["_index"] = "_index"
    v.create_dataset("_index", data=np.array(var.index, dtype=object), dtype=str_dt)
# numpy group-by sums over the labelled cells, in float64
Xd = X.astype(np.float64)
sums, cells = {}, {}
for t in types:
    sums[t], cells[t] = {}, {}
    for d in donors:
        m = (ctype == t) & (donor == d)
        cells[t][d] = int(m.sum())
        if m.any(): sums[t][d] = Xd[m].sum(axis=0).tolist()
print(json.dumps({"genes": list(var.index), "sums": sums, "cells": cells, "age": age, "sex": sex}))
`;

function pseudobulk(h5ad: string, out: string, extra: string[]): string {
  const r = runCli([
    'pseudobulk',
    '--h5ad',
    join(dir, h5ad),
    '--donor-key',
    'donor_id',
    '--celltype-key',
    'cell_type',
    '--out-dir',
    join(dir, out),
    '--quiet',
    ...extra,
  ]);
  expect([r.code, r.stderr]).toEqual([0, '']);
  return join(dir, out);
}

async function counts(path: string) {
  const t = await readColumns(path, ['phenotype_id']);
  const donors = t.t.columnNames.filter((c) => c !== 'phenotype_id');
  const { o } = await readColumns(path, donors);
  return { genes: t.o.phenotype_id as string[], donors, o: o as Record<string, Float64Array> };
}

describeWithTool(hasPythonModules('anndata', 'h5py', 'scipy'), 'Debian python3-anndata and python3-h5py')(
  'pseudobulk vs numpy group-by sums',
  () => {
    let ref: Reference;
    beforeAll(() => {
      ref = python<Reference>(WRITE, [dir]);
    });

    test.each([
      ['csr.h5ad', []],
      ['csr.h5ad', ['--layer', 'counts']],
      ['dense.h5ad', []],
      ['csc.h5ad', ['--block-size', '17']],
      ['h5py.h5ad', ['--block-size', '1000']],
    ])('%s %s: every donor × gene sum equals numpy exactly', async (file, extra) => {
      const out = pseudobulk(file, `${file}-${extra.join('')}`, [
        '--min-cells',
        '0',
        '--min-donor-frac',
        '0',
        ...extra,
      ]);
      for (const t of ['B', 'T', 'NK']) {
        const c = await counts(join(out, `${t}.counts.parquet`));
        const want = ref.sums[t];
        expect(c.donors).toEqual(Object.keys(want));
        // genes detected in some donor of the type; gene7 nowhere
        const detected = ref.genes.filter((_, g) => Object.values(want).some((s) => s[g] > 0));
        expect(c.genes).toEqual(detected);
        expect(c.genes).not.toContain('gene7');
        for (const d of c.donors)
          expect([t, d, Array.from(c.o[d])]).toEqual([
            t,
            d,
            detected.map((g) => want[d][ref.genes.indexOf(g)]),
          ]);
      }
      // D5 has no NK cells: absent from the NK matrix, 0 cells in the table
      const nk = await counts(join(out, 'NK.counts.parquet'));
      expect(nk.donors).not.toContain('D5');
      const { o } = await readColumns(join(out, 'pseudobulk.cells.parquet'), [
        'donor',
        'cell_type',
        'n_cells',
        'kept',
      ]);
      const rows = (o.donor as string[]).map((d, i) => [
        d,
        (o.cell_type as string[])[i],
        (o.n_cells as Int32Array)[i],
      ]);
      for (const [d, t, n] of rows) expect([d, t, n]).toEqual([d, t, ref.cells[t as string][d as string]]);
      expect(rows).toContainEqual(['D5', 'NK', 0]);
    });

    test('--min-cells, --min-donor-frac, --func mean, donor covariates and --gene-key', async () => {
      const minCells = 50;
      const out = pseudobulk('csr.h5ad', 'filtered', [
        '--min-cells',
        String(minCells),
        '--min-donor-frac',
        '0.5',
        '--func',
        'mean',
        '--donor-covariates',
        'age,sex',
        '--gene-key',
        'gene_ids',
      ]);
      const summary = JSON.parse(readFileSync(join(out, 'pseudobulk.summary.json'), 'utf8'));
      for (const t of ['B', 'T', 'NK']) {
        const keptDonors = Object.entries(ref.cells[t])
          .filter(([, n]) => n >= minCells)
          .map(([d]) => d);
        const entry = summary.cell_types.find((c: { cell_type: string }) => c.cell_type === t);
        if (keptDonors.length === 0) {
          expect(summary.empty_cell_types).toContain(t);
          continue;
        }
        const c = await counts(join(out, `${t}.counts.parquet`));
        expect([t, c.donors]).toEqual([t, keptDonors]);
        expect(entry.donors).toBe(keptDonors.length);
        const genes = ref.genes.filter(
          (_, g) => keptDonors.filter((d) => ref.sums[t][d][g] > 0).length >= 0.5 * keptDonors.length,
        );
        expect(c.genes).toEqual(genes.map((g) => `ENSG${g.slice(4).padStart(5, '0')}`));
        for (const d of keptDonors)
          Array.from(c.o[d]).forEach((v, k) => {
            const g = ref.genes.indexOf(genes[k]);
            expect(v).toBeCloseTo(ref.sums[t][d][g] / ref.cells[t][d], 12);
          });
      }
      const tsv = readFileSync(join(out, 'donor_covariates.tsv'), 'utf8').trim().split('\n');
      expect(tsv[0]).toBe('sample_id\tage\tsex');
      for (const line of tsv.slice(1)) {
        const [d, age, sex] = line.split('\t');
        expect([d, Number(age), sex]).toEqual([d, ref.age[d], ref.sex[d]]);
      }
      expect(tsv.length - 1).toBe(8);
    });
  },
);
