/**
 * `annotate` on real VEP output (data/vep: a VEP VCF with 84 CSQ fields on GRCh37 chr1, and a VEP 110 VCF with
 * 122 fields): every CSQ entry and field equals what bcftools +split-vep (Debian bcftools 1.16) extracts; the
 * consequence flags, the picked transcript, SIFT/PolyPhen scores, missing values and `&`-joined terms are right;
 * the tab form (the same annotations laid out as VEP's --tab output) parses to the same entries; genotypes are
 * matched through `chr` prefixes and padded allele representations; bad inputs exit 2 with no output.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { openParquet } from '../../src/io/parquet.js';
import { readVep } from '../../src/io/vep.js';
import type { VepVariant } from '../../src/io/vep.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { sharedPath } from '../helpers/shared.js';

const V37 = () => sharedPath('data/vep/bcftools_test_split-vep.grch37_chr1.vcf.gz');
const V110 = () => sharedPath('data/vep/bcftools_test_split-vep.select-tr-expr.vep110_grch38.vcf');
const dir = tempDir();

function vcfText(path: string): string {
  const b = readFileSync(path);
  return (b[0] === 0x1f ? gunzipSync(b) : b).toString();
}

async function entries(path: string): Promise<{ fields: string[]; variants: VepVariant[] }> {
  let fields: string[] = [];
  const variants: VepVariant[] = [];
  for await (const v of readVep(path, (h) => (fields = h.fields))) variants.push(v);
  return { fields, variants };
}

/** bcftools +split-vep: one line per CSQ entry, every field, '.' for empty. */
function splitVep(path: string): string[][] {
  const r = spawnSync('bcftools', ['+split-vep', '-d', '-A', 'tab', '-f', '%CHROM\t%POS\t%CSQ\n', path], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(`bcftools +split-vep failed (Debian bcftools): ${r.stderr}`);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => l.split('\t'));
}

/** A genotype VCF over the VEP sites (biallelic ones), `chr`-prefixed, the first deletion padded by one base. */
function genotypeVcf(vep: string, out: string): void {
  const lines = ['##fileformat=VCFv4.2', '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">'];
  const samples = ['s1', 's2', 's3', 's4', 's5', 's6'];
  lines.push(
    ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO', 'FORMAT', ...samples].join('\t'),
  );
  let padded = false;
  let k = 0;
  for (const l of vcfText(vep).split('\n')) {
    if (!l || l.startsWith('#')) continue;
    const f = l.split('\t');
    if (f[4].includes(',')) continue;
    let [ref, alt] = [f[3], f[4]];
    if (!padded && ref.length > 1 && alt.length === 1) {
      ref += 'A';
      alt += 'A';
      padded = true;
    }
    const gts = samples.map((_, j) => ['0/0', '0/1', '1/1', '0/0'][(k + j) % 4]);
    k++;
    lines.push([`chr${f[0]}`, f[1], `v${f[1]}`, ref, alt, '.', '.', '.', 'GT', ...gts].join('\t'));
  }
  writeFileSync(out, lines.join('\n') + '\n');
}

describe.each([
  ['84-field GRCh37', V37],
  ['VEP 110', V110],
])('every CSQ entry and field of the %s file equals bcftools +split-vep', (_, file) => {
  test('every entry of every variant, field by field', async () => {
    const { fields, variants } = await entries(file());
    // bcftools prints the values as the VCF stores them; VEP percent-encodes ',', ';', '=', '|' and spaces
    const decode = (x: string) =>
      x.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    const ref = splitVep(file()).map((r) => r.map(decode));
    expect(fields.length).toBe(ref[0].length - 2);
    const kept = variants.flatMap((v) =>
      v.entries.flat().map((e) => [v.chr, String(v.pos), ...e.map((x) => x || '.')]),
    );
    expect(kept.length).toBe(ref.length);
    expect(kept.map((r) => r.join('|')).sort()).toEqual(ref.map((r) => r.join('|')).sort());
    // entries sit with the ALT allele they annotate (ALLELE_NUM)
    const an = fields.indexOf('ALLELE_NUM');
    for (const v of variants)
      v.entries.forEach((es, a) => es.forEach((e) => expect(Number(e[an])).toBe(a + 1)));
  });
});

