/**
 * Bad input to `qtlflow pseudobulk`: each case exits 2 with a message naming the file, the obs column, layer or
 * cell, what was expected and how to fix it, and leaves nothing in the output directory.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listDir, runCli, tempDir } from '../helpers/cli.js';
import { describeWithTool, hasPythonModules, python } from '../helpers/tools.js';

const dir = tempDir('qtlflow-pseudobulk-bad-');

const WRITE = String.raw`
import sys, json, numpy as np, pandas as pd, scipy.sparse as sp, anndata as ad
out = sys.argv[1]
n = 60
obs = pd.DataFrame({
    "donor_id": pd.Categorical([f"D{i % 3}" for i in range(n)]),
    "cell_type": pd.Categorical(["B", "T"] * (n // 2)),
    "age": [40.0 + (i % 3) for i in range(n)],
}, index=[f"cell{i}" for i in range(n)])
obs.loc["cell4", "age"] = 99.0                 # donor D1 with two ages
X = sp.csr_matrix(np.arange(n * 5).reshape(n, 5) % 4, dtype=np.float32)
a = ad.AnnData(X=X, obs=obs, var=pd.DataFrame(index=[f"g{i}" for i in range(5)]))
L = X.copy().astype(np.float64); L.data[L.data > 0] = L.data[L.data > 0] * 0.5 + 0.25
a.layers["counts"] = L                          # normalized values stored as "counts"
a.write_h5ad(f"{out}/bad.h5ad")
print(json.dumps({"ok": True}))
`;

let n = 0;
function run(args: string[]): { code: number; stderr: string; out: string } {
  const out = join(dir, `out${++n}`);
  const r = runCli(['pseudobulk', ...args, '--out-dir', out]);
  return { code: r.code, stderr: r.stderr, out };
}

const base = (over: string[] = []) => [
  '--h5ad',
  join(dir, 'bad.h5ad'),
  ...(over.includes('--donor-key') ? [] : ['--donor-key', 'donor_id']),
  '--celltype-key',
  'cell_type',
  '--min-cells',
  '1',
  ...over,
];

describeWithTool(hasPythonModules('anndata'), 'Debian python3-anndata')('pseudobulk bad inputs', () => {
  beforeAll(() => {
    python(WRITE, [dir]);
    writeFileSync(join(dir, 'text.h5ad'), 'cell,donor\nc1,D1\n');
  });

  test.each([
    {
      name: 'missing donor key',
      args: base(['--donor-key', 'donor']),
      expect: [
        /bad\.h5ad: column 'donor': obs has no column 'donor'/,
        /obs has donor_id, cell_type, age/,
        /--donor-key/,
      ],
    },
    {
      name: 'non-integer counts in a counts layer',
      args: base(['--layer', 'counts']),
      expect: [
        /bad\.h5ad:\d+: column 'layers\/counts': value 0\.75 of cell 'cell\d+', gene \d+ is not a non-negative integer count/,
        /raw counts/,
        /--allow-non-integer/,
      ],
    },
    {
      name: 'a donor-level covariate that varies within a donor',
      args: base(['--donor-covariates', 'age']),
      expect: [
        /column 'age', sample 'D1': donor-level column 'age' varies within donor 'D1' \(41 and 99, cell 'cell4'\)/,
      ],
    },
    {
      name: 'a missing layer',
      args: base(['--layer', 'raw']),
      expect: [/no layer 'raw'/, /Layers in the file: counts/],
    },
    {
      name: 'an unknown cell type',
      args: base(['--celltypes', 'B,Mono']),
      expect: [/cell type 'Mono' not in obs 'cell_type'/],
    },
    {
      name: 'a file that is not HDF5',
      args: ['--h5ad', join(dir, 'text.h5ad'), '--donor-key', 'd', '--celltype-key', 'c'],
      expect: [/text\.h5ad: not a readable HDF5 file/],
    },
    {
      name: 'a missing file',
      args: ['--h5ad', join(dir, 'none.h5ad'), '--donor-key', 'd', '--celltype-key', 'c'],
      expect: [/none\.h5ad/],
    },
  ])('$name: exit 2, a message that says where and what, no output', ({ args, expect: patterns }) => {
    const r = run(args);
    expect(r.code).toBe(2);
    for (const p of patterns) expect(r.stderr).toMatch(p);
    expect(existsSync(r.out) ? listDir(r.out) : []).toEqual([]);
  });

  test('the same file passes with X, and with --allow-non-integer on the layer', () => {
    expect(run(base()).code).toBe(0);
    expect(run(base(['--layer', 'counts', '--allow-non-integer', '--func', 'mean'])).code).toBe(0);
  });
});
