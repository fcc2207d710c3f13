/**
 * Parquet engine benchmark (docs/parquet-engine.md): a 20,000 × 500 float64 phenotype matrix and a
 * 5,000,000-row cis_nominal-shaped results table, written and read by
 *   - hyparquet + hyparquet-writer (what the stage CLIs use; zstd-3 via zstd-napi),
 *   - parquet-wasm (Apache Arrow's Rust Parquet) + apache-arrow JS tables (zstd-3),
 *   - DuckDB (@duckdb/node-api), read only: its role is queries and merges.
 * Each case runs in its own process so peak RSS is its own. Usage:
 *   node dist/bench/parquet.js [--rows 5000000] [--genes 20000] [--samples 500] [--out-dir DIR]
 *     [--writers hyparquet,parquet-wasm[,parquetjs]] [--readers hyparquet,parquet-wasm,duckdb[,parquetjs]]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ParquetTableWriter, openParquet, writeTable } from '../src/io/parquet.js';
import type { ColumnSpec, ColumnData } from '../src/io/parquet.js';
import { CIS_NOMINAL } from '../src/io/results.js';

interface Sizes {
  rows: number;
  genes: number;
  samples: number;
}

/** Deterministic pseudo-random numbers (mulberry32) so every engine writes the same data. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function matrixData(s: Sizes): { specs: ColumnSpec[]; cols: ColumnData[] } {
  const r = rng(1);
  const specs: ColumnSpec[] = [{ name: 'phenotype_id', type: 'string' }];
  const cols: ColumnData[] = [
    Array.from({ length: s.genes }, (_, i) => `ENSG${String(i).padStart(11, '0')}`),
  ];
  for (let j = 0; j < s.samples; j++) {
    specs.push({ name: `S${j}`, type: 'float64' });
    cols.push(Float64Array.from({ length: s.genes }, () => r() * 4 - 2));
  }
  return { specs, cols };
}

const RESULT_SPECS: ColumnSpec[] = CIS_NOMINAL.columns;

/**
 * ID pools: a stage emits IDs that are the same string objects as its variant and phenotype tables (read
 * once per chunk), not a fresh string per row, and V8 caches a string's hash, which dictionary encoding uses.
 */
const variantPool: string[] = [];
const phenotypePool: string[] = [];
function variantId(v: number): string {
  while (variantPool.length <= v) variantPool.push(`chr22_${16000000 + variantPool.length * 37}_A_G_b38`);
  return variantPool[v];
}
function phenotypeId(g: number): string {
  while (phenotypePool.length <= g)
    phenotypePool.push(`ENSG${String(phenotypePool.length).padStart(11, '0')}`);
  return phenotypePool[g];
}

/** One batch of cis-nominal-shaped rows: 250 variants per phenotype, windows overlapping ×5. */
function resultBatch(from: number, n: number): ColumnData[] {
  const r = rng(from + 7);
  const pid: string[] = new Array(n);
  const vid: string[] = new Array(n);
  const dist = new Int32Array(n);
  const af = new Float64Array(n);
  const mas = new Int32Array(n);
  const mac = new Int32Array(n);
  const p = new Float64Array(n);
  const slope = new Float64Array(n);
  const se = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const i = from + k;
    const g = Math.floor(i / 250);
    const v = g * 50 + (i % 250);
    pid[k] = phenotypeId(g);
    vid[k] = variantId(v);
    dist[k] = (i % 250) * 4000 - 500000;
    af[k] = r();
    mas[k] = Math.floor(r() * 300);
    mac[k] = mas[k] + Math.floor(r() * 20);
    p[k] = r();
    slope[k] = r() - 0.5;
    se[k] = r() * 0.1;
  }
  return [pid, vid, dist, af, mas, mac, p, slope, se];
}

const BATCH = 100_000;

/** Arrow JS table for parquet-wasm: built column by column from the same data. */
async function arrowTable(kind: 'matrix' | 'results', s: Sizes): Promise<unknown> {
  const arrow = await import('apache-arrow');
  if (kind === 'matrix') {
    const { specs, cols } = matrixData(s);
    const obj: Record<string, unknown> = {};
    specs.forEach(
      (sp, i) =>
        (obj[sp.name] =
          sp.type === 'string' ? arrow.vectorFromArray(cols[i] as string[], new arrow.Utf8()) : cols[i]),
    );
    return arrow.tableFromArrays(obj as never);
  }
  const batches = [];
  for (let from = 0; from < s.rows; from += BATCH) {
    const cols = resultBatch(from, Math.min(BATCH, s.rows - from));
    const obj: Record<string, unknown> = {};
    RESULT_SPECS.forEach(
      (sp, i) =>
        (obj[sp.name] =
          sp.type === 'string' ? arrow.vectorFromArray(cols[i] as string[], new arrow.Utf8()) : cols[i]),
    );
    batches.push(...arrow.tableFromArrays(obj as never).batches);
  }
  return new arrow.Table(batches);
}

