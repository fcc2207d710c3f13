#!/usr/bin/env node
/**
 * Builds the optional native GEMM backend (native/gemm, an N-API addon over OpenBLAS) during `npm ci`.
 * Optional by design: without OpenBLAS (Debian: libopenblas-dev) or a C toolchain, the portable typed-array
 * kernel runs instead, so a failure here is reported and the install goes on. QTLFLOW_NATIVE=0 skips the build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'native', 'gemm');
const say = (msg) => process.stderr.write(`qtlflow native GEMM: ${msg}\n`);

if (process.env.QTLFLOW_NATIVE === '0') {
  say('skipped (QTLFLOW_NATIVE=0); the portable backend will be used');
  process.exit(0);
}
const pc = spawnSync('pkg-config', ['--exists', 'openblas']);
if (pc.status !== 0) {
  say(
    'OpenBLAS not found by pkg-config (Debian: apt-get install libopenblas-dev); the portable backend will be used',
  );
  process.exit(0);
}
// npm runs lifecycle scripts with its bundled node-gyp on PATH and npm_config_nodedir set; outside npm, use the
// headers installed beside this Node (Debian's nodejs ships them in /usr/include/node) so nothing is downloaded.
const nodeGyp = process.env.npm_config_node_gyp
  ? [process.execPath, process.env.npm_config_node_gyp]
  : ['node-gyp'];
const nodedir = process.env.npm_config_nodedir || dirname(dirname(process.execPath));
const args = ['rebuild'];
if (existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${nodedir}`);
const r = spawnSync(nodeGyp[0], [...nodeGyp.slice(1), ...args], {
  cwd: dir,
  stdio: ['ignore', 'ignore', 'pipe'],
});
if (r.status !== 0) {
  say(`build failed; the portable backend will be used\n${(r.stderr ?? '').toString().slice(-2000)}`);
  process.exit(0);
}
say('built (OpenBLAS)');
