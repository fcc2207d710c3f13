/**
 * `qtlflow import` end to end: VCF and PLINK → genotype Parquet with identical dosages; region pushdown on the
 * indexed VCF and on the Parquet; filters; sample subsets and their errors.
 */
import { existsSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openGenotypes, region } from '../../src/io/genotypes/index.js';
import type { GenotypeBlock } from '../../src/io/genotypes/index.js';
import { openParquet } from '../../src/io/parquet.js';
import { runCli, tempDir, listDir } from '../helpers/cli.js';
import { sharedPath } from '../helpers/shared.js';

const VCF = () => sharedPath('data/geuvadis_chr22/1kg_phase1_chr22_seqarray_geuvadis330.vcf.gz');
const BED = () => sharedPath('refs/cis_sparse/genotypes/geuvadis330_chr22.bed');
const PGEN = () => sharedPath('refs/cis_sparse/genotypes/geuvadis330_chr22.pgen');
const dir = tempDir();

async function collect(
  path: string,
  regions?: string[],
): Promise<{ pos: number[]; dos: number[]; samples: string[] }> {
  const r = await openGenotypes(path);
  const blocks: GenotypeBlock[] = [];
  const it = regions ? r.iterRegions(regions.map((x) => region(x))) : r.iterBlocks();
  for await (const b of it) blocks.push(b);
  return {
    pos: blocks.flatMap((b) => Array.from(b.variants.pos)),
    dos: blocks.flatMap((b) => Array.from(b.dosages)),
    samples: await r.samples(),
  };
}

describe('import VCF, PLINK 1 and PLINK 2 to genotype Parquet', () => {
  const outVcf = join(dir, 'from_vcf.parquet');
  const outBed = join(dir, 'from_bed.parquet');
  const outPgen = join(dir, 'from_pgen.parquet');
  beforeAll(() => {
    expect(runCli(['import', '--genotypes', VCF(), '--out', outVcf, '--quiet']).code).toBe(0);
    expect(runCli(['import', '--genotypes', BED(), '--out', outBed, '--quiet']).code).toBe(0);
    expect(runCli(['import', '--genotypes', PGEN(), '--out', outPgen, '--quiet']).code).toBe(0);
  });

  test('the Parquet holds the same samples, variants and dosages as the VCF, whichever format it came from', async () => {
    const src = await collect(VCF());
    for (const out of [outVcf, outBed, outPgen]) {
      const got = await collect(out);
      expect(got.samples).toEqual(src.samples);
      expect(got.pos).toEqual(src.pos);
      expect(got.dos.length).toBe(src.dos.length);
      expect(got.dos.every((x, i) => x === src.dos[i])).toBe(true);
    }
    const summary = JSON.parse(readFileSync(join(dir, 'from_vcf.summary.json'), 'utf8'));
    expect(summary).toMatchObject({ stage: 'import', format: 'vcf', samples: 330, variants: 19773 });
  });

  test('af and missing_rate columns; contract metadata', async () => {
    const t = await openParquet(outVcf);
    expect(t.meta.schema).toBe('genotypes/1');
    expect(t.meta.kv['qtlflow.dosage_encoding']).toBe('float32le');
    expect(t.columnNames).toEqual([
      'chr',
      'pos',
      'variant_id',
      'ref',
      'alt',
      'af',
      'missing_rate',
      'dosages',
    ]);
    const af = (await t.column('af')) as Float64Array;
    const src = await collect(VCF());
    const want = Array.from(
      { length: 19773 },
      (_, v) => src.dos.slice(v * 330, (v + 1) * 330).reduce((s, x) => s + x, 0) / 660,
    );
    expect(Array.from(af).every((x, v) => Math.abs(x - want[v]) < 1e-12)).toBe(true);
    expect(Array.from((await t.column('missing_rate')) as Float64Array).every((x) => x === 0)).toBe(true);
  });

  test('a 1 Mb region reads a small fraction of the indexed VCF, the .pgen and the Parquet', async () => {
    const reg = '22:30000000-31000000';
    const full = await collect(VCF());
    const r = region(reg).regions![0];
    const wantPos = full.pos.filter((p) => p >= r.start && p <= r.end);
    expect(wantPos.length).toBeGreaterThan(100);
    for (const path of [VCF(), PGEN(), outVcf]) {
      const reader = await openGenotypes(path);
      const blocks: GenotypeBlock[] = [];
      for await (const b of reader.iterRegions([region(reg)])) blocks.push(b);
      expect(Array.from(blocks[0].variants.pos)).toEqual(wantPos);
      const fraction = reader.bytesRead!() / statSync(path).size;
      console.log(
        `${reader.format}: 1 Mb region read ${reader.bytesRead!()} of ${statSync(path).size} bytes (${(100 * fraction).toFixed(1)}%)`,
      );
      expect(fraction).toBeLessThan(0.2);
    }
  });

  test('regions, MAF, SNP filters and a sample subset in a chosen order', async () => {
    const keep = ['NA12878', 'HG00096', 'NA20828'].filter(Boolean);
    const src = await collect(VCF());
    const present = keep.filter((s) => src.samples.includes(s));
    expect(present.length).toBeGreaterThanOrEqual(2);
    const list = join(dir, 'keep.txt');
    writeFileSync(list, present.join('\n') + '\n');
    const out = join(dir, 'subset.parquet');
    const r = runCli([
      'import',
      '--genotypes',
      VCF(),
      '--region',
      '22:40000000-41000000',
      '--region',
      'chr22:20000000-21000000',
      '--maf-min',
      '0.01',
      '--snps-only',
      '--samples',
      list,
      '--out',
      out,
      '--quiet',
    ]);
    expect(r.code).toBe(0);
    const got = await collect(out);
    expect(got.samples).toEqual(present);
    // sorted by position though regions were given out of order
    expect(got.pos).toEqual([...got.pos].sort((a, b) => a - b));
    expect(got.pos.every((p) => (p >= 20000000 && p <= 21000000) || (p >= 40000000 && p <= 41000000))).toBe(
      true,
    );
    // MAF over the kept samples only: each kept variant is polymorphic among them
    const k = present.length;
    for (let v = 0; v < got.pos.length; v++) {
      const s = got.dos.slice(v * k, (v + 1) * k).reduce((a, b) => a + b, 0);
      expect(Math.min(s, 2 * k - s) / (2 * k)).toBeGreaterThanOrEqual(0.01);
    }
  });

  test('samples missing from the genotypes: exit 2 naming them, the list file and how to fix', () => {
    const list = join(dir, 'missing.txt');
    writeFileSync(list, 'HG00096\nNOT_A_SAMPLE\nALSO_MISSING\n');
    const out = join(dir, 'none.parquet');
    const r = runCli(['import', '--genotypes', VCF(), '--samples', list, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing\.txt/);
    expect(r.stderr).toMatch(
      /2 of 3 requested samples are not in the genotype file \(e\.g\. 'NOT_A_SAMPLE', 'ALSO_MISSING'\)/,
    );
    expect(r.stderr).toMatch(/check the ID type/);
    expect(existsSync(out)).toBe(false);
    expect(listDir(dir).some((f) => f.includes('.tmp-'))).toBe(false);
  });

  test('a region query on an unindexed VCF: exit 2 and no output', () => {
    const plain = join(dir, 'plain.vcf');
    writeFileSync(plain, readFileSync(VCF()).subarray(0, 0)); // empty file
    const out = join(dir, 'x.parquet');
    const r = runCli(['import', '--genotypes', plain, '--region', '22:1-100', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/plain\.vcf/);
    expect(existsSync(out)).toBe(false);
  });
});
