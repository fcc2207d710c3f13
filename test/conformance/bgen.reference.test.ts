/**
 * The official BGEN example set (data/bgen_reference): every bit depth 1–32, zstd and v1.1 agree with
 * example.gen within the quantization of the bit depth; complex.bgen (mixed ploidy, phased and unphased,
 * up to 8 alleles) agrees with complex.vcf; haplotypes.bgen with haplotypes.haps; and the 330-sample Geuvadis
 * BGEN files (phased and unphased, 8 bits) equal the VCF exactly.
 */
import { readFileSync } from 'node:fs';
import { BgenReader } from '../../src/io/genotypes/bgen.js';
import { openGenotypes, region } from '../../src/io/genotypes/index.js';
import type { GenotypeBlock, GenotypeReader } from '../../src/io/genotypes/index.js';
import { sharedPath } from '../helpers/shared.js';

const D = (f: string) => sharedPath('data/bgen_reference', f);

async function dosages(r: GenotypeReader): Promise<{ values: number[]; pos: number[]; alt: string[] }> {
  const values: number[] = [];
  const pos: number[] = [];
  const alt: string[] = [];
  for await (const b of r.iterBlocks()) {
    for (const x of b.dosages) values.push(x);
    for (const p of b.variants.pos) pos.push(p);
    alt.push(...b.variants.alt);
  }
  return { values, pos, alt };
}

/** example.gen: per variant `chr snpid rsid pos A B` then P(AA) P(AB) P(BB) per sample; all zero = missing. */
function genTruth(): { values: number[]; pos: number[] } {
  const values: number[] = [];
  const pos: number[] = [];
  for (const line of readFileSync(D('example.gen'), 'utf8').trim().split('\n')) {
    const f = line.split(' ');
    pos.push(Number(f[3]));
    for (let k = 6; k < f.length; k += 3) {
      const aa = Number(f[k]);
      const ab = Number(f[k + 1]);
      const bb = Number(f[k + 2]);
      values.push(aa === 0 && ab === 0 && bb === 0 ? NaN : ab + 2 * bb);
    }
  }
  return { values, pos };
}

function maxError(got: number[], want: number[]): { max: number; nanMismatch: number } {
  let max = 0;
  let nanMismatch = 0;
  got.forEach((x, i) => {
    if (Number.isNaN(x) !== Number.isNaN(want[i])) nanMismatch++;
    else if (!Number.isNaN(x)) max = Math.max(max, Math.abs(x - want[i]));
  });
  return { max, nanMismatch };
}

describe('example.<N>bits.bgen against example.gen', () => {
  const truth = genTruth();
  const cases = [
    ...Array.from({ length: 32 }, (_, i) => ({ file: `example.${i + 1}bits.bgen`, bits: i + 1 })),
    { file: 'example.16bits.zstd.bgen', bits: 16 },
    // v1.1 stores probabilities as uint16 / 32768
    { file: 'example.v11.bgen', bits: 15 },
  ];
  test.each(cases)('$file within one quantization step ($bits bits)', async ({ file, bits }) => {
    const r = new BgenReader(D(file), { sampleFile: D('example.sample') });
    expect((await r.samples()).length).toBe(500);
    const got = await dosages(r);
    expect(got.pos).toEqual(truth.pos);
    const { max, nanMismatch } = maxError(got.values, truth.values);
    expect(nanMismatch).toBe(0);
    // A dosage combines stored probabilities, each within one step 1/(2^bits − 1) under BGEN's sum-preserving
    // rounding; example.gen's own printed digits add up to 7e-5.
    expect(max).toBeLessThanOrEqual(1.05 / (2 ** bits - 1) + 7e-5);
  });
});

test('complex.bgen (mixed ploidy, phased/unphased, multi-allelic) equals complex.vcf non-reference allele counts', async () => {
  const vcf = await dosages(await openGenotypes(D('complex.vcf')));
  for (const bits of [8, 16, 24, 32]) {
    const bgen = await dosages(await openGenotypes(D(`complex.${bits}bits.bgen`)));
    expect(bgen.pos).toEqual(vcf.pos);
    expect(bgen.alt).toEqual(vcf.alt);
    const { max, nanMismatch } = maxError(bgen.values, vcf.values);
    expect(nanMismatch).toBe(0);
    expect(max).toBeLessThan(1e-6);
  }
});

test('haplotypes.bgen equals haplotypes.haps (sum of the two haplotypes)', async () => {
  const want: number[] = [];
  for (const line of readFileSync(D('haplotypes.haps'), 'utf8').trim().split('\n')) {
    const f = line.split(' ').slice(6).map(Number); // after chr, SNP ID, rsID, position, allele A, allele B
    for (let k = 0; k < f.length; k += 2) want.push(f[k] + f[k + 1]);
  }
  const got = await dosages(new BgenReader(D('haplotypes.bgen')));
  expect(got.values).toEqual(want);
});

test('Geuvadis chr22 BGEN (phased and unphased, 8 bits) equals the VCF exactly', async () => {
  const vcf = await dosages(
    await openGenotypes(sharedPath('data/geuvadis_chr22/1kg_phase1_chr22_seqarray_geuvadis330.vcf.gz')),
  );
  for (const f of ['geuvadis330_chr22.bgen', 'geuvadis330_chr22.unphased.bgen']) {
    const r = await openGenotypes(sharedPath('refs/cis_sparse/genotypes', f));
    expect(r.format).toBe('bgen');
    expect((await r.samples())[0]).toBe('HG00096');
    const got = await dosages(r);
    expect(got.pos).toEqual(vcf.pos);
    expect(got.values.length).toBe(vcf.values.length);
    expect(got.values.every((x, i) => x === vcf.values[i])).toBe(true);
  }
});

test.each(['example.8bits.bgen', 'example.16bits.bgen', 'complex.bgen'])(
  '.bgi region queries on %s return exactly the variants in range, with the full-scan dosages',
  async (file) => {
    const sampleFile = file.startsWith('example') ? D('example.sample') : undefined;
    const full = await dosages(new BgenReader(D(file), { sampleFile }));
    const n = full.values.length / full.pos.length;
    const positions = [...new Set(full.pos)].sort((a, b) => a - b);
    const lo = positions[Math.floor(positions.length / 4)];
    const hi = positions[Math.floor((3 * positions.length) / 4)];
    const r = new BgenReader(D(file), { sampleFile });
    const blocks: GenotypeBlock[] = [];
    for await (const b of r.iterRegions([region(`01:${lo}-${hi}`), region(`chr1:${hi}-${hi}`)]))
      blocks.push(b);
    expect(blocks.length).toBe(2);
    const want = full.pos.map((p, v) => [p, v]).filter(([p]) => p >= lo && p <= hi);
    const got = Array.from(blocks[0].variants.pos);
    expect([...got].sort((a, b) => a - b)).toEqual(want.map(([p]) => p).sort((a, b) => a - b));
    // dosages of each returned variant equal the full scan's (matched by position and allele list)
    got.forEach((p, k) => {
      const v = full.pos.findIndex((q, i) => q === p && full.alt[i] === blocks[0].variants.alt[k]);
      expect(Array.from(blocks[0].dosages.subarray(k * n, (k + 1) * n))).toEqual(
        full.values.slice(v * n, (v + 1) * n).map((x) => Math.fround(x)),
      );
    });
    expect(Array.from(blocks[1].variants.pos).every((p) => p === hi)).toBe(true);
  },
);
