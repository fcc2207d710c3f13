/**
 * The container image of containers/Dockerfile, built by containers/build.sh the way it builds without any
 * registry (Debian's podman + runc, a debootstrap base image, --pull=never): its CLIs are on PATH, it runs as a
 * non-root user, and a real `qtlflow cis` run inside it — reference data mounted read-only, no network — loads
 * the native OpenBLAS GEMM backend and gives the results the host's CLI gives on the same input.
 *
 * The first build on a machine takes minutes (debootstrap, apt, npm ci); later builds reuse the base image and
 * podman's layer cache in the state dir (QTLFLOW_CONTAINER_STATE, default under the system temp dir).
 */
import { spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openParquet, toFloat64, toInt32, toStrings } from '../../src/io/parquet.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { REPO_ROOT, SHARED, maxRelDiff, sharedPath } from '../helpers/shared.js';

const SCRIPT = join(REPO_ROOT, 'containers', 'build.sh');
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
};
const UID = 1000; // the image's user (containers/Dockerfile)

function script(args: string[], timeoutMs = 600_000) {
  const r = spawnSync('bash', [SCRIPT, ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 1 << 26,
  });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ?? ''}` };
}

/** `podman run --rm --network=none OPTS qtlflow:<version> CMD…` through the script. */
function inImage(opts: string[], cmd: string[]) {
  return script(['run', ...opts, '--', ...cmd]);
}

let image = '';
beforeAll(() => {
  const r = script(['build'], 45 * 60_000);
  expect([r.code, r.stderr]).toEqual([0, expect.any(String)]);
  image = r.stdout.trim().split('\n').pop() ?? '';
}, 46 * 60_000);

test('the image is qtlflow:<package version>, the name nextflow.config runs', () => {
  expect(image).toBe(`localhost/qtlflow:${pkg.version}`);
  const config = readFileSync(join(REPO_ROOT, 'nextflow.config'), 'utf8');
  expect(config.match(/^\s*container\s*=\s*'([^']+)'/m)?.[1]).toBe(`qtlflow:${pkg.version}`);
});

test('qtlflow --version, every bin of package.json on PATH, a non-root user', () => {
  const v = inImage([], ['qtlflow', '--version']);
  expect([v.code, v.stdout.trim()]).toEqual([0, pkg.version]);
  const names = Object.keys(pkg.bin);
  const which = inImage(
    [],
    ['sh', '-c', `for b in ${names.join(' ')}; do command -v "$b"; done; id -u; id -un`],
  );
  expect(which.code).toBe(0);
  expect(which.stdout.trim().split('\n')).toEqual([
    ...names.map((n) => `/usr/local/bin/${n}`),
    `${UID}`,
    'qtlflow',
  ]);
  const stage = inImage([], ['qtlflow-cis', '--version']);
  expect([stage.code, stage.stdout.trim()]).toEqual([0, pkg.version]);
});

test('cis inside the image: native GEMM, runs as the image user, the host CLI’s results', async () => {
  const dir = tempDir();
  const outC = join(dir, 'in-image');
  const outH = join(dir, 'host');
  mkdirSync(outC);
  mkdirSync(outH);
  chownSync(outC, UID, UID); // the image's user writes here
  const args = (shared: string, out: string) => [
    'cis',
    '--genotypes',
    `${shared}/data/geuvadis_chr22/1kg_phase1_chr22_seqarray_geuvadis330.vcf.gz`,
    '--phenotypes',
    `${shared}/refs/cis_sparse/phenotypes.bed.gz`,
    '--covariates',
    `${shared}/refs/cis_sparse/covariates.txt.gz`,
    '--mode',
    'permute',
    '--permutations',
    '200',
    '--region',
    '22:17000000-21000000',
    '--threads',
    '2',
    '--out',
    `${out}/cis`,
    '--quiet',
  ];
  sharedPath('refs/cis_sparse'); // fails early with the QTLFLOW_SHARED hint when the data are missing
  const c = inImage(
    ['-v', `${SHARED}:/shared:ro`, '-v', `${outC}:/out`],
    ['qtlflow', ...args('/shared', '/out')],
  );
  expect([c.code, c.stderr]).toEqual([0, expect.any(String)]);
  const h = runCli(args(SHARED, outH));
  expect([h.code, h.stderr]).toEqual([0, expect.any(String)]);

  const summary = JSON.parse(readFileSync(join(outC, 'cis.summary.json'), 'utf8'));
  expect(summary.gemm_backend).toBe('native');
  expect(String(summary.gemm_detail)).toMatch(/OpenBLAS/);
  // every output was written by the image's non-root user, and only the outputs are there
  const files = readdirSync(outC).sort();
  expect(files).toEqual(readdirSync(outH).sort());
  for (const f of files) expect([f, statSync(join(outC, f)).uid]).toEqual([f, UID]);

  const tc = await openParquet(join(outC, 'cis.cis_qtl.parquet'));
  const th = await openParquet(join(outH, 'cis.cis_qtl.parquet'));
  expect(tc.numRows).toBeGreaterThan(20);
  expect(tc.numRows).toBe(th.numRows);
  for (const col of ['phenotype_id', 'variant_id'])
    expect(toStrings(await tc.column(col))).toEqual(toStrings(await th.column(col)));
  for (const col of ['num_var', 'start_distance'])
    expect(Array.from(toInt32(await tc.column(col)))).toEqual(Array.from(toInt32(await th.column(col))));
  // another OpenBLAS build (Debian trixie's in the image) may round the last bits differently; the beta fit
  // stops at tensorQTL's 1e-4 tolerance (as in test/cli/cis.backends.test.ts)
  for (const [col, tol] of [
    ['pval_nominal', 1e-9],
    ['slope', 1e-9],
    ['slope_se', 1e-9],
    ['pval_perm', 0],
    ['pval_beta', 1e-4],
  ] as const) {
    const d = maxRelDiff(toFloat64(await tc.column(col)), toFloat64(await th.column(col)));
    console.log(`in image vs host: ${col} max relative difference ${d.toExponential(2)}`);
    expect([col, d <= tol]).toEqual([col, true]);
  }
}, 600_000);