async function runCase(
  engine: string,
  op: string,
  kind: 'matrix' | 'results',
  path: string,
  s: Sizes,
): Promise<number> {
  // Returns seconds spent in the measured operation (data generation excluded).
  if (engine === 'hyparquet' && op === 'write') {
    if (kind === 'matrix') {
      const { specs, cols } = matrixData(s);
      const t0 = performance.now();
      writeTable(path, specs, cols, { schema: 'bench/1', params: {} }, { rowGroupSize: 5000 });
      return (performance.now() - t0) / 1000;
    }
    let spent = 0;
    const w = new ParquetTableWriter(path, RESULT_SPECS, { schema: 'bench/1', params: {} });
    for (let from = 0; from < s.rows; from += BATCH) {
      const cols = resultBatch(from, Math.min(BATCH, s.rows - from));
      const t0 = performance.now();
      w.write(cols);
      spent += performance.now() - t0;
    }
    const t0 = performance.now();
    w.close();
    return (spent + performance.now() - t0) / 1000;
  }
  if (engine === 'hyparquet' && op === 'read') {
    const t0 = performance.now();
    const t = await openParquet(path);
    let checksum = 0;
    for (const g of t.rowGroups) {
      for (const c of t.columnNames) {
        const a = await t.columnRange(c, g.rowStart, g.rowEnd);
        checksum += a.length;
      }
    }
    if (checksum !== t.numRows * t.columnNames.length) throw new Error('short read');
    return (performance.now() - t0) / 1000;
  }
  if (engine === 'parquet-wasm' && op === 'write') {
    const pw = await import('parquet-wasm/node');
    const arrow = await import('apache-arrow');
    const table = await arrowTable(kind, s);
    const t0 = performance.now();
    const ipc = arrow.tableToIPC(table as never, 'stream');
    const props = new pw.WriterPropertiesBuilder()
      .setCompression(pw.Compression.ZSTD)
      .setMaxRowGroupSize(kind === 'matrix' ? 5000 : 100_000)
      .build();
    const bytes = pw.writeParquet(pw.Table.fromIPCStream(ipc), props);
    writeFileSync(path, bytes);
    return (performance.now() - t0) / 1000;
  }
  if (engine === 'parquet-wasm' && op === 'read') {
    const pw = await import('parquet-wasm/node');
    const arrow = await import('apache-arrow');
    const t0 = performance.now();
    const table = arrow.tableFromIPC(pw.readParquet(new Uint8Array(readFileSync(path))).intoIPCStream());
    if (table.numRows === 0) throw new Error('short read');
    return (performance.now() - t0) / 1000;
  }
  if (engine === 'parquetjs') return parquetjsCase(op, kind, path, s);
  if (engine === 'duckdb' && op === 'read') {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const t0 = performance.now();
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const res = await c.runAndReadAll(`select * from read_parquet('${path}')`);
    const cols = res.getColumns();
    if (cols.length === 0 || cols[0].length === 0) throw new Error('short read');
    return (performance.now() - t0) / 1000;
  }
  throw new Error(`no case ${engine}/${op}`);
}

/**
 * @dsnp/parquetjs (the maintained parquetjs fork; the package the design brief names). It is not a project
 * dependency (it pulls in an S3 client); install it for a benchmark run with
 * `npm install --no-save @dsnp/parquetjs@1.8.8` (1.8.9+ needs Node ≥ 24). No ZSTD: SNAPPY is used.
 */
