/**
 * Bad inputs to `rare`, `trans` and `cis --interaction`: each exits 2 with a message naming the file (and column or
 * sample) and leaves no output behind.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { listDir, runCli, tempDir } from '../helpers/cli.js';
import { sharedPath } from '../helpers/shared.js';

const VCF = () => sharedPath('data/geuvadis_chr22/1kg_phase1_chr22_seqarray_geuvadis330.vcf.gz');
const BED = () => sharedPath('refs/cis_sparse/phenotypes.bed.gz');
const COV = () => sharedPath('refs/cis_sparse/covariates.noPHASE1.txt.gz');
const dir = tempDir('qtlflow-rare-bad-');

function fails(args: string[], message: RegExp): void {
  const before = listDir(dir);
  const r = runCli(args);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(listDir(dir)).toEqual(before);
}

test('rare: annotation weights without --annotations', () => {
  fails(
    [
      'rare',
      '--genotypes',
      VCF(),
      '--phenotypes',
      BED(),
      '--weights',
      'CADD_RAW',
      '--out',
      join(dir, 'r.parquet'),
    ],
    /--weights CADD_RAW needs --annotations/,
  );
});

test('rare: an annotations file that is not an annotate table', () => {
  fails(
    [
      'rare',
      '--genotypes',
      VCF(),
      '--phenotypes',
      BED(),
      '--annotations',
      COV(),
      '--out',
      join(dir, 'r.parquet'),
    ],
    /covariates\.noPHASE1\.txt\.gz/,
  );
});

test('rare: phenotypes on a chromosome the genotypes do not have', () => {
  const bed = join(dir, 'chr5.bed');
  const text = gunzipSync(readFileSync(BED())).toString();
  writeFileSync(bed, text.replace(/^22\t/gm, '5\t'));
  fails(
    ['rare', '--genotypes', VCF(), '--phenotypes', bed, '--out', join(dir, 'r.parquet')],
    /chromosome '5' is not in the VCF index/,
  );
});

test('rare: --maf-max outside (0, 0.5]', () => {
  fails(
    [
      'rare',
      '--genotypes',
      VCF(),
      '--phenotypes',
      BED(),
      '--maf-max',
      '0.7',
      '--out',
      join(dir, 'r.parquet'),
    ],
    /--maf-max/,
  );
});

test('trans: no variant passes the MAF filter', () => {
  fails(
    ['trans', '--genotypes', VCF(), '--phenotypes', BED(), '--maf-min', '0.6', '--out', join(dir, 't')],
    /no variant passed the filters/,
  );
});

test('trans: a p threshold that is not a probability', () => {
  fails(
    ['trans', '--genotypes', VCF(), '--phenotypes', BED(), '--pval-threshold', '0', '--out', join(dir, 't')],
    /--pval-threshold/,
  );
});

test('cis --interaction: a sample missing from the interaction file, and a constant term', () => {
  const lines = gunzipSync(readFileSync(COV())).toString().trim().split('\n');
  const header = lines[0].split('\t');
  const pc1 = lines[1].split('\t');
  const short = join(dir, 'short.txt');
  writeFileSync(short, [header.slice(0, -1).join('\t'), pc1.slice(0, -1).join('\t')].join('\n') + '\n');
  fails(
    [
      'cis',
      '--genotypes',
      VCF(),
      '--phenotypes',
      BED(),
      '--interaction',
      short,
      '--mode',
      'nominal',
      '--out',
      join(dir, 'c'),
    ],
    new RegExp(
      `short\\.txt: sample '${header[header.length - 1]}': analysis sample missing from the interaction file`,
    ),
  );
  const flat = join(dir, 'flat.txt');
  writeFileSync(
    flat,
    [header.join('\t'), ['age', ...header.slice(1).map(() => '3')].join('\t')].join('\n') + '\n',
  );
  fails(
    [
      'cis',
      '--genotypes',
      VCF(),
      '--phenotypes',
      BED(),
      '--interaction',
      flat,
      '--mode',
      'nominal',
      '--out',
      join(dir, 'c'),
    ],
    /flat\.txt: column 'age': interaction term 'age' is constant/,
  );
  fails(
    [
      'cis',
      '--genotypes',
      VCF(),
      '--phenotypes',
      BED(),
      '--interaction',
      flat,
      '--mode',
      'permute',
      '--out',
      join(dir, 'c'),
    ],
    /--interaction is for --mode nominal/,
  );
});
