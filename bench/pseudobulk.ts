/**
 * `qtlflow pseudobulk` memory and speed as the cell count grows: AnnData files written by Debian's python3-anndata
 * (CSR X of Poisson counts, 1,000 genes, 50 donors, 8 cell types, categorical obs) with 100,000, 300,000 and
 * 1,000,000 cells, aggregated by us (cells streamed in blocks) and by anndata + numpy/scipy (the whole matrix read
 * into memory, then a donor × cell-type indicator matrix times X — what scanpy's `sc.get.aggregate` computes).
 * The sums are compared; prints wall and CPU seconds (user + sys), peak RSS and the ratios, per size.
 * Needs /usr/bin/python3 with anndata and GNU time (/usr/bin/time).
 *   npm run build && node dist/bench/pseudobulk.js [--cells 100000,300000,1000000] [--genes 1000] [--keep DIR]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(root, 'dist', 'bin', 'qtlflow.mjs');
const PY = '/usr/bin/python3';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

const WRITE = String.raw`
import sys, numpy as np, pandas as pd, scipy.sparse as sp, anndata as ad
path, n, g = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(1)
donors = np.array([f"D{i:02d}" for i in range(50)]); types = np.array([f"CT{i}" for i in range(8)])
mu = rng.gamma(0.3, 0.3, g)
blocks = []
for a in range(0, n, 100000):
    b = min(n, a + 100000)
    blocks.append(sp.csr_matrix(rng.poisson(mu[None, :], (b - a, g)).astype(np.float32)))
X = sp.vstack(blocks, format="csr")
obs = pd.DataFrame({"donor_id": pd.Categorical(rng.choice(donors, n)), "cell_type": pd.Categorical(rng.choice(types, n))},
                   index=[f"c{i}" for i in range(n)])
ad.AnnData(X=X, obs=obs, var=pd.DataFrame(index=[f"g{i}" for i in range(g)])).write_h5ad(path)
print(X.nnz)
`;

// the peer: anndata reads X whole, then indicator-matrix product per (donor, cell type), as sc.get.aggregate
const PEER = String.raw`
import sys, json, numpy as np, scipy.sparse as sp, anndata as ad
a = ad.read_h5ad(sys.argv[1])
key = a.obs["cell_type"].astype(str) + "|" + a.obs["donor_id"].astype(str)
codes, uniq = key.factorize()
ind = sp.csr_matrix((np.ones(a.n_obs), (codes, np.arange(a.n_obs))), shape=(len(uniq), a.n_obs))
S = np.asarray((ind @ a.X.astype(np.float64)).todense())
print(json.dumps({"total": float(S.sum()), "groups": len(uniq), "first": [uniq[0], S[0, :5].tolist()]}))
`;
import { timed } from './timing.js';

const sizes = arg('cells', '100000,300000,1000000').split(',').map(Number);
const genes = Number(arg('genes', '1000'));
const keep = process.argv.includes('--keep') ? arg('keep', '') : undefined;
const dir = keep ?? mkdtempSync(join(tmpdir(), 'qtlflow-bench-pseudobulk-'));
console.log(`pseudobulk: ${genes} genes, 50 donors × 8 cell types, CSR Poisson counts; GNU time, best of 1`);
console.log(
  'cells\tnnz\tours_cpu_s\tours_wall_s\tours_rss_mb\tanndata_cpu_s\tanndata_rss_mb\tcpu_ratio\trss_ratio',
);
for (const n of sizes) {
  const h5ad = join(dir, `cells${n}.h5ad`);
  const w = spawnSync(PY, ['-c', WRITE, h5ad, String(n), String(genes)], { encoding: 'utf8' });
  if (w.status !== 0) throw new Error(`writing ${h5ad} failed: ${w.stderr}`);
  const nnz = Number(w.stdout.trim());
  const out = join(dir, `out${n}`);
  const ours = timed(process.execPath, [
    CLI,
    'pseudobulk',
    '--h5ad',
    h5ad,
    '--donor-key',
    'donor_id',
    '--celltype-key',
    'cell_type',
    '--min-cells',
    '0',
    '--min-donor-frac',
    '0',
    '--out-dir',
    out,
    '--quiet',
  ]);
  const peer = timed(PY, ['-c', PEER, h5ad]);
  const ref = JSON.parse(peer.stdout) as { total: number; groups: number };
  // our total over every cell-type file equals the peer's
  const check = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { openParquet } from '${join(root, 'dist/src/io/parquet.js')}';
       import { readdirSync } from 'node:fs';
       let total = 0, groups = 0;
       for (const f of readdirSync('${out}').filter((f) => f.endsWith('.counts.parquet'))) {
         const t = await openParquet('${out}/' + f);
         for (const c of t.columnNames.filter((c) => c !== 'phenotype_id')) { groups++; for (const v of await t.column(c)) total += v; }
       }
       console.log(JSON.stringify({ total, groups }));`,
    ],
    { encoding: 'utf8' },
  );
  const mine = JSON.parse(check.stdout) as { total: number; groups: number };
  if (mine.total !== ref.total || mine.groups !== ref.groups)
    throw new Error(
      `sums differ: ours ${JSON.stringify(mine)}, anndata ${JSON.stringify({ total: ref.total, groups: ref.groups })}`,
    );
  console.log(
    [
      n,
      nnz,
      ours.cpu.toFixed(2),
      ours.wall.toFixed(2),
      ours.rssMb.toFixed(0),
      peer.cpu.toFixed(2),
      peer.rssMb.toFixed(0),
      (peer.cpu / ours.cpu).toFixed(2),
      (peer.rssMb / ours.rssMb).toFixed(2),
    ].join('\t'),
  );
  if (!keep) rmSync(h5ad);
}
if (!keep) rmSync(dir, { recursive: true, force: true });
