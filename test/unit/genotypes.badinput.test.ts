/**
 * Bad genotype input: each case is an InputError naming the file and the line or variant, and how to fix it.
 */
import { copyFileSync, readFileSync, writeFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { compress as zstdCompress } from 'zstd-napi';
import { InputError } from '../../src/io/errors.js';
import { openGenotypes, region } from '../../src/io/genotypes/index.js';
import type { GenotypeReader } from '../../src/io/genotypes/index.js';
import { sharedPath } from '../helpers/shared.js';
import { tempDir } from '../helpers/cli.js';

const VCF = () => sharedPath('data/geuvadis_chr22/1kg_phase1_chr22_seqarray_geuvadis330.vcf.gz');
const dir = tempDir();

async function drain(it: AsyncGenerator<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of it) n++;
  return n;
}

async function expectInputError(run: () => Promise<unknown>, patterns: RegExp[]): Promise<InputError> {
  let err: unknown;
  try {
    await run();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(InputError);
  const text = (err as InputError).describe();
  for (const p of patterns) expect(text).toMatch(p);
  return err as InputError;
}

/** A small text VCF: the real header (first 3 samples) and the first data lines, edited by `edit`. */
function smallVcf(name: string, edit: (lines: string[]) => string[] = (l) => l): string {
  const text = gunzipSync(readFileSync(VCF())).toString().split('\n');
  const out: string[] = [];
  for (const line of text) {
    if (line.startsWith('##')) out.push(line);
    else if (line.startsWith('#CHROM') || out.length < 200) {
      out.push(line.split('\t').slice(0, 12).join('\t'));
      if (out.length > 40 && !line.startsWith('#')) break;
    }
  }
  const path = join(dir, name);
  writeFileSync(path, edit(out.filter(Boolean)).join('\n') + '\n');
  return path;
}

test('a plain-gzip (not bgzip) VCF: full scan works, a region query says it needs bgzip + tabix', async () => {
  const path = join(dir, 'plain.vcf.gz');
  writeFileSync(path, gzipSync(gunzipSync(readFileSync(VCF()))));
  const r = await openGenotypes(path);
  let n = 0;
  for await (const b of r.iterBlocks()) n += b.variants.id.length;
  expect(n).toBe(19773);
  await expectInputError(
    () => drain(r.iterRegions([region('22:20000000-21000000')])),
    [/plain\.vcf\.gz/, /not BGZF/, /bgzip -c .* tabix -p vcf/],
  );
});

test('a missing index', async () => {
  const path = join(dir, 'noindex.vcf.gz');
  copyFileSync(VCF(), path);
  const r = await openGenotypes(path);
  await expectInputError(
    () => drain(r.iterRegions([region('22:20000000-21000000')])),
    [/noindex\.vcf\.gz/, /no index/, /tabix -p vcf/],
  );
});

test('a stale index (older than the VCF)', async () => {
  const path = join(dir, 'stale.vcf.gz');
  copyFileSync(VCF(), path);
  copyFileSync(`${VCF()}.tbi`, `${path}.tbi`);
  const old = new Date(Date.now() - 86_400_000);
  utimesSync(`${path}.tbi`, old, old);
  const r = await openGenotypes(path);
  await expectInputError(
    () => drain(r.iterRegions([region('22:20000000-21000000')])),
    [/stale\.vcf\.gz\.tbi/, /stale index/, /tabix -f/],
  );
});

test('a region on a chromosome the index does not have names the file’s chromosomes', async () => {
  const r = await openGenotypes(VCF());
  await expectInputError(
    () => drain(r.iterRegions([region('chr7:1-1000')])),
    [/chromosome '7' is not in the VCF index/, /'22'/],
  );
});

test('a truncated BGZF file', async () => {
  const path = join(dir, 'truncated.vcf.gz');
  const bytes = readFileSync(VCF());
  writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
  const r = await openGenotypes(path);
  await expectInputError(() => drain(r.iterBlocks()), [/truncated\.vcf\.gz:\d+/, /truncated or corrupt/]);
});

test('a malformed GT names line, variant and sample', async () => {
  const path = smallVcf('badgt.vcf', (lines) => {
    const i = lines.findIndex((l) => !l.startsWith('#')) + 2;
    const f = lines[i].split('\t');
    f[10] = '0|x';
    lines[i] = f.join('\t');
    return lines;
  });
  const r: GenotypeReader = await openGenotypes(path);
  const samples = await r.samples();
  const err = await expectInputError(
    () => drain(r.iterBlocks()),
    [/badgt\.vcf:\d+/, /malformed GT '0\|x'/, /variant 22:\d+/],
  );
  expect(err.context.sample).toBe(samples[1]);
});

test('a row with fewer sample fields than the header', async () => {
  const path = smallVcf('short.vcf', (lines) => {
    const i = lines.findIndex((l) => !l.startsWith('#')) + 5;
    lines[i] = lines[i].split('\t').slice(0, 11).join('\t');
    return lines;
  });
  const r = await openGenotypes(path);
  await expectInputError(
    () => drain(r.iterBlocks()),
    [/short\.vcf:\d+/, /2 sample fields, the header names 3 samples/],
  );
});

test('a .fam that does not match the .bed size', async () => {
  const prefix = join(dir, 'mismatch');
  const src = sharedPath('refs/cis_sparse/genotypes/geuvadis330_chr22.bed').replace(/\.bed$/, '');
  copyFileSync(`${src}.bed`, `${prefix}.bed`);
  copyFileSync(`${src}.bim`, `${prefix}.bim`);
  const fam = readFileSync(`${src}.fam`, 'utf8').trim().split('\n');
  writeFileSync(`${prefix}.fam`, fam.slice(0, 326).join('\n') + '\n'); // 326 samples: 82 bytes per variant instead of 83
  const r = await openGenotypes(`${prefix}.bed`);
  await expectInputError(
    () => drain(r.iterBlocks()),
    [/mismatch\.bed/, /19773 variants \(\.bim\) × 326 samples \(\.fam\)/, /does not belong/],
  );
});

describe('PLINK 2 filesets: companion files, mismatches, a cut .pgen', () => {
  const src = () => sharedPath('refs/cis_sparse/genotypes/geuvadis330_chr22.pgen').replace(/\.pgen$/, '');
  function fileset(
    name: string,
    edit: { psam?: number; pvar?: number; pgenCut?: number; drop?: string },
  ): string {
    const prefix = join(dir, name);
    const pgen = readFileSync(`${src()}.pgen`);
    writeFileSync(`${prefix}.pgen`, pgen.subarray(0, pgen.length - (edit.pgenCut ?? 0)));
    for (const [ext, keep] of [
      ['psam', edit.psam],
      ['pvar', edit.pvar],
    ] as const) {
      if (edit.drop === ext) continue;
      const lines = readFileSync(`${src()}.${ext}`, 'utf8').trim().split('\n');
      writeFileSync(`${prefix}.${ext}`, lines.slice(0, lines.length - (keep ?? 0)).join('\n') + '\n');
    }
    return `${prefix}.pgen`;
  }

  test('a .psam with a sample fewer than the .pgen', async () => {
    const r = await openGenotypes(fileset('fewer_samples', { psam: 1 }));
    await expectInputError(
      () => drain(r.iterBlocks()),
      [/fewer_samples\.pgen/, /330 samples but the \.psam lists 329/, /does not belong/],
    );
  });

  test('a .pvar with a variant fewer than the .pgen', async () => {
    const r = await openGenotypes(fileset('fewer_variants', { pvar: 1 }));
    await expectInputError(
      () => drain(r.iterRegions([region('22:20000000-21000000')])),
      [/fewer_variants\.pgen/, /19773 variants but the \.pvar lists 19772/],
    );
  });

  test('a missing .pvar names the files it looked for', async () => {
    const r = await openGenotypes(fileset('no_pvar', { drop: 'pvar' }));
    await expectInputError(
      () => drain(r.iterBlocks()),
      [/no_pvar\.pvar/, /\.pvar of the PLINK 2 fileset is missing/],
    );
  });

  test('a zstd-compressed .pvar.zst (plink2 vzs) reads the same variants as the plain .pvar', async () => {
    const pgen = fileset('vzs', { drop: 'pvar' });
    const prefix = pgen.replace(/\.pgen$/, '');
    writeFileSync(`${prefix}.pvar.zst`, zstdCompress(readFileSync(`${src()}.pvar`)));
    const ids = async (path: string) => {
      const got: string[] = [];
      for await (const b of (await openGenotypes(path)).iterRegions([region('22:30000000-31000000')]))
        got.push(...b.variants.id);
      return got;
    };
    const want = await ids(`${src()}.pgen`);
    expect(want.length).toBeGreaterThan(100);
    expect(await ids(`${prefix}.pvar.zst`)).toEqual(want); // named by its .pvar.zst
  });

  test('a truncated .pgen', async () => {
    const r = await openGenotypes(fileset('cut', { pgenCut: 5000 }));
    await expectInputError(
      () => drain(r.iterBlocks()),
      [/cut\.pgen/, /malformed \.pgen/, /past the file/, /re-create/],
    );
  });
});

test('an unrecognised file', async () => {
  const path = join(dir, 'notgeno.txt');
  writeFileSync(path, 'hello\n');
  await expectInputError(() => openGenotypes(path), [/notgeno\.txt/, /format not recognised/]);
});

test('haploid, multi-digit, missing and DS fields decode correctly', async () => {
  const path = join(dir, 'mixed.vcf');
  writeFileSync(
    path,
    [
      '##fileformat=VCFv4.2',
      '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\tC\tD',
      'X\t100\tv1\tA\tG\t.\t.\t.\tGT\t0\t1\t.\t1|0',
      'X\t200\tv2\tA\tG,T\t.\t.\t.\tGT:GQ\t0/2:9\t./.:3\t10|0:1\t2|1',
      'X\t300\tv3\tC\tT\t.\t.\t.\tGT:DS\t0|1:0.93\t1|1:1.8\t0|0:.\t0|0:0.05',
      // GT-only lines: plain diploid calls, then a missing, haploid or multi-digit call after them
      'X\t400\tv4\tA\tG\t.\t.\t.\tGT\t0|1\t1/1\t./.\t0|0',
      'X\t500\tv5\tA\tG,T\t.\t.\t.\tGT\t2|0\t0|9\t1|1\t0/0',
      'X\t600\tv6\tA\tG\t.\t.\t.\tGT\t0|1\t1|0\t0|1\t1',
      'X\t700\tv7\tA\tG\t.\t.\t.\tGT\t0|1\t1|0\t10|1\t1|1',
    ].join('\n') + '\n',
  );
  const r = await openGenotypes(path);
  const blocks = [];
  for await (const b of r.iterBlocks()) blocks.push(b);
  expect(Array.from(blocks[0].dosages)).toEqual([
    0,
    1,
    NaN,
    1,
    1,
    NaN,
    1,
    2,
    Math.fround(0.93),
    Math.fround(1.8),
    NaN,
    Math.fround(0.05),
    ...[1, 2, NaN, 0],
    ...[1, 1, 2, 0],
    ...[1, 1, 1, 1],
    ...[1, 1, 2, 2],
  ]);
});

test('a BGEN with an unsupported layout, and a truncated BGEN', async () => {
  const src = readFileSync(sharedPath('data/bgen_reference/example.16bits.bgen'));
  const bad = Buffer.from(src);
  const lh = bad.readUInt32LE(4);
  const flags = bad.readUInt32LE(4 + lh - 4);
  bad.writeUInt32LE(((flags & ~(0xf << 2)) | (3 << 2)) >>> 0, 4 + lh - 4); // layout 3
  const path = join(dir, 'layout3.bgen');
  writeFileSync(path, bad);
  copyFileSync(sharedPath('data/bgen_reference/example.sample'), join(dir, 'layout3.sample'));
  await expectInputError(
    async () => drain((await openGenotypes(path)).iterBlocks()),
    [/layout3\.bgen/, /unsupported BGEN layout 3/, /layout 1 \(v1\.1\) or 2/],
  );

  const cut = join(dir, 'cut.bgen');
  writeFileSync(cut, src.subarray(0, Math.floor(src.length / 2)));
  copyFileSync(sharedPath('data/bgen_reference/example.sample'), join(dir, 'cut.sample'));
  await expectInputError(
    async () => drain((await openGenotypes(cut)).iterBlocks()),
    [/cut\.bgen/, /truncated/],
  );
});

test('haploid calls count 0/1, or 0/2 with haploidAsDiploid (VCF and BGEN agree)', async () => {
  const vcf = sharedPath('data/bgen_reference/complex.vcf');
  const bgen = sharedPath('data/bgen_reference/complex.bgen');
  const read = async (path: string, haploidAsDiploid: boolean) => {
    const r = await openGenotypes(path, { haploidAsDiploid });
    const out: number[] = [];
    for await (const b of r.iterBlocks()) out.push(...Array.from(b.dosages));
    return out;
  };
  const plain = await read(vcf, false);
  const doubled = await read(vcf, true);
  // V2 (second variant) is haploid in every sample: 0 1 … become 0 2 …
  expect(plain.slice(4, 8)).toEqual([0, 0, 0, 1]);
  expect(doubled.slice(4, 8)).toEqual([0, 0, 0, 2]);
  // diploid calls are unchanged
  expect(doubled.slice(0, 4).slice(1)).toEqual(plain.slice(0, 4).slice(1));
  expect(await read(bgen, true)).toEqual(doubled);
});
