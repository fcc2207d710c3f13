#!/usr/bin/env node
/**
 * Bundles the compiled CLI (dist/src) into dist/bin with esbuild: one file for `qtlflow`, one per worker-thread
 * entry (cis, coverage, the GEMM pool, the cis pair-table writer), one for the report's plot renderer (Vega,
 * loaded on demand), chunks holding each stage's code (loaded by that stage only) and the code entries share,
 * and a two-line launcher per `qtlflow-<stage>` bin of package.json. Loading a few bundled files instead of
 * some thousand small module files (yargs, @stdlib) halves a stage's start-up (≈0.5 s → 0.25 s), and loading
 * only the stage's own chunks takes a further part off; every Nextflow task and every chunk pays it. Packages
 * with native or WebAssembly parts stay external.
 */
import { build } from 'esbuild';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'bin');
await build({
  entryPoints: {
    qtlflow: join(root, 'dist/src/cli/main.js'),
    'cis-worker': join(root, 'dist/src/stages/cis/worker.js'),
    'coverage-worker': join(root, 'dist/src/stages/coverage/worker.js'),
    'gemm-worker': join(root, 'dist/src/linalg/gemm-worker.js'),
    'cis-pairs-writer': join(root, 'dist/src/stages/cis/pairs-writer.js'),
    // Vega/Vega-Lite: loaded by the report stage only (src/stages/report/render.ts)
    'report-render': join(root, 'dist/src/stages/report/render.js'),
  },
  outdir: out,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  // each stage command is a dynamic import (src/cli/commands/index.ts): its code goes into chunks loaded only
  // by that stage; code shared by several entries or commands goes into common chunks
  splitting: true,
  chunkNames: '[name]-[hash]', // beside the entries: worker URLs are resolved from import.meta.url
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['zstd-napi', '@duckdb/node-api', 'sql.js', 'h5wasm'],
  define: { QTLFLOW_BUNDLE: 'true' },
  // CommonJS dependencies inside an ES module bundle still call require() for Node built-ins
  banner: {
    js: "import { createRequire as __qtlflowRequire } from 'node:module';\nconst require = __qtlflowRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
for (const [name, file] of Object.entries(pkg.bin)) {
  const path = join(root, file);
  if (name === 'qtlflow') {
    chmodSync(path, 0o755);
    continue;
  }
  const stage = name.replace(/^qtlflow-/, '');
  writeFileSync(
    path,
    `#!/usr/bin/env node\nglobalThis.QTLFLOW_STAGE = ${JSON.stringify(stage)};\nawait import('./qtlflow.mjs');\n`,
  );
  chmodSync(path, 0o755);
}
