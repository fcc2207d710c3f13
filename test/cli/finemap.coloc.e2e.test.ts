/**
 * The chain cis → finemap → coloc from the command line on the Geuvadis chr22 data (330 samples, 1000 Genomes
 * phase 1 genotypes, FastQTL's phenotypes and covariates). The shared data hold no GWAS for chr22 on GRCh37,
 * so the GWAS input is built from our own cis nominal output for one gene (ENSG00000100321.10, which has two
 * independent signals): a GWAS-style TSV with `chr22` names, rsIDs, the alleles from the VCF, and every third
 * SNP written with the alleles the other way round (beta negated, EAF complemented) so the allele matching has
 * flips to handle. coloc must then find that gene's signals again.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { openGenotypes } from '../../src/io/genotypes/index.js';
import { toFloat64, toStrings } from '../../src/io/parquet.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { readColumns, sharedPath } from '../helpers/shared.js';

const GENE = 'ENSG00000100321.10';
const vcf = sharedPath('data', 'geuvadis_chr22', '1kg_phase1_chr22_seqarray_geuvadis330.vcf.gz');
const cov = sharedPath('refs', 'cis_sparse', 'covariates.txt.gz');
const dir = tempDir('qtlflow-chain-');
const out = (f: string) => join(dir, f);

beforeAll(() => {
  // the gene and its nine nearest neighbours by TSS: a small phenotype file for a quick run
  const text = gunzipSync(readFileSync(sharedPath('refs', 'cis_sparse', 'phenotypes.bed.gz'))).toString(
    'utf8',
  );
  const [header, ...rows] = text.trim().split('\n');
  const tss = (l: string) => Number(l.split('\t')[1]);
  const center = tss(rows.find((l) => l.split('\t')[3] === GENE)!);
  const near = rows
    .slice()
    .sort((a, b) => Math.abs(tss(a) - center) - Math.abs(tss(b) - center))
    .slice(0, 10)
    .sort((a, b) => tss(a) - tss(b));
  writeFileSync(out('phenotypes.bed'), [header, ...near].join('\n') + '\n');
});

describe('cis → finemap → coloc on Geuvadis chr22', () => {
  test('cis permutation and nominal passes', () => {
    for (const mode of ['permute', 'nominal']) {
      const r = runCli([
        'cis',
        '--genotypes',
        vcf,
        '--phenotypes',
        out('phenotypes.bed'),
        '--covariates',
        cov,
        '--mode',
        mode,
        '--out',
        out('geu'),
        '--quiet',
      ]);
      expect(r.code).toBe(0);
    }
  });

  test('finemap fine-maps the eGenes of the permutation table', async () => {
    const r = runCli([
      'finemap',
      '--genotypes',
      vcf,
      '--phenotypes',
      out('phenotypes.bed'),
      '--covariates',
      cov,
      '--cis',
      out('geu.cis_qtl.parquet'),
      '--out',
      out('fm'),
    ]);
    expect(r.code).toBe(0);
    const perm = await readColumns(out('geu.cis_qtl.parquet'), ['phenotype_id', 'qval']);
    const q = toFloat64(perm.o.qval as Float64Array);
    const eGenes = toStrings(perm.o.phenotype_id as string[]).filter((_, i) => q[i] <= 0.05);
    expect(eGenes).toContain(GENE);
    const summary = JSON.parse(readFileSync(out('fm.summary.json'), 'utf8'));
    expect(summary.phenotypes.fine_mapped).toBe(eGenes.length);
    expect(summary.variants.monomorphic).toBeGreaterThan(0);
    const L = 10;
    const pip = await readColumns(out('fm.susie_pip.parquet'), [
      'phenotype_id',
      'variant_id',
      'pip',
      'slope',
      'slope_se',
      ...Array.from({ length: L }, (_, l) => `alpha_${l + 1}`),
    ]);
    expect(pip.t.meta.kv['qtlflow.L']).toBe('10');
    const ids = toStrings(pip.o.phenotype_id as string[]);
    expect([...new Set(ids)].sort()).toEqual(eGenes.slice().sort());
    // every single effect's α sums to 1 over the window
    const rows = ids.flatMap((g, i) => (g === GENE ? [i] : []));
    for (let l = 1; l <= L; l++) {
      const a = toFloat64(pip.o[`alpha_${l}`] as Float64Array);
      expect(Math.abs(rows.reduce((s, i) => s + a[i], 0) - 1)).toBeLessThan(1e-9);
    }
    // the marginal statistics of the SuSiE table are the cis nominal pass's
    const nom = await readColumns(out('geu.cis_qtl_pairs.22.parquet'), [
      'phenotype_id',
      'variant_id',
      'slope',
      'slope_se',
    ]);
    const key = (g: string, v: string) => `${g} ${v}`;
    const nomIdx = new Map(
      toStrings(nom.o.phenotype_id as string[]).map((g, i) => [key(g, (nom.o.variant_id as string[])[i]), i]),
    );
    const vids = toStrings(pip.o.variant_id as string[]);
    let worst = 0;
    for (const i of rows) {
      const j = nomIdx.get(key(GENE, vids[i]));
      expect(j).toBeDefined();
      worst = Math.max(
        worst,
        Math.abs((pip.o.slope as Float64Array)[i] / (nom.o.slope as Float64Array)[j!] - 1),
      );
      worst = Math.max(
        worst,
        Math.abs((pip.o.slope_se as Float64Array)[i] / (nom.o.slope_se as Float64Array)[j!] - 1),
      );
    }
    expect(worst).toBeLessThan(1e-9);
    const cs = await readColumns(out('fm.susie_cs.parquet'), ['phenotype_id', 'pure', 'lead_variant']);
    const csIds = toStrings(cs.o.phenotype_id as string[]);
    const pure = cs.o.pure as boolean[];
    expect(csIds.filter((g, k) => g === GENE && pure[k]).length).toBe(2);
  });

  test('a GWAS file built from the gene’s nominal statistics, with flipped alleles and chr22 names', async () => {
    const nom = await readColumns(out('geu.cis_qtl_pairs.22.parquet'), [
      'phenotype_id',
      'variant_id',
      'af',
      'slope',
      'slope_se',
      'pval_nominal',
    ]);
    const reader = await openGenotypes(vcf);
    const ann = new Map<string, { pos: number; ref: string; alt: string }>();
    for await (const b of reader.iterBlocks({ size: 4096 }))
      b.variants.id.forEach((id, i) =>
        ann.set(id === '.' ? `22:${b.variants.pos[i]}` : id, {
          pos: b.variants.pos[i],
          ref: b.variants.ref[i],
          alt: b.variants.alt[i],
        }),
      );
    await reader.close();
    const lines = ['SNP\tCHR\tBP\tA1\tA2\tBETA\tSE\tP\tEAF\tN'];
    const ids = toStrings(nom.o.phenotype_id as string[]);
    let k = 0;
    ids.forEach((g, i) => {
      if (g !== GENE) return;
      const v = (nom.o.variant_id as string[])[i];
      const a = ann.get(v)!;
      const flip = k++ % 3 === 0;
      const beta = (nom.o.slope as Float64Array)[i];
      const af = (nom.o.af as Float64Array)[i];
      lines.push(
        [
          v,
          'chr22',
          a.pos,
          flip ? a.ref : a.alt,
          flip ? a.alt : a.ref,
          flip ? -beta : beta,
          (nom.o.slope_se as Float64Array)[i],
          (nom.o.pval_nominal as Float64Array)[i],
          flip ? 1 - af : af,
          330,
        ].join('\t'),
      );
    });
    expect(lines.length).toBeGreaterThan(300);
    writeFileSync(out('gwas.tsv'), lines.join('\n') + '\n');
  });

  test('coloc.abf: the source gene colocalizes at its lead variant; allele flips are matched and reported', async () => {
    const r = runCli([
      'coloc',
      '--dataset1',
      out('geu.cis_qtl_pairs.22.parquet'),
      '--dataset2',
      out('gwas.tsv'),
      '--genotypes',
      vcf,
      '--N1',
      '330',
      '--out',
      out('abf'),
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('estimating sdY from maf and varbeta');
    const s = await readColumns(out('abf.coloc.parquet'), [
      'locus_id',
      'trait2',
      'nsnps',
      'hit1',
      'hit2',
      'PP.H4',
    ]);
    const loci = toStrings(s.o.locus_id as string[]);
    const k = loci.indexOf(GENE);
    expect(k).toBeGreaterThanOrEqual(0);
    expect(toStrings(s.o.trait2 as string[])[k]).toBe('gwas');
    expect((s.o['PP.H4'] as Float64Array)[k]).toBeGreaterThan(0.99);
    const perm = await readColumns(out('geu.cis_qtl.parquet'), ['phenotype_id', 'variant_id']);
    const lead = (perm.o.variant_id as string[])[toStrings(perm.o.phenotype_id as string[]).indexOf(GENE)];
    expect([(s.o.hit1 as string[])[k], (s.o.hit2 as string[])[k]]).toEqual([lead, lead]);
    const summary = JSON.parse(readFileSync(out('abf.summary.json'), 'utf8'));
    expect(summary.snp_matching.swap).toBeGreaterThan(0);
    expect(summary.snp_matching.alleleMismatch).toBe(0);
    const snp = await readColumns(out('abf.coloc_snp.parquet'), ['locus_id', 'allele_flip', 'snp', 'snp2']);
    const mine = toStrings(snp.o.locus_id as string[]).flatMap((g, i) => (g === GENE ? [i] : []));
    const flips = mine.filter((i) => (snp.o.allele_flip as boolean[])[i]).length;
    expect(flips).toBe(Math.ceil(mine.length / 3));
    expect(mine.every((i) => (snp.o.snp as string[])[i] === (snp.o.snp2 as string[])[i])).toBe(true);
  });

  test('coloc-SuSiE: each of the gene’s two signals pairs with its own GWAS signal (H4), not the other (H3)', async () => {
    const r = runCli([
      'coloc',
      '--method',
      'susie',
      '--dataset1',
      out('fm.susie_pip.parquet'),
      '--dataset2',
      out('gwas.tsv'),
      '--genotypes',
      vcf,
      '--N2',
      '330',
      '--out',
      out('susie'),
    ]);
    expect(r.code).toBe(0);
    const s = await readColumns(out('susie.coloc.parquet'), [
      'locus_id',
      'idx1',
      'idx2',
      'hit1',
      'hit2',
      'PP.H3',
      'PP.H4',
    ]);
    const rows = toStrings(s.o.locus_id as string[]).flatMap((g, i) => (g === GENE ? [i] : []));
    expect(rows.length).toBe(4);
    const hit1 = s.o.hit1 as string[];
    const hit2 = s.o.hit2 as string[];
    for (const i of rows) {
      if (hit1[i] === hit2[i]) expect((s.o['PP.H4'] as Float64Array)[i]).toBeGreaterThan(0.95);
      else expect((s.o['PP.H3'] as Float64Array)[i]).toBeGreaterThan(0.9);
    }
    expect(rows.filter((i) => hit1[i] === hit2[i]).length).toBe(2);
    const summary = JSON.parse(readFileSync(out('susie.summary.json'), 'utf8'));
    expect(summary.susie_rss2.flipped_in_panel).toBeGreaterThan(0);
    expect(summary.susie_rss2.converged).toBe(true);
  });
});
