/**
 * .pgen dosages and phase tracks against plink2 itself: a simulated VCF with phased and unphased GT, missing
 * calls and DS values (none, some, all non-integer) is converted by `plink2 --vcf … dosage=DS --make-pgen`;
 * reading the .pgen gives the VCF's dosages to plink2's 1/16384 quantization. The record types the file holds
 * are checked so the test shows which tracks it exercised. Needs plink2 on PATH (Debian package `plink2`,
 * installed by .ci/run); without it the tests are reported as skipped, not passed.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/io/errors.js';
import { openGenotypes, region } from '../../src/io/genotypes/index.js';
import type { GenotypeBlock } from '../../src/io/genotypes/index.js';
import { Rng } from '../../src/runner/random.js';
import { tempDir } from '../helpers/cli.js';

const plink2 = spawnSync('plink2', ['--version'], { encoding: 'utf8' }).status === 0;
if (!plink2) console.warn('plink2 not on PATH: the .pgen dosage tests are skipped');
const maybe = plink2 ? describe : describe.skip;
const dir = tempDir();

/** A VCF of `nSamples` × `nVariants` with every kind of record plink2 encodes differently. */
function simulateVcf(
  path: string,
  nSamples: number,
  nVariants: number,
  seed: number,
  multiallelic = false,
): void {
  const rng = new Rng(seed);
  const lines = [
    '##fileformat=VCFv4.2',
    '##contig=<ID=22,length=51304566>',
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    '##FORMAT=<ID=DS,Number=A,Type=Float,Description="ALT dosage">',
    ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO', 'FORMAT']
      .concat(Array.from({ length: nSamples }, (_, j) => `S${j + 1}`))
      .join('\t'),
  ];
  for (let v = 0; v < nVariants; v++) {
    const af = v % 7 === 0 ? 0.5 : 0.02 + 0.4 * rng.uniform(); // common and rare: raw, 1-bit and difflist records
    const mode = v % 5; // 0 hard calls, 1 some DS, 2 all DS, 3 mixed phase, 4 DS and mixed phase
    const fields: string[] = [];
    for (let j = 0; j < nSamples; j++) {
      if (rng.uniform() < 0.01) {
        fields.push('./.:.');
        continue;
      }
      const second = multiallelic && v === 3 && j % 3 === 0 ? 2 : 1; // some carriers of the second ALT
      const a = rng.uniform() < af ? second : 0;
      const b = rng.uniform() < af ? 1 : 0;
      const sep = (mode === 3 || mode === 4) && rng.uniform() < 0.4 ? '/' : '|';
      let ds = a + b;
      if ((mode === 1 && rng.uniform() < 0.2) || mode === 2 || (mode === 4 && rng.uniform() < 0.5))
        ds = Math.min(2, Math.max(0, ds + (rng.uniform() - 0.5) * 0.8));
      fields.push(`${a}${sep}${b}:${Number(ds.toFixed(4))}`);
    }
    const alt = multiallelic && v === 3 ? 'G,T' : 'G';
    lines.push(
      ['22', 16_000_000 + 100 * v, `v${v + 1}`, 'A', alt, '.', 'PASS', '.', 'GT:DS', ...fields].join('\t'),
    );
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

function runPlink2(vcf: string, out: string, dosage = true): void {
  const input = dosage ? ['--vcf', vcf, 'dosage=DS'] : ['--vcf', vcf];
  const r = spawnSync('plink2', [...input, '--make-pgen', '--out', out, '--threads', '1'], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`plink2 failed: ${r.stdout}\n${r.stderr}`);
}

async function readAll(path: string): Promise<GenotypeBlock> {
  const blocks: GenotypeBlock[] = [];
  for await (const b of (await openGenotypes(path)).iterBlocks({ size: 1 << 20 })) blocks.push(b);
  expect(blocks.length).toBe(1);
  return blocks[0];
}

/** The 8-bit record types in a single-block .pgen header. */
function recordTypes(pgen: string): number[] {
  const b = readFileSync(pgen);
  expect(b[11] & 0x0f).toBeGreaterThanOrEqual(4); // 8-bit types
  const n = b.readUInt32LE(3);
  return Array.from(b.subarray(20, 20 + n));
}

maybe.each([
  [150, 'one-byte sample indices'],
  [300, 'two-byte sample indices'],
])('plink2 .pgen with %i samples (%s): dosages, phase and missing calls', (nSamples) => {
  const vcf = join(dir, `sim${nSamples}.vcf`);
  const prefix = join(dir, `sim${nSamples}`);
  let fromVcf: GenotypeBlock;
  let fromPgen: GenotypeBlock;
  beforeAll(async () => {
    simulateVcf(vcf, nSamples, 1000, nSamples);
    runPlink2(vcf, prefix);
    fromVcf = await readAll(vcf);
    fromPgen = await readAll(`${prefix}.pgen`);
  });

  test('the file holds phased, dosage (sparse, dense, bitarray) and phased-dosage records of every main-track kind', () => {
    const types = recordTypes(`${prefix}.pgen`);
    const has = (mask: number, value: number) => types.some((t) => (t & mask) === value);
    expect(has(0x10, 0x10)).toBe(true); // hard-call phase
    expect(has(0x60, 0x20)).toBe(true); // dosage difflist
    expect(has(0x60, 0x40) || has(0x60, 0x60)).toBe(true); // dense or bitarray dosage
    expect(has(0x80, 0x80)).toBe(true); // phased dosage (skipped, but must not derail the record)
    for (const kind of [0, 1, 4]) expect(has(0x07, kind)).toBe(true);
  });

  test('dosages equal the VCF DS values to plink2’s 1/16384 quantization; missing stays missing', () => {
    expect(Array.from(fromPgen.variants.pos)).toEqual(Array.from(fromVcf.variants.pos));
    expect(fromPgen.variants.ref).toEqual(fromVcf.variants.ref);
    expect(fromPgen.variants.alt).toEqual(fromVcf.variants.alt);
    let maxDiff = 0;
    let nanMismatch = 0;
    let nonInteger = 0;
    for (let i = 0; i < fromVcf.dosages.length; i++) {
      const a = fromPgen.dosages[i];
      const b = fromVcf.dosages[i];
      if (Number.isNaN(a) !== Number.isNaN(b)) nanMismatch++;
      else if (!Number.isNaN(a)) {
        maxDiff = Math.max(maxDiff, Math.abs(a - b));
        if (a !== Math.round(a)) nonInteger++;
      }
    }
    expect(nanMismatch).toBe(0);
    expect(nonInteger).toBeGreaterThan(10_000);
    expect(maxDiff).toBeLessThanOrEqual(1 / 32768 + 1e-6);
  });

  test('a region read equals the same variants of the full read (LD bases found before the region)', async () => {
    const reader = await openGenotypes(`${prefix}.pgen`);
    const blocks: GenotypeBlock[] = [];
    for await (const b of reader.iterRegions([region('chr22:16030050-16060000')])) blocks.push(b);
    const pos = Array.from(fromPgen.variants.pos);
    const first = pos.indexOf(16_030_100);
    expect(Array.from(blocks[0].variants.pos)).toEqual(pos.slice(first, pos.indexOf(16_060_000) + 1));
    expect(Array.from(blocks[0].dosages)).toEqual(
      Array.from(
        fromPgen.dosages.subarray(first * nSamples, (first + blocks[0].variants.pos.length) * nSamples),
      ),
    );
  });
});

maybe('multi-allelic .pgen records', () => {
  test('are refused naming the variant and how to split them', async () => {
    const vcf = join(dir, 'multi.vcf');
    simulateVcf(vcf, 40, 10, 7, true);
    runPlink2(vcf, join(dir, 'multi'), false); // plink2 2.00a3 stores no multi-allelic dosages
    const r = await openGenotypes(join(dir, 'multi.pgen'));
    let err: unknown;
    try {
      for await (const _ of r.iterBlocks());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).describe()).toMatch(/multi\.pgen.*v4.*multi-allelic.*--max-alleles 2/);
  });
});