describe('annotate on the 84-field file', () => {
  const geno = join(dir, 'g37.vcf');
  const out = join(dir, 'a37.parquet');
  let cols: Record<string, ArrayLike<unknown>>;
  let names: string[];
  let summary: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  let variants: VepVariant[];
  let fields: string[];
  beforeAll(async () => {
    genotypeVcf(V37(), geno);
    const r = runCli([
      'annotate',
      '--vep',
      V37(),
      '--genotypes',
      geno,
      '--out',
      out,
      '--pick',
      'most-severe',
      '--quiet',
    ]);
    expect([r.code, r.stderr.replace(/.*warn: .*\n/g, '')]).toEqual([0, '']); // warnings: unmatched alleles, genes without TSS
    const t = await openParquet(out);
    names = t.columnNames;
    cols = {};
    for (const c of names) cols[c] = (await t.column(c)) as ArrayLike<unknown>;
    summary = JSON.parse(readFileSync(join(dir, 'a37.summary.json'), 'utf8'));
    ({ variants, fields } = await entries(V37()));
  }, 120_000);

  test('every CSQ field is a column; unmatched (multi-allelic) alleles are counted', () => {
    for (const f of fields) expect(names).toContain(f);
    const multi = variants.filter((v) => v.alts.length > 1).reduce((s, v) => s + v.alts.length, 0);
    expect(summary.alleles.unmatched).toBe(multi);
    expect(summary.alleles.matched).toBe(variants.reduce((s, v) => s + v.alts.length, 0) - multi);
    expect(summary.vep.fields).toBe(84);
  });

  test('one row per variant × gene, the most severe transcript picked, flags from its consequences', () => {
    const gene = cols.gene_id as string[];
    const pos = cols.pos as Int32Array;
    const csq = cols.Consequence as string[];
    const ntx = cols.n_transcripts as Int32Array;
    const keys = new Set(gene.map((g, i) => `${pos[i]}:${g}`));
    expect(keys.size).toBe(gene.length);
    expect(Array.from(ntx).some((x) => x > 1)).toBe(true); // multiple transcripts per gene
    const terms = summary.consequence_terms as string[];
    for (const t of terms) expect(names).toContain(t);
    for (let i = 0; i < gene.length; i++) {
      const present = new Set(csq[i].split('&'));
      for (const t of terms) expect([i, t, (cols[t] as boolean[])[i]]).toEqual([i, t, present.has(t)]);
    }
    // an `&`-joined consequence sets several flags
    const joined = csq.findIndex((c) => c.includes('&'));
    expect(joined).toBeGreaterThanOrEqual(0);
    expect(csq[joined].split('&').every((t) => (cols[t] as boolean[])[joined])).toBe(true);
  });

  test('missing values: empty numeric fields are NaN, empty strings stay empty; STRAND and DISTANCE typed', () => {
    const cadd = cols.CADD_RAW as Float64Array;
    const af = cols.gnomAD_AF as Float64Array;
    expect(Array.from(cadd).some(Number.isNaN)).toBe(true);
    expect(Array.from(af).some((x) => x > 0)).toBe(true);
    const strand = cols.STRAND as Int32Array;
    expect(Array.from(strand).every((s) => s === 1 || s === -1 || s === 0)).toBe(true);
    const dist = cols.DISTANCE as Float64Array;
    const csq = cols.Consequence as string[];
    dist.forEach((d, i) => {
      if (/(up|down)stream_gene_variant/.test(csq[i]) && !csq[i].includes('exon'))
        expect(d).toBeGreaterThan(0);
    });
    expect((cols.SYMBOL as string[]).some((s) => s === '')).toBe(false);
  });

  test('genotypes matched through the chr prefix and a padded deletion; maf_beta is Beta(1, 25) at the MAF', () => {
    const ref = cols.ref as string[];
    const vid = cols.variant_id as string[];
    const del = ref.findIndex((r) => r.length > 1);
    expect(del).toBeGreaterThanOrEqual(0);
    expect(vid[del]).toBe(`v${(cols.pos as Int32Array)[del]}`);
    const maf = cols.maf as Float64Array;
    const mb = cols.maf_beta as Float64Array;
    maf.forEach((m, i) => expect(mb[i]).toBeCloseTo(25 * (1 - m) ** 24, 10));
  });
});

describe('annotate on the VEP 110 file: SIFT/PolyPhen, canonical pick, TSS distance', () => {
  test('prediction(score) split, canonical transcript picked', async () => {
    const geno = join(dir, 'g110.vcf');
    genotypeVcf(V110(), geno);
    const genes = join(dir, 'genes.bed');
    writeFileSync(genes, '1\t1000100\t1000101\tENSG00000078369\t0\t+\n');
    const out = join(dir, 'a110.parquet');
    const r = runCli([
      'annotate',
      '--vep',
      V110(),
      '--genotypes',
      geno,
      '--genes',
      genes,
      '--out',
      out,
      '--quiet',
    ]);
    expect([r.code, r.stderr.replace(/.*warn: .*\n/g, '')]).toEqual([0, '']); // warnings: unmatched alleles, genes without TSS
    const t = await openParquet(out);
    const c = async (n: string) => (await t.column(n)) as ArrayLike<unknown>;
    const pos = (await c('pos')) as Int32Array;
    const sift = (await c('SIFT')) as string[];
    const siftScore = (await c('SIFT_score')) as Float64Array;
    const pp = (await c('PolyPhen')) as string[];
    const ppScore = (await c('PolyPhen_score')) as Float64Array;
    const canonical = (await c('CANONICAL')) as boolean[];
    const gene = (await c('gene_id')) as string[];
    const tss = (await c('tss_distance')) as Float64Array;
    const i = Array.from(pos).indexOf(1789242);
    expect([sift[i], siftScore[i]]).toEqual(['deleterious_low_confidence', 0.01]);
    expect([pp[i], ppScore[i]]).toEqual(['possibly_damaging', 0.906]);
    expect(canonical[i]).toBe(true);
    expect(t.meta.kv['qtlflow.vep_version']).toBe('v110');
    const g = gene.indexOf('ENSG00000078369');
    expect(tss[g]).toBe(pos[g] - 1000101);
  });
});

