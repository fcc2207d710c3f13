/**
 * The genotype simulator: deterministic for a seed whatever the block size, valid biallelic SNPs at sorted
 * distinct positions, LD that decays with distance, a spectrum dominated by rare variants, and a streamed VCF
 * that bcftools and the project's reader read back.
 */
import { join } from 'node:path';
import { InputError } from '../../src/io/errors.js';
import { openGenotypes, region } from '../../src/io/genotypes/index.js';
import {
  haplotypeDosages,
  simulatedSampleIds,
  simulateHaplotypes,
  writeSimulatedVcf,
} from '../../src/runner/simulate-genotypes.js';
import type { GenotypeSimOptions, HaplotypeBlock } from '../../src/runner/simulate-genotypes.js';
import { runTool, tempDir } from '../helpers/cli.js';

const dir = tempDir();

function all(o: GenotypeSimOptions, blockSize?: number): HaplotypeBlock[] {
  return [...simulateHaplotypes(o, blockSize)];
}

/** Concatenation of the blocks, for comparing runs. */
function flatten(blocks: HaplotypeBlock[]): { pos: number[]; ids: string[]; haplotypes: Uint8Array } {
  const total = blocks.reduce((s, b) => s + b.haplotypes.length, 0);
  const haplotypes = new Uint8Array(total);
  let o = 0;
  for (const b of blocks) {
    haplotypes.set(b.haplotypes, o);
    o += b.haplotypes.length;
  }
  return {
    pos: blocks.flatMap((b) => Array.from(b.variants.pos)),
    ids: blocks.flatMap((b) => b.variants.id),
    haplotypes,
  };
}

const small: GenotypeSimOptions = {
  samples: 60,
  seed: 99,
  chromosomes: [
    { name: 'chr1', length: 2_000_000, variants: 800 },
    { name: 'chr2', length: 500_000, variants: 300 },
  ],
};

test('deterministic for a seed, whatever the block size; another seed gives another cohort', () => {
  const a = flatten(all(small, 10_000));
  const b = flatten(all(small, 37));
  const c = flatten(all(small, 1));
  expect(b.pos).toEqual(a.pos);
  expect(b.ids).toEqual(a.ids);
  expect(Buffer.from(b.haplotypes).equals(Buffer.from(a.haplotypes))).toBe(true);
  expect(Buffer.from(c.haplotypes).equals(Buffer.from(a.haplotypes))).toBe(true);
  const d = flatten(all({ ...small, seed: 100 }));
  expect(d.pos).not.toEqual(a.pos);
  expect(Buffer.from(d.haplotypes).equals(Buffer.from(a.haplotypes))).toBe(false);
});

test('blocks hold at most blockSize variants; SNPs are biallelic at sorted distinct positions; all segregate', () => {
  const blocks = all(small, 128);
  for (const b of blocks) {
    expect(b.variants.pos.length).toBeLessThanOrEqual(128);
    expect(b.haplotypes.length).toBe(b.variants.pos.length * 2 * small.samples);
    expect(new Set(b.variants.chr).size).toBe(1); // a block never spans chromosomes
  }
  for (const spec of small.chromosomes) {
    const mine = blocks.filter((b) => b.variants.chr[0] === spec.name);
    const pos = mine.flatMap((b) => Array.from(b.variants.pos));
    expect(pos).toHaveLength(spec.variants);
    for (let i = 1; i < pos.length; i++) expect(pos[i]).toBeGreaterThan(pos[i - 1]);
    expect(pos[0]).toBeGreaterThanOrEqual(1);
    expect(pos[pos.length - 1]).toBeLessThanOrEqual(spec.length);
    // spread over the chromosome, not bunched at one end
    expect(pos[Math.floor(pos.length / 2)]).toBeGreaterThan(spec.length * 0.35);
    expect(pos[Math.floor(pos.length / 2)]).toBeLessThan(spec.length * 0.65);
  }
  const nHap = 2 * small.samples;
  for (const b of blocks) {
    for (let v = 0; v < b.variants.pos.length; v++) {
      expect(b.variants.ref[v]).toMatch(/^[ACGT]$/);
      expect(b.variants.alt[v]).toMatch(/^[ACGT]$/);
      expect(b.variants.alt[v]).not.toBe(b.variants.ref[v]);
      let count = 0;
      for (let h = 0; h < nHap; h++) count += b.haplotypes[v * nHap + h];
      expect(count).toBeGreaterThan(0);
      expect(count).toBeLessThan(nHap);
    }
  }
});

/** r² between two variants' dosages. */
function r2(d: Float32Array, n: number, a: number, b: number): number {
  let sa = 0;
  let sb = 0;
  let saa = 0;
  let sbb = 0;
  let sab = 0;
  for (let j = 0; j < n; j++) {
    const x = d[a * n + j];
    const y = d[b * n + j];
    sa += x;
    sb += y;
    saa += x * x;
    sbb += y * y;
    sab += x * y;
  }
  const cov = sab / n - (sa / n) * (sb / n);
  return (cov * cov) / ((saa / n - (sa / n) ** 2) * (sbb / n - (sb / n) ** 2));
}

function maf(d: Float32Array, n: number, v: number): number {
  let s = 0;
  for (let j = 0; j < n; j++) s += d[v * n + j];
  const f = s / (2 * n);
  return Math.min(f, 1 - f);
}

