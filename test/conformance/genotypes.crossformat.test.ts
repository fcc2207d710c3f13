/**
 * Cross-format identity on real data: the same 330 × 19,773 Geuvadis chr22 genotypes as VCF.gz (tabix),
 * PLINK 1 and PLINK 2 .pgen give identical dosages for every variant and sample, and per-variant ALT sums equal those of
 * bcftools/plink2 (refs/cis_sparse/dosage_checksums.tsv). Region reads equal the matching part of a full scan.
 */
import { openGenotypes, region, maf, snp, biallelic, and } from '../../src/io/genotypes/index.js';
import type { GenotypeBlock } from '../../src/io/genotypes/index.js';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { sharedPath, readTsv } from '../helpers/shared.js';

const VCF = () => sharedPath('data/geuvadis_chr22/1kg_phase1_chr22_seqarray_geuvadis330.vcf.gz');
const BED = () => sharedPath('refs/cis_sparse/genotypes/geuvadis330_chr22.bed');
const PGEN = () => sharedPath('refs/cis_sparse/genotypes/geuvadis330_chr22.pgen');

async function readAll(path: string): Promise<{ samples: string[]; blocks: GenotypeBlock[] }> {
  const r = await openGenotypes(path);
  const blocks: GenotypeBlock[] = [];
  for await (const b of r.iterBlocks({ size: 5000 })) blocks.push(b);
  return { samples: await r.samples(), blocks };
}

function flatten(blocks: GenotypeBlock[]): {
  pos: number[];
  id: string[];
  ref: string[];
  alt: string[];
  dos: Float32Array;
} {
  const pos: number[] = [];
  const id: string[] = [];
  const ref: string[] = [];
  const alt: string[] = [];
  const total = blocks.reduce((s, b) => s + b.dosages.length, 0);
  const dos = new Float32Array(total);
  let off = 0;
  for (const b of blocks) {
    pos.push(...b.variants.pos);
    id.push(...b.variants.id);
    ref.push(...b.variants.ref);
    alt.push(...b.variants.alt);
    dos.set(b.dosages, off);
    off += b.dosages.length;
  }
  return { pos, id, ref, alt, dos };
}