describe('VEP tab output', () => {
  test('the same annotations in the --tab layout (Extra column, column descriptions) parse to the same entries', async () => {
    const { fields, variants } = await entries(V110());
    const fixed = [
      'Uploaded_variation',
      'Location',
      'Allele',
      'Gene',
      'Feature',
      'Feature_type',
      'Consequence',
    ];
    const extra = fields.filter((f) => !fixed.includes(f));
    const lines = [
      '## ENSEMBL VARIANT EFFECT PREDICTOR v110.0',
      '## Column descriptions:',
      ...fixed.map((f) => `## ${f} : ${f}`),
      ...extra.map((f) => `## ${f} : ${f}`),
      `#${[...fixed, 'Extra'].join('\t')}`,
    ];
    for (const v of variants)
      v.alts.forEach((alt, a) => {
        for (const e of v.entries[a]) {
          const get = (f: string) => e[fields.indexOf(f)] || '-';
          const ex = extra
            .filter((f) => e[fields.indexOf(f)] !== '')
            .map((f) => `${f}=${e[fields.indexOf(f)]}`);
          lines.push(
            [
              `${v.chr}_${v.pos}_${v.ref}/${alt}`,
              `${v.chr}:${v.pos}`,
              get('Allele'),
              get('Gene'),
              get('Feature'),
              get('Feature_type'),
              get('Consequence'),
              ex.join(';') || '-',
            ].join('\t'),
          );
        }
      });
    const tab = join(dir, 'vep110.txt');
    writeFileSync(tab, lines.join('\n') + '\n');
    const parsed = await entries(tab);
    expect([...parsed.fields].sort()).toEqual([...fields].sort());
    expect(parsed.variants.length).toBe(variants.length);
    parsed.variants.forEach((p, i) => {
      const byName = (vv: VepVariant, fl: string[]) =>
        vv.entries.flat().map((e) => Object.fromEntries(fl.map((f, k) => [f, e[k]])));
      expect(byName(p, parsed.fields)).toEqual(byName(variants[i], fields));
    });
    // and annotate matches it to the genotypes by location and allele
    const geno = join(dir, 'g110tab.vcf');
    genotypeVcf(V110(), geno);
    const out = join(dir, 'tab.parquet');
    const r = runCli(['annotate', '--vep', tab, '--genotypes', geno, '--out', out, '--quiet']);
    expect([r.code, r.stderr.replace(/.*warn: .*\n/g, '')]).toEqual([0, '']); // warnings: unmatched alleles, genes without TSS
    expect(JSON.parse(readFileSync(join(dir, 'tab.summary.json'), 'utf8')).alleles.unmatched).toBe(0);
  });
});

describe('bad input: exit 2, message names the file and line, no output', () => {
  const geno = join(dir, 'gbad.vcf');
  beforeAll(() => genotypeVcf(V110(), geno));
  const run = (vep: string, name: string) => {
    const out = join(dir, `${name}.parquet`);
    const r = runCli(['annotate', '--vep', vep, '--genotypes', geno, '--out', out]);
    expect(r.code).toBe(2);
    expect(existsSync(out)).toBe(false);
    return r.stderr;
  };
  test('a CSQ entry with a field missing', () => {
    const text = vcfText(V110()).replace(/CSQ=C\|missense_variant\|MODERATE\|/, 'CSQ=C|missense_variant|');
    const f = join(dir, 'short.vcf');
    writeFileSync(f, text);
    const line =
      text
        .split('\n')
        .findIndex((l) => l.includes('CSQ=C|missense_variant|MODERATE') === false && l.startsWith('1\t')) + 1;
    expect(run(f, 'short')).toMatch(
      new RegExp(`short\\.vcf:${line}: column 'INFO/CSQ': CSQ entry has 121 fields, the header declares 122`),
    );
  });
  test('a VCF without the CSQ header', () => {
    const f = join(dir, 'nocsq.vcf');
    writeFileSync(f, vcfText(V110()).replace(/##INFO=<ID=CSQ[^\n]*\n/, ''));
    expect(run(f, 'nocsq')).toMatch(/nocsq\.vcf:\d+: no ##INFO=<ID=CSQ/);
  });
  test('annotations of another genome build (nothing matches)', () => {
    expect(run(V37(), 'other')).toMatch(/none of the \d+ annotated alleles is in the genotype file/);
  });
  test('not VEP output at all', () => {
    const f = join(dir, 'plain.txt');
    writeFileSync(f, 'gene\tvalue\nA\t1\n');
    expect(run(f, 'plain')).toMatch(/plain\.txt:1: not Ensembl VEP output/);
  });
});
