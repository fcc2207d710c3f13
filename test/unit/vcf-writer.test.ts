/**
 * The VCF writer against bcftools/htslib and the project's own reader: the bgzipped VCF and its .tbi are what
 * `tabix -p vcf` would index, bcftools reads the header, genotypes and dosages back, region queries through
 * `bcftools view -r` and `openGenotypes` (bin boundaries, several chromosomes) return the variants in the
 * region, and dosages read back exactly as written.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/io/errors.js';
import { openGenotypes, region } from '../../src/io/genotypes/index.js';
import type { GenotypeBlock, VariantTable } from '../../src/io/genotypes/index.js';
import { formatDosage, VcfWriter, writeVcf } from '../../src/io/vcf-writer.js';
import { Rng } from '../../src/runner/random.js';
import { runTool, tempDir } from '../helpers/cli.js';
import { readTbi } from '../helpers/tbi.js';

const dir = tempDir();

const CONTIGS = [
  { name: 'chr1', length: 90_000_000 },
  { name: 'chr2', length: 70_000_000 },
  { name: 'chr10', length: 9_000_000 },
];
const BOUNDARY_POSITIONS = [
  16383, 16384, 16385, 131072, 131073, 1048576, 1048577, 8388608, 8388609, 67108864,
];

/** Sorted variants on the three contigs: the bin-boundary positions plus random ones, some indels. */
function variants(seed: number, perChrom: number): VariantTable {
  const rng = new Rng(seed);
  const v: VariantTable = { chr: [], pos: new Int32Array(0), id: [], ref: [], alt: [] };
  const pos: number[] = [];
  for (const c of CONTIGS) {
    const set = new Set(BOUNDARY_POSITIONS.filter((p) => p <= c.length));
    while (set.size < perChrom) set.add(1 + Math.floor(rng.uniform() * c.length));
    for (const p of [...set].sort((a, b) => a - b)) {
      const indel = rng.uniform() < 0.05;
      v.chr.push(c.name);
      pos.push(p);
      v.id.push(rng.uniform() < 0.2 ? '' : `rs${p}`);
      v.ref.push(indel ? 'GAT' : 'G');
      v.alt.push(indel ? 'G' : 'T');
    }
  }
  v.pos = Int32Array.from(pos);
  return v;
}

const N = 40;
const SAMPLES = Array.from({ length: N }, (_, j) => `S${j + 1}`);
const V = variants(1, 700);
const NV = V.pos.length;
const rng = new Rng(2);
const HAPS = Uint8Array.from({ length: NV * 2 * N }, () => {
  const u = rng.uniform();
  return u < 0.002 ? 255 : u < 0.3 ? 1 : 0; // a few missing alleles
});

const phased = join(dir, 'phased.vcf.gz');

beforeAll(() => {
  const w = new VcfWriter(phased, {
    samples: SAMPLES,
    contigs: CONTIGS,
    indexPath: `${phased}.tbi`,
    level: 1,
  });
  // in two pieces, as a streaming caller would
  const half = 1000;
  const slice = (from: number, to: number): VariantTable => ({
    chr: V.chr.slice(from, to),
    pos: V.pos.slice(from, to),
    id: V.id.slice(from, to),
    ref: V.ref.slice(from, to),
    alt: V.alt.slice(from, to),
  });
  w.writeHaplotypes(slice(0, half), HAPS.subarray(0, half * 2 * N));
  w.writeHaplotypes(slice(half, NV), HAPS.subarray(half * 2 * N));
  w.close();
  expect(w.records).toBe(NV);
});

function expectedDosage(v: number, j: number): number {
  const a = HAPS[v * 2 * N + 2 * j];
  const b = HAPS[v * 2 * N + 2 * j + 1];
  return a > 1 || b > 1 ? NaN : a + b;
}

function expectedDosages(vs: number[]): number[] {
  return vs.flatMap((v) => Array.from({ length: N }, (_, j) => expectedDosage(v, j)));
}