describe('Geuvadis chr22, 330 samples × 19,773 variants', () => {
  let vcf: ReturnType<typeof flatten>;
  let bed: ReturnType<typeof flatten>;
  let pgen: ReturnType<typeof flatten>;
  let samples: { vcf: string[]; bed: string[]; pgen: string[] };
  beforeAll(async () => {
    const a = await readAll(VCF());
    const b = await readAll(BED());
    const c = await readAll(PGEN());
    vcf = flatten(a.blocks);
    bed = flatten(b.blocks);
    pgen = flatten(c.blocks);
    samples = { vcf: a.samples, bed: b.samples, pgen: c.samples };
  });

  test('same samples, same variants (position, REF, ALT) as bcftools for the checksummed variants', () => {
    expect(samples.vcf.length).toBe(330);
    expect(samples.bed).toEqual(samples.vcf);
    expect(samples.pgen).toEqual(samples.vcf);
    expect(vcf.pos.length).toBe(19773);
    const { rows, header } = readTsv(sharedPath('refs/cis_sparse/dosage_checksums.tsv'));
    const col = (name: string) => header.indexOf(name);
    const n = rows.length; // the first 200 variants in VCF order
    expect(vcf.pos.slice(0, n)).toEqual(rows.map((r) => Number(r[col('pos')])));
    expect(vcf.ref.slice(0, n)).toEqual(rows.map((r) => r[col('ref')]));
    expect(vcf.alt.slice(0, n)).toEqual(rows.map((r) => r[col('alt')]));
    expect(bed.pos).toEqual(vcf.pos);
    expect(bed.ref).toEqual(vcf.ref);
    expect(bed.alt).toEqual(vcf.alt);
    for (const k of ['pos', 'id', 'ref', 'alt'] as const) expect(pgen[k]).toEqual(vcf[k]);
  });

  test('ALT dosage sums equal bcftools/plink2: per variant (first 200) and over all variants', () => {
    const { rows, header } = readTsv(sharedPath('refs/cis_sparse/dosage_checksums.tsv'));
    const want = rows.map((r) => Number(r[header.indexOf('alt_sum_bcftools_vcf')]));
    const sums = (d: Float32Array) =>
      want.map((_, v) => d.subarray(v * 330, (v + 1) * 330).reduce((s, x) => s + x, 0));
    expect(sums(vcf.dos)).toEqual(want);
    expect(sums(bed.dos)).toEqual(want);
    expect(sums(pgen.dos)).toEqual(want);
    const summary = readFileSync(
      sharedPath('refs/cis_sparse/dosage_checksums_all_variants_summary.txt'),
      'utf8',
    );
    const total = Number(/sum over all variants of ALT counts: (\d+)/.exec(summary)![1]);
    expect(vcf.dos.reduce((s, x) => s + x, 0)).toBe(total);
    expect(bed.dos.reduce((s, x) => s + x, 0)).toBe(total);
    expect(pgen.dos.reduce((s, x) => s + x, 0)).toBe(total);
  });

  test('the full 330 × 19,773 matrix hashes to the md5 of plink2 --export A from every format', () => {
    // plink2 --export A (v2.00a3.5) counts REF alleles; the reference hashed `cut -f2,7-` of the .raw:
    // a header `IID <ID>_<REF>…`, then per sample its IID and REF counts (NA when missing).
    const summary = readFileSync(
      sharedPath('refs/cis_sparse/dosage_checksums_all_variants_summary.txt'),
      'utf8',
    );
    const md5 = Object.fromEntries(
      [...summary.matchAll(/^(vcf|pgen|bed|bgen|bgenu)\t([0-9a-f]{32})$/gm)].map((m) => [m[1], m[2]]),
    );
    expect(new Set(Object.values(md5)).size).toBe(1);
    for (const [name, data] of [
      ['vcf', vcf],
      ['bed', bed],
      ['pgen', pgen],
    ] as const) {
      const h = createHash('md5');
      h.update(['IID', ...data.id.map((id, v) => `${id}_${data.ref[v]}`)].join('\t') + '\n');
      const n = data.pos.length;
      for (let j = 0; j < 330; j++) {
        const row = new Array<string>(n + 1);
        row[0] = samples.vcf[j];
        for (let v = 0; v < n; v++) {
          const d = data.dos[v * 330 + j];
          row[v + 1] = Number.isNaN(d) ? 'NA' : String(2 - d);
        }
        h.update(row.join('\t') + '\n');
      }
      expect([name, h.digest('hex')]).toEqual([name, md5[name]]);
    }
  });

  test('VCF, PLINK 1 and .pgen dosages are identical for every variant and sample', () => {
    expect(vcf.dos.length).toBe(330 * 19773);
    for (const other of [bed, pgen]) {
      expect(other.dos.length).toBe(vcf.dos.length);
      let differing = 0;
      for (let i = 0; i < vcf.dos.length; i++) if (vcf.dos[i] !== other.dos[i]) differing++;
      expect(differing).toBe(0);
    }
  });

  test.each([['chr22:20000000-21000000'], ['22:16051497-16060301'], ['22:51000000-51229855']])(
    'region %s (tabix, .bim, .pvar) equals the full scan subset; chr22 and 22 match',
    async (reg) => {
      const r = region(reg).regions![0];
      const expected = vcf.pos.map((p, v) => [p, v]).filter(([p]) => p >= r.start && p <= r.end);
      for (const path of [VCF(), BED(), PGEN()]) {
        const reader = await openGenotypes(path);
        const blocks: GenotypeBlock[] = [];
        for await (const b of reader.iterRegions([region(reg)])) blocks.push(b);
        expect(blocks.length).toBe(1);
        expect(Array.from(blocks[0].variants.pos)).toEqual(expected.map(([p]) => p));
        expected.forEach(([, v], k) => {
          expect(Array.from(blocks[0].dosages.subarray(k * 330, (k + 1) * 330))).toEqual(
            Array.from(vcf.dos.subarray(v * 330, (v + 1) * 330)),
          );
        });
      }
    },
  );

  test('filters: SNPs only, biallelic, MAF ≥ 0.05 keep exactly the variants the raw table and dosages imply', async () => {
    // expected from the unfiltered read: single-base REF and ALT, folded ALT frequency ≥ 0.05 (no missing calls here)
    const expected: number[] = [];
    vcf.pos.forEach((p, v) => {
      const af = vcf.dos.subarray(v * 330, (v + 1) * 330).reduce((s, x) => s + x, 0) / 660;
      if (vcf.ref[v].length === 1 && vcf.alt[v].length === 1 && Math.min(af, 1 - af) >= 0.05)
        expected.push(p);
    });
    expect(expected.length).toBeGreaterThan(1000);
    expect(expected.length).toBeLessThan(19773);
    for (const path of [VCF(), BED(), PGEN()]) {
      const reader = await openGenotypes(path);
      const got: number[] = [];
      for await (const b of reader.iterBlocks({ filter: and(snp(), biallelic(), maf({ min: 0.05 })) }))
        got.push(...b.variants.pos);
      expect(got).toEqual(expected);
    }
  });
});