async function parquetjsCase(
  op: string,
  kind: 'matrix' | 'results',
  path: string,
  s: Sizes,
): Promise<number> {
  const moduleName = '@dsnp/parquetjs';
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const pq: any = await import(moduleName);
  const specs = kind === 'matrix' ? matrixData(s).specs : RESULT_SPECS;
  if (op === 'write') {
    const fields: Record<string, unknown> = {};
    for (const sp of specs)
      fields[sp.name] = {
        type: sp.type === 'string' ? 'UTF8' : sp.type === 'int32' ? 'INT32' : 'DOUBLE',
        compression: 'SNAPPY',
      };
    const schema = new pq.ParquetSchema(fields);
    let spent = 0;
    let t0 = performance.now();
    const w = await pq.ParquetWriter.openFile(schema, path, {
      rowGroupSize: kind === 'matrix' ? 5000 : 100_000,
    });
    spent += performance.now() - t0;
    const batches: ColumnData[][] = kind === 'matrix' ? [matrixData(s).cols] : [];
    for (let from = 0; from < (kind === 'matrix' ? 1 : s.rows); from += BATCH) {
      const cols = kind === 'matrix' ? batches[0] : resultBatch(from, Math.min(BATCH, s.rows - from));
      t0 = performance.now();
      for (let i = 0; i < cols[0].length; i++) {
        const row: Record<string, unknown> = {};
        specs.forEach((sp, c) => (row[sp.name] = (cols[c] as ArrayLike<unknown>)[i]));
        await w.appendRow(row);
      }
      spent += performance.now() - t0;
    }
    t0 = performance.now();
    await w.close();
    return (spent + performance.now() - t0) / 1000;
  }
  const t0 = performance.now();
  const r = await pq.ParquetReader.openFile(path);
  const cursor = r.getCursor();
  let n = 0;
  while (await cursor.next()) n++;
  await r.close();
  if (n === 0) throw new Error('short read');
  return (performance.now() - t0) / 1000;
}

function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, '')] = argv[i + 1];
  return out;
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const sizes: Sizes = {
    rows: Number(a.rows ?? 5_000_000),
    genes: Number(a.genes ?? 20_000),
    samples: Number(a.samples ?? 500),
  };
  if (a.case) {
    const [engine, op, kind] = a.case.split(':');
    const seconds = await runCase(engine, op, kind as 'matrix' | 'results', a.path, sizes);
    process.stdout.write(
      JSON.stringify({ seconds, peakRssMb: process.resourceUsage().maxRSS / 1024 }) + '\n',
    );
    return;
  }
  const dir = a['out-dir'] ?? join(tmpdir(), `qtlflow-bench-parquet-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const self = fileURLToPath(import.meta.url);
  const plan: [string, string, 'matrix' | 'results'][] = [];
  const writers = (a.writers ?? 'hyparquet,parquet-wasm').split(',');
  const readers = (a.readers ?? 'hyparquet,parquet-wasm,duckdb').split(',');
  for (const kind of ['matrix', 'results'] as const) {
    for (const engine of writers) plan.push([engine, 'write', kind]);
    for (const engine of writers) {
      for (const reader of readers) {
        if (reader !== 'parquetjs' || engine === 'parquetjs')
          plan.push([`${reader}<${engine}`, 'read', kind]);
      }
    }
  }
  const rows: string[] = [];
  console.log(
    `matrix ${sizes.genes} × ${sizes.samples} float64; results ${sizes.rows.toLocaleString('en-US')} rows × ${RESULT_SPECS.length} columns`,
  );
  console.log('| table | operation | engine | seconds | rows/s | file MB | peak RSS MB |');
  console.log('|---|---|---|---|---|---|---|');
  for (const [engineSpec, op, kind] of plan) {
    const [engine, writer] = engineSpec.includes('<') ? engineSpec.split('<') : [engineSpec, engineSpec];
    const path = join(dir, `${kind}.${writer}.parquet`);
    const args = [
      self,
      '--case',
      `${engine}:${op}:${kind}`,
      '--path',
      path,
      '--rows',
      String(sizes.rows),
      '--genes',
      String(sizes.genes),
      '--samples',
      String(sizes.samples),
    ];
    const r = spawnSync(process.execPath, ['--max-old-space-size=16000', ...args], { encoding: 'utf8' });
    if (r.status !== 0) {
      console.log(`| ${kind} | ${op} | ${engineSpec} | failed: ${(r.stderr || '').split('\n')[0]} | | | |`);
      continue;
    }
    const { seconds, peakRssMb } = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      seconds: number;
      peakRssMb: number;
    };
    const nRows = kind === 'matrix' ? sizes.genes : sizes.rows;
    const mb = statSync(path).size / 1e6;
    const line = `| ${kind} | ${op} | ${engine}${op === 'read' ? ` (file by ${writer})` : ''} | ${seconds.toFixed(2)} | ${Math.round(nRows / seconds).toLocaleString('en-US')} | ${mb.toFixed(1)} | ${Math.round(peakRssMb)} |`;
    rows.push(line);
    console.log(line);
  }
  if (!a['out-dir']) rmSync(dir, { recursive: true, force: true });
}

await main();