test('bgzip -t passes; the header names contigs with lengths, GT, and the samples', () => {
  runTool('bgzip', ['-t', phased]);
  const header = runTool('bcftools', ['view', '-h', phased]);
  expect(header).toMatch(/^##fileformat=VCFv4\.2\n/);
  expect(header).toContain('##contig=<ID=chr1,length=90000000>');
  expect(header).toContain('##contig=<ID=chr10,length=9000000>');
  expect(header).toContain('##FORMAT=<ID=GT,Number=1,Type=String');
  expect(header).not.toContain('ID=DS');
  expect(runTool('bcftools', ['query', '-l', phased]).trim().split('\n')).toEqual(SAMPLES);
});

test('the .tbi equals what tabix -p vcf builds for the same file', () => {
  const copy = join(dir, 'phased-copy.vcf.gz');
  copyFileSync(phased, copy);
  runTool('tabix', ['-f', '-p', 'vcf', copy]);
  expect(readTbi(`${phased}.tbi`)).toEqual(readTbi(`${copy}.tbi`));
});

test('bcftools reads the phased calls and the variant columns back', () => {
  const out = runTool('bcftools', ['query', '-f', '%CHROM\t%POS\t%ID\t%REF\t%ALT[\t%GT]\n', phased])
    .trim()
    .split('\n');
  expect(out).toHaveLength(NV);
  for (let v = 0; v < NV; v += 37) {
    const gts = Array.from({ length: N }, (_, j) => {
      const a = HAPS[v * 2 * N + 2 * j];
      const b = HAPS[v * 2 * N + 2 * j + 1];
      return `${a > 1 ? '.' : a}|${b > 1 ? '.' : b}`;
    });
    expect(out[v]).toBe([V.chr[v], V.pos[v], V.id[v] || '.', V.ref[v], V.alt[v], ...gts].join('\t'));
  }
});

test('openGenotypes reads every dosage back (full scan)', async () => {
  const reader = await openGenotypes(phased);
  expect(await reader.samples()).toEqual(SAMPLES);
  let v0 = 0;
  const got: number[] = [];
  for await (const block of reader.iterBlocks({ size: 333 })) {
    expect(Array.from(block.variants.pos)).toEqual(
      Array.from(V.pos.subarray(v0, v0 + block.variants.pos.length)),
    );
    got.push(...block.dosages);
    v0 += block.variants.pos.length;
  }
  // toEqual counts NaN equal to NaN: missing calls must be missing in the same places
  expect(got).toEqual(expectedDosages(Array.from({ length: NV }, (_, v) => v)));
  expect(v0).toBe(NV);
  await reader.close();
});

const REGIONS = [
  'chr1:16384-16384',
  'chr1:16384-20000',
  'chr1:16385-131072',
  'chr1:131072-131073',
  'chr1:1048576-8388608',
  'chr2:8388609-67108864',
  'chr10:1-16384',
  'chr10:5000000-9000000',
];

test.each(REGIONS)(
  'region %s: openGenotypes and bcftools view -r give the variants with POS inside',
  async (text) => {
    const r = region(text).regions![0];
    const expected: number[] = [];
    for (let v = 0; v < NV; v++)
      if (V.chr[v].replace(/^chr/, '') === r.chr && V.pos[v] >= r.start && V.pos[v] <= r.end)
        expected.push(v);
    expect(expected.length).toBeGreaterThan(0);
    const reader = await openGenotypes(phased);
    const blocks: GenotypeBlock[] = [];
    for await (const b of reader.iterRegions([region(text)])) blocks.push(b);
    await reader.close();
    expect(Array.from(blocks[0].variants.pos)).toEqual(expected.map((v) => V.pos[v]));
    expect(Array.from(blocks[0].dosages)).toEqual(expectedDosages(expected));
    const viaBcftools = runTool('bcftools', ['view', '-H', '-r', text, phased])
      .trim()
      .split('\n')
      .map((l) => Number(l.split('\t')[1]));
    // bcftools -r also returns indels that start before the region and overlap it
    const overlapping = [];
    for (let v = 0; v < NV; v++)
      if (
        V.chr[v].replace(/^chr/, '') === r.chr &&
        V.pos[v] <= r.end &&
        V.pos[v] + V.ref[v].length - 1 >= r.start
      )
        overlapping.push(V.pos[v]);
    expect(viaBcftools).toEqual(overlapping);
  },
);

test('several regions on several chromosomes in one query', async () => {
  const reader = await openGenotypes(phased);
  const blocks: GenotypeBlock[] = [];
  for await (const b of reader.iterRegions([
    region('chr1:1-131072', 'chr2:1048576-1048577', '10:16383-16385'),
  ]))
    blocks.push(b);
  await reader.close();
  const got = blocks[0].variants.chr.map((c, k) => `${c}:${blocks[0].variants.pos[k]}`);
  const want: string[] = [];
  for (let v = 0; v < NV; v++) {
    const c = V.chr[v];
    const p = V.pos[v];
    if (
      (c === 'chr1' && p <= 131072) ||
      (c === 'chr2' && p >= 1048576 && p <= 1048577) ||
      (c === 'chr10' && p >= 16383 && p <= 16385)
    )
      want.push(`${c}:${p}`);
  }
  expect(got).toEqual(want);
  expect(want.filter((w) => w.startsWith('chr10')).length).toBe(3);
});

test('dosages with FORMAT/DS read back exactly (openGenotypes) and as numbers (bcftools)', async () => {
  const nv = 300;
  const v = variants(3, 100);
  const r = new Rng(4);
  const dosages = Float32Array.from({ length: nv * N }, (_, k) => {
    const u = r.uniform();
    if (k % 97 === 0) return NaN;
    if (u < 0.3) return Math.round(r.uniform() * 2); // hard calls
    if (u < 0.7) return Math.round(r.uniform() * 2000) / 1000; // 3 decimals, as imputation writes
    return r.uniform() * 2; // any float32
  });
  const path = join(dir, 'dosage.vcf.gz');
  const w = new VcfWriter(path, {
    samples: SAMPLES,
    contigs: CONTIGS,
    indexPath: `${path}.tbi`,
    dosages: true,
  });
  w.writeBlock({ variants: v, dosages, nSamples: N });
  w.close();
  runTool('bgzip', ['-t', path]);
  expect(runTool('bcftools', ['view', '-h', path])).toContain('##FORMAT=<ID=DS,Number=A,Type=Float');
  const reader = await openGenotypes(path);
  const back: number[] = [];
  for await (const b of reader.iterBlocks()) back.push(...b.dosages);
  await reader.close();
  expect(back).toEqual(Array.from(dosages));
  const q = runTool('bcftools', ['query', '-f', '[%GT:%DS\t]\n', path]).trim().split('\n');
  for (let i = 0; i < nv; i += 13) {
    const fields = q[i].split('\t').filter(Boolean);
    fields.forEach((f, j) => {
      const d = dosages[i * N + j];
      const [gt, ds] = f.split(':');
      if (Number.isNaN(d)) expect(f).toBe('./.:.');
      else {
        expect(Number(ds)).toBeCloseTo(d, 5);
        expect(gt).toBe(['0/0', '0/1', '1/1'][Math.round(d)]);
      }
    });
  }
  // region read through the index, same values
  const rr = await openGenotypes(path);
  for await (const b of rr.iterRegions([region('chr2:1-90000000')])) {
    const first = v.chr.indexOf('chr2');
    expect(b.variants.pos.length).toBe(v.chr.filter((c) => c === 'chr2').length);
    expect(Array.from(b.dosages)).toEqual(
      Array.from(dosages.subarray(first * N, first * N + b.dosages.length)),
    );
  }
  await rr.close();
});

test('formatDosage is the shortest decimal that reads back as the same float32', () => {
  expect(formatDosage(1)).toBe('1');
  expect(formatDosage(Math.fround(0.25))).toBe('0.25');
  expect(formatDosage(Math.fround(1.234))).toBe('1.234');
  const r = new Rng(9);
  for (let i = 0; i < 2000; i++) {
    const x = Math.fround(r.uniform() * 2);
    const t = formatDosage(x);
    expect(Math.fround(Number(t))).toBe(x);
    expect(t.replace(/[.]/, '').replace(/^0+/, '').replace(/e.*$/, '').length).toBeLessThanOrEqual(9); // significant digits
  }
});

test('writeVcf adds DS only when a dosage is not a hard call; hard calls are unphased GT', async () => {
  const v = variants(5, 20);
  const nv = v.pos.length;
  const hard = Float32Array.from({ length: nv * N }, (_, k) => (k * 7) % 3);
  const path = join(dir, 'hard.vcf.gz');
  writeVcf(path, `${path}.tbi`, { variants: v, dosages: hard, nSamples: N }, SAMPLES);
  expect(runTool('bcftools', ['view', '-h', path])).not.toContain('ID=DS');
  const gts = runTool('bcftools', ['query', '-f', '[%GT ]\n', path]).trim().split('\n')[0].trim().split(' ');
  expect(gts.slice(0, 3)).toEqual(['0/0', '0/1', '1/1']); // dosages 0, 1, 2
  expect(runTool('tabix', ['-l', path]).trim().split('\n')).toEqual(['chr1', 'chr2', 'chr10']);
  const soft = hard.slice();
  soft[5] = 0.5;
  const path2 = join(dir, 'soft.vcf.gz');
  writeVcf(path2, `${path2}.tbi`, { variants: v, dosages: soft, nSamples: N }, SAMPLES);
  expect(runTool('bcftools', ['view', '-h', path2])).toContain('ID=DS');
});

test('misuse and unsorted variants are refused: the unsorted case names the output and line', () => {
  const v = variants(6, 5);
  const n = v.pos.length;
  const path = join(dir, 'bad.vcf.gz');
  const w = new VcfWriter(path, { samples: SAMPLES, contigs: CONTIGS, indexPath: `${path}.tbi` });
  expect(() => w.writeDosages(v, new Float32Array(n * N).fill(0.5))).toThrow(
    /not a hard call.*dosages: true/,
  );
  expect(() => w.writeDosages(v, new Float32Array(n * N).fill(3))).toThrow(/outside 0–2/);
  expect(() => w.writeHaplotypes(v, new Uint8Array(5))).toThrow(/alleles for/);
  w.abort();
  expect(() => new VcfWriter(path, { samples: ['a', 'a'] })).toThrow(/duplicated/);
  const other = { ...v, chr: v.chr.map(() => 'chr7') };
  const w2 = new VcfWriter(path, { samples: SAMPLES, contigs: CONTIGS });
  expect(() => w2.writeDosages(other, new Float32Array(n * N))).toThrow(/'chr7' is not among the contigs/);
  w2.abort();
  const reversed: VariantTable = { ...v, pos: v.pos.slice().reverse(), chr: v.chr.map(() => 'chr1') };
  const w3 = new VcfWriter(path, {
    samples: SAMPLES,
    contigs: CONTIGS,
    indexPath: `${path}.tbi`,
    label: 'cohort.vcf.gz',
  });
  let err: unknown;
  try {
    w3.writeDosages(reversed, new Float32Array(n * N));
  } catch (e) {
    err = e;
  }
  w3.abort();
  expect(err).toBeInstanceOf(InputError);
  // 5 header lines (fileformat, source, 3 contigs) + FORMAT + #CHROM = 7; the second record is line 9
  expect((err as InputError).describe()).toMatch(
    /^cohort\.vcf\.gz:9: position \d+ on 'chr1' comes after \d+ \(line 8\)/,
  );
});
