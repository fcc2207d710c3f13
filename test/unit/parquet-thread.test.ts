/**
 * The cis pair-table writer thread: the nominal table it writes (p-values computed on the thread) equals the
 * one written in the producing thread, row for row; producers are held back while too many rows wait; a
 * failure on the thread (here: a directory that does not exist) comes back to the caller as an error.
 * The thread runs the compiled entry (dist/src, built by `npm test` before jest).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ParquetWriterThread } from '../../src/io/parquet-thread.js';
import { ParquetTableWriter, openParquet } from '../../src/io/parquet.js';
import { CIS_NOMINAL } from '../../src/io/results.js';
import { NominalBatch } from '../../src/stages/cis/batches.js';
import { Rng } from '../../src/runner/random.js';
import { REPO_ROOT } from '../helpers/shared.js';
import { tempDir } from '../helpers/cli.js';

const dir = tempDir();
const ENTRY = new URL(`file://${join(REPO_ROOT, 'dist/src/stages/cis/pairs-writer.js')}`);
const META = { schema: CIS_NOMINAL.schema, params: {} };

function batch(rng: Rng, rows: number, offset: number): NominalBatch {
  const b = new NominalBatch(rows, 321);
  for (let i = 0; i < rows; i++) {
    b.length++;
    b.phenotypeCode[i] = b.phenotype(`g${Math.floor((offset + i) / 500)}`);
    b.variantCode[i] = b.variant(`22:${1000 + ((offset + i) % 4000)}`);
    b.startDistance[i] = (offset + i) % 2_000_000;
    b.af[i] = rng.uniform() / 2;
    b.maSamples[i] = i % 300;
    b.maCount[i] = i % 400;
    b.r[i] = (rng.uniform() - 0.5) * (i % 97 === 0 ? 1.9 : 0.4); // some |r| near 1
    b.yNorm[i] = 1 + rng.uniform();
    b.gNorm[i] = 0.5 + rng.uniform();
  }
  return b;
}

async function readAll(path: string): Promise<Record<string, ArrayLike<unknown>>> {
  const t = await openParquet(path);
  const out: Record<string, ArrayLike<unknown>> = {};
  for (const c of t.columnNames) out[c] = await t.column(c);
  return out;
}

test('a nominal table written on the thread equals the one written here', async () => {
  expect(existsSync(ENTRY)).toBe(true);
  const here = join(dir, 'here.parquet');
  const there = join(dir, 'there.parquet');
  const w = new ParquetTableWriter(here, CIS_NOMINAL.columns, META, { rowGroupSize: 10_000 });
  const thread = new ParquetWriterThread(ENTRY, 25_000);
  const t = thread.open(there, CIS_NOMINAL.columns, META, { rowGroupSize: 10_000 });
  const a = new Rng(7);
  const b = new Rng(7);
  let maxWaiting = 0;
  for (let k = 0; k < 12; k++) {
    w.write(batch(a, 8192, k * 8192).columns());
    const sent = batch(b, 8192, k * 8192);
    t.write({ kind: 'nominal', batch: sent }, sent.length, sent.buffers());
    expect(sent.r.length).toBe(0); // transferred, not copied
    await thread.ready();
    maxWaiting = Math.max(maxWaiting, (thread as unknown as { inFlight: number }).inFlight);
  }
  w.close();
  t.close();
  await thread.finish();
  expect(maxWaiting).toBeLessThan(25_000);
  const x = await readAll(here);
  const y = await readAll(there);
  expect(Object.keys(y)).toEqual(CIS_NOMINAL.columns.map((c) => c.name));
  expect(y.pval_nominal.length).toBe(12 * 8192);
  for (const c of Object.keys(x)) expect(Array.from(y[c])).toEqual(Array.from(x[c]));
  expect(Array.from(y.pval_nominal).every((p) => (p as number) >= 0 && (p as number) <= 1)).toBe(true);
});

test('a failure on the writer thread is reported to the caller', async () => {
  const thread = new ParquetWriterThread(ENTRY);
  const t = thread.open(join(dir, 'no', 'such', 'dir', 'x.parquet'), CIS_NOMINAL.columns, META);
  const sent = batch(new Rng(1), 100, 0);
  t.write({ kind: 'nominal', batch: sent }, sent.length, sent.buffers());
  t.close();
  await expect(thread.finish()).rejects.toThrow(/ENOENT|no such file/);
});