test('LD decays with distance: high r² between nearby common variants, none at 1 Mb', () => {
  const n = 400;
  const [block] = all(
    { samples: n, seed: 5, chromosomes: [{ name: 'chr1', length: 4_000_000, variants: 4000 }] },
    4000,
  );
  const g = haplotypeDosages(block);
  const pos = block.variants.pos;
  const common = Array.from({ length: 4000 }, (_, v) => v).filter((v) => maf(g.dosages, n, v) >= 0.05);
  expect(common.length).toBeGreaterThan(500);
  const near: number[] = [];
  const far: number[] = [];
  let tagged = 0;
  for (let i = 0; i < common.length; i++) {
    let best = 0;
    for (let k = i + 1; k < common.length; k++) {
      const d = pos[common[k]] - pos[common[i]];
      if (d > 1_010_000) break;
      if (d < 2000) near.push(r2(g.dosages, n, common[i], common[k]));
      if (d >= 1_000_000) far.push(r2(g.dosages, n, common[i], common[k]));
    }
    for (let k = 0; k < common.length; k++)
      if (k !== i && Math.abs(pos[common[k]] - pos[common[i]]) < 20_000)
        best = Math.max(best, r2(g.dosages, n, common[i], common[k]));
    if (best > 0.8) tagged++;
  }
  const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  expect(near.length).toBeGreaterThan(100);
  expect(far.length).toBeGreaterThan(100);
  expect(mean(near)).toBeGreaterThan(0.2);
  expect(mean(far)).toBeLessThan(0.02);
  expect(mean(near)).toBeGreaterThan(10 * mean(far));
  // most common variants have a proxy in strong LD nearby, as in real genotype data
  expect(tagged / common.length).toBeGreaterThan(0.4);
});

test('allele-frequency spectrum: most variants have MAF < 5%, and common variants exist', () => {
  const n = 1000;
  const blocks = all(
    { samples: n, seed: 8, chromosomes: [{ name: 'chr1', length: 10_000_000, variants: 3000 }] },
    500,
  );
  const mafs = blocks.flatMap((b) => {
    const g = haplotypeDosages(b);
    return Array.from({ length: b.variants.pos.length }, (_, v) => maf(g.dosages, n, v));
  });
  const share = (f: (m: number) => boolean) => mafs.filter(f).length / mafs.length;
  expect(share((m) => m < 0.05)).toBeGreaterThan(0.5);
  expect(share((m) => m < 0.01)).toBeGreaterThan(0.2);
  expect(share((m) => m >= 0.2)).toBeGreaterThan(0.1);
  // singletons exist (rare variants down to one copy)
  expect(mafs.some((m) => m === 1 / (2 * n))).toBe(true);
});

test('a streamed simulated VCF: bcftools counts the records, the reader returns the simulated dosages', async () => {
  const path = join(dir, 'sim.vcf.gz');
  const { samples, variants } = writeSimulatedVcf(path, `${path}.tbi`, small, { blockSize: 100 });
  expect(samples).toEqual(simulatedSampleIds(60));
  expect(variants).toBe(1100);
  runTool('bgzip', ['-t', path]);
  expect(runTool('bcftools', ['index', '-n', path]).trim()).toBe('1100');
  expect(runTool('bcftools', ['view', '-h', path])).toContain('##contig=<ID=chr2,length=500000>');
  const blocks = all(small);
  const expected = blocks.map(haplotypeDosages);
  const reader = await openGenotypes(path);
  const got: number[] = [];
  for await (const b of reader.iterBlocks()) got.push(...b.dosages);
  expect(got).toEqual(expected.flatMap((b) => Array.from(b.dosages)));
  const out = [];
  for await (const b of reader.iterRegions([region('chr2:100000-200000')])) out.push(b);
  await reader.close();
  const chr2 = blocks.find((b) => b.variants.chr[0] === 'chr2')!;
  const inRegion = Array.from(chr2.variants.pos).filter((p) => p >= 100_000 && p <= 200_000);
  expect(Array.from(out[0].variants.pos)).toEqual(inRegion);
  // phased calls: the two haplotypes of a sample come back in order
  const gt = runTool('bcftools', ['query', '-r', 'chr1', '-f', '[%GT ]\n', path])
    .trim()
    .split('\n')[0]
    .trim()
    .split(' ');
  const h = blocks[0].haplotypes;
  expect(gt.slice(0, 5)).toEqual([0, 1, 2, 3, 4].map((j) => `${h[2 * j]}|${h[2 * j + 1]}`));
});

test('bad parameters are InputErrors', () => {
  const bad = (o: Partial<GenotypeSimOptions>) => () => all({ ...small, ...o });
  expect(bad({ founders: 40 })).toThrow(InputError);
  expect(bad({ founders: 40 })).toThrow(/founders must be 2–32/);
  expect(bad({ chromosomes: [{ name: 'c', length: 10, variants: 11 }] })).toThrow(
    /11 variants do not fit in 10 bp/,
  );
  expect(bad({ samples: 0 })).toThrow(/samples must be ≥ 1/);
  expect(bad({ sampleIds: ['a'] })).toThrow(/1 sample IDs for 60 samples/);
});
