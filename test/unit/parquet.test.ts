/**
 * Parquet contracts: round trips through our reader, and the files we write read back by two independent
 * engines: DuckDB (C++) and Apache Arrow's Rust Parquet reader (parquet-wasm) into Arrow JS tables.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { readParquet } from 'parquet-wasm/node';
import { tableFromIPC } from 'apache-arrow';
import { ParquetTableWriter, openParquet } from '../../src/io/parquet.js';
import {
  readCovariates,
  readPhenotypes,
  writeCounts,
  writeCovariates,
  writePhenotypes,
} from '../../src/io/contracts.js';
import type { PhenotypeMatrix } from '../../src/io/contracts.js';
import { RESULT_SPECS } from '../../src/io/results.js';
import { tempDir } from '../helpers/cli.js';

const dir = tempDir();

const pheno: PhenotypeMatrix = {
  chr: ['chr1', 'chr1', 'chr2'],
  start: Int32Array.from([100, 5000, 42]),
  end: Int32Array.from([101, 5001, 43]),
  phenotypeId: ['g1', 'g2', 'g3'],
  strand: ['+', '-', '+'],
  samples: ['S1', 'S2'],
  values: Float64Array.from([0.5, -1.25, 3, NaN, 1e-300, 2]),
};

async function duck(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const r = await c.runAndReadAll(sql);
  const rows = r.getRowObjects() as Record<string, unknown>[];
  c.closeSync();
  return rows;
}

describe('phenotypes contract', () => {
  const path = join(dir, 'pheno.parquet');
  beforeAll(() => writePhenotypes(path, pheno, { method: 'tmm' }));

  test('round trip keeps positions, IDs, samples and every value bit for bit (NaN included)', async () => {
    const back = await readPhenotypes(path);
    expect(back.chr).toEqual(pheno.chr);
    expect(Array.from(back.start)).toEqual(Array.from(pheno.start));
    expect(back.phenotypeId).toEqual(pheno.phenotypeId);
    expect(back.strand).toEqual(pheno.strand);
    expect(back.samples).toEqual(pheno.samples);
    expect(Array.from(back.values)).toEqual(Array.from(pheno.values));
  });

  test('carries qtlflow.schema, qtlflow.version and qtlflow.params metadata', async () => {
    const t = await openParquet(path);
    expect(t.meta.schema).toBe('phenotypes/1');
    expect(t.meta.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(t.meta.params).toEqual({ method: 'tmm' });
    expect(JSON.parse(t.meta.kv['qtlflow.samples'])).toEqual(['S1', 'S2']);
  });

  test('DuckDB reads the values, types and key-value metadata', async () => {
    const rows = await duck(
      `select phenotype_id, start, "S1", "S2" from read_parquet('${path}') order by phenotype_id`,
    );
    expect(rows.map((r) => r.phenotype_id)).toEqual(['g1', 'g2', 'g3']);
    expect(rows.map((r) => r.start)).toEqual([100, 5000, 42]);
    expect(rows.map((r) => r.S1)).toEqual([0.5, 3, 1e-300]);
    expect(Number.isNaN(rows[1].S2)).toBe(true);
    const kv = await duck(`select decode(key) as k, decode(value) as v from parquet_kv_metadata('${path}')`);
    expect(kv.find((r) => r.k === 'qtlflow.schema')?.v).toBe('phenotypes/1');
    const codecs = await duck(`select distinct compression from parquet_metadata('${path}')`);
    expect(codecs.map((r) => r.compression)).toEqual(['ZSTD']);
  });

  test('Apache Arrow (Rust Parquet reader → Arrow JS) reads the same table and metadata', () => {
    const table = tableFromIPC(readParquet(new Uint8Array(readFileSync(path))).intoIPCStream());
    expect(table.numRows).toBe(3);
    expect(table.schema.fields.map((f) => f.name)).toEqual([
      'chr',
      'start',
      'end',
      'phenotype_id',
      'strand',
      'S1',
      'S2',
    ]);
    expect(String(table.schema.fields[1].type)).toBe('Int32');
    expect(String(table.schema.fields[5].type)).toBe('Float64');
    expect(Array.from(table.getChild('S1')!.toArray() as Float64Array)).toEqual([0.5, 3, 1e-300]);
    expect(table.schema.metadata.get('qtlflow.schema')).toBe('phenotypes/1');
  });
});

test('counts and covariates contracts round trip and read in DuckDB', async () => {
  const cpath = join(dir, 'counts.parquet');
  writeCounts(
    cpath,
    {
      phenotypeId: ['a', 'b'],
      length: Float64Array.from([1000, 2000]),
      samples: ['x', 'y'],
      values: Float64Array.from([1, 2, 3, 4]),
    },
    {},
  );
  const rows = await duck(`select * from read_parquet('${cpath}') order by phenotype_id`);
  expect(rows).toEqual([
    { phenotype_id: 'a', length: 1000, x: 1, y: 2 },
    { phenotype_id: 'b', length: 2000, x: 3, y: 4 },
  ]);
  const vpath = join(dir, 'cov.parquet');
  const cov = {
    sampleIds: ['x', 'y', 'z'],
    names: ['PC1', 'sex'],
    values: Float64Array.from([0.1, 1, 0.2, 0, 0.3, 1]),
  };
  writeCovariates(vpath, cov, {});
  const back = await readCovariates(vpath);
  expect(back.sampleIds).toEqual(cov.sampleIds);
  expect(back.names).toEqual(cov.names);
  expect(Array.from(back.values)).toEqual(Array.from(cov.values));
});

test('streaming writer splits batches into row groups without losing or reordering rows', async () => {
  const path = join(dir, 'tall.parquet');
  const w = new ParquetTableWriter(
    path,
    [
      { name: 'phenotype_id', type: 'string' },
      { name: 'pos', type: 'int32' },
      { name: 'pval', type: 'float64' },
    ],
    { schema: 'test/1', params: {} },
    { rowGroupSize: 1000 },
  );
  let next = 0;
  for (const size of [1, 999, 1500, 7, 2493]) {
    const ids = Array.from({ length: size }, (_, i) => `g${(next + i) % 17}`);
    const pos = Int32Array.from({ length: size }, (_, i) => next + i);
    const p = Float64Array.from({ length: size }, (_, i) => (next + i) / 1e4);
    w.write([ids, pos, p]);
    next += size;
  }
  w.close();
  const rows = await duck(
    `select count(*)::INT n, sum(pos)::BIGINT s, count(distinct phenotype_id)::INT d from read_parquet('${path}')`,
  );
  expect(rows[0]).toEqual({ n: 5000, s: BigInt((4999 * 5000) / 2), d: 17 });
  const groups = await duck(`select count(distinct row_group_id)::INT g from parquet_metadata('${path}')`);
  expect(groups[0].g).toBe(5);
  const t = await openParquet(path);
  const pos = await t.column('pos');
  expect(Array.from(pos as Int32Array).every((v, i) => v === i)).toBe(true);
});

describe.each(RESULT_SPECS)('result table $schema', (spec) => {
  test('writes the contract columns with the right physical types, readable by DuckDB', async () => {
    const path = join(dir, `${spec.schema.replace('/', '_')}.parquet`);
    const w = new ParquetTableWriter(path, spec.columns, { schema: spec.schema, params: {} });
    const n = 3;
    w.write(
      spec.columns.map((c) =>
        c.type === 'string'
          ? ['a', 'b', 'c']
          : c.type === 'int32'
            ? Int32Array.from([1, 2, 3])
            : c.type === 'bool'
              ? [true, false, true]
              : Float64Array.from([0.5, NaN, 1e-310]),
      ),
    );
    w.close();
    const described = await duck(`describe select * from read_parquet('${path}')`);
    expect(described.map((r) => r.column_name)).toEqual(spec.columns.map((c) => c.name));
    const want: Record<string, string> = {
      string: 'VARCHAR',
      int32: 'INTEGER',
      float64: 'DOUBLE',
      bool: 'BOOLEAN',
    };
    expect(described.map((r) => r.column_type)).toEqual(spec.columns.map((c) => want[c.type]));
    const t = await openParquet(path);
    expect(t.numRows).toBe(n);
    expect(t.meta.schema).toBe(spec.schema);
  });
});
