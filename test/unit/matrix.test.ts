import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { readExpressionMatrix, guessMatrixFormat } from '../../src/io/matrix.js';
import { readGeneAnnotation } from '../../src/io/annotation.js';
import { canonicalChrom, compareChrom } from '../../src/io/genome.js';
import { sharedPath } from '../helpers/shared.js';
import { tempDir } from '../helpers/cli.js';

const dir = tempDir();

test('GCT (GTEx) input: version and dimension lines skipped, Description treated as annotation', async () => {
  const path = join(dir, 'x.gct.gz');
  writeFileSync(
    path,
    gzipSync('#1.2\n2\t3\nName\tDescription\tA\tB\tC\nENSG1.1\tGENE1\t1\t2\t3\nENSG2.4\tGENE2\t0\t5\t7\n'),
  );
  const m = await readExpressionMatrix(path, 'tsv');
  expect(m.samples).toEqual(['A', 'B', 'C']);
  expect(m.phenotypeId).toEqual(['ENSG1.1', 'ENSG2.4']);
  expect(Array.from(m.values)).toEqual([1, 2, 3, 0, 5, 7]);
});

test('QTLtools BED: length and strand columns are annotation, samples follow', async () => {
  const m = await readExpressionMatrix(
    sharedPath('data/geuvadis_chr22/qtltools_genes.50percent.chr22.bed.gz'),
  );
  expect(m.samples.length).toBe(358);
  expect(m.samples[0]).toBe('HG00096');
  expect(m.phenotypeId.length).toBe(608);
  expect(m.length?.[0]).toBe(1049);
  expect(m.strand?.[0]).toBe('+');
  expect(m.chr?.[0]).toBe('chr22');
});

test('format from the file name, compression ignored', () => {
  expect(guessMatrixFormat('a.bed.gz')).toBe('bed');
  expect(guessMatrixFormat('a.parquet')).toBe('parquet');
  expect(guessMatrixFormat('counts.txt.gz')).toBe('tsv');
});

test('GTF annotation: TSS by strand in BED convention', async () => {
  const ann = await readGeneAnnotation(
    sharedPath('data/geuvadis_chr22/qtltools_gencode.v19.annotation.chr22.gtf.gz'),
  );
  expect(ann.size).toBeGreaterThan(1000);
  for (const p of ann.values()) {
    expect(p.end).toBe(p.start + 1);
    expect(['+', '-']).toContain(p.strand);
  }
  // Check one gene per strand against the GTF's own coordinates (1-based start/end, columns 4–5).
  const text = gunzipSync(
    readFileSync(sharedPath('data/geuvadis_chr22/qtltools_gencode.v19.annotation.chr22.gtf.gz')),
  ).toString();
  for (const strand of ['+', '-']) {
    const f = text
      .split('\n')
      .map((l) => l.split('\t'))
      .find((x) => x[2] === 'gene' && x[6] === strand)!;
    const id = /gene_id "([^"]+)"/.exec(f[8])![1];
    const tss = strand === '+' ? Number(f[3]) : Number(f[4]);
    expect(ann.get(id)).toMatchObject({ chr: f[0], start: tss - 1, end: tss, strand });
  }
});

test('chromosome names: chr prefix and MT/M are equivalent; natural order', () => {
  expect(canonicalChrom('chr22')).toBe(canonicalChrom('22'));
  expect(canonicalChrom('chrM')).toBe('MT');
  const sorted = ['chrX', '10', 'chr2', 'MT', '1', 'chrUn_gl000220'].sort(compareChrom);
  expect(sorted).toEqual(['1', 'chr2', '10', 'chrX', 'MT', 'chrUn_gl000220']);
});
