/**
 * Genotype PCs against plink2 (Debian plink2 2.00a3.5; .ci/run installs it) on the 330-sample Geuvadis chr22
 * genotypes (refs/cis_sparse/genotypes): plink2 `--maf 0.05 --indep-pairwise 50000 200 0.05` then
 * `--extract prune.in --pca`, against `qtlflow factors --genotypes … --genotype-pcs 10` (same MAF, same
 * pruning). The LD pruning keeps exactly plink2's variants (here and for variant-count and kb windows with other
 * steps and thresholds, and on simulated genotypes with missing calls), and the first five PCs correlate with plink2's at |r| ≥ 0.999 (eigenvalues too).
 * Variant IDs are set to chr:pos for plink2 (the VCF has 794 IDs '.', which --indep-pairwise refuses).
 * plink2 is required: without it the test fails (it does not skip).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCovariates } from '../../src/io/contracts.js';
import { openGenotypes } from '../../src/io/genotypes/index.js';
import { openParquet, toFloat64, toStrings } from '../../src/io/parquet.js';
import { Rng } from '../../src/runner/random.js';
import { simulateEqtlCohort, DEFAULT_EQTL_COHORT } from '../../src/runner/simulate-eqtl.js';
import { EQTL_CATALOGUE_PRUNING, genotypePcs } from '../../src/stages/factors/index.js';
import { pruneOptions } from '../../src/cli/commands/factors.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { sharedPath } from '../helpers/shared.js';

const dir = tempDir('qtlflow-factors-plink2-');
if (spawnSync('plink2', ['--version'], { encoding: 'utf8' }).status !== 0)
  throw new Error('plink2 is not on PATH: install it (apt-get install plink2), as .ci/run does');
const bfile = sharedPath('refs', 'cis_sparse', 'genotypes', 'geuvadis330_chr22.bed').replace(/\.bed$/, '');

function plink2(args: string[]): void {
  const r = spawnSync('plink2', ['--bfile', bfile, '--set-all-var-ids', '@:#', '--threads', '1', ...args], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`plink2 ${args.join(' ')} failed: ${r.stdout}\n${r.stderr}`);
}

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').trim().split('\n');
}

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

async function ourPrunedSet(
  window: string,
  step: number,
  r2: number,
  file = `${bfile}.bed`,
): Promise<string[]> {
  const reader = await openGenotypes(file);
  const n = (await reader.samples()).length;
  const res = await genotypePcs(
    reader,
    Int32Array.from({ length: n }, (_, i) => i),
    {
      pcs: 2,
      mafMin: 0.05,
      pruning: pruneOptions(window, step, r2),
    },
  );
  await reader.close();
  return res.keptIds.map((id) => id.replace(/^chr/, ''));
}

describe.each([
  ['50000', 200, 0.05],
  ['50', 5, 0.2],
  ['1000', 37, 0.5],
  ['200kb', 1, 0.1],
  ['10kb', 1, 0.3],
] as const)('--indep-pairwise %s %d %d', (window, step, r2) => {
  test('keeps exactly the variants plink2 keeps', async () => {
    const tag = `prune_${window}_${step}_${r2}`;
    plink2(['--maf', '0.05', '--indep-pairwise', window, String(step), String(r2), '--out', join(dir, tag)]);
    const ref = lines(join(dir, `${tag}.prune.in`));
    const ours = await ourPrunedSet(window, step, r2);
    expect(ours.length).toBe(ref.length);
    expect(ours).toEqual(ref); // both in genome order
  });
});

test('with missing calls, r² over the samples observed in both variants: the same variants as plink2', async () => {
  // simulated genotypes with LD and three ancestral groups, 3% of calls set missing
  const c = simulateEqtlCohort({
    ...DEFAULT_EQTL_COHORT,
    samples: 150,
    variantsPerChromosome: 1500,
    genes: 10,
  });
  const rng = new Rng(99);
  const n = c.samples.length;
  const vcfLines = [
    '##fileformat=VCFv4.2',
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO', 'FORMAT', ...c.samples].join('\t'),
  ];
  let missing = 0;
  c.variants.id.forEach((id, v) => {
    const gts = Array.from({ length: n }, (_, j) => {
      if (rng.uniform() < 0.03) {
        missing++;
        return './.';
      }
      const d = c.dosages[v * n + j];
      return d === 0 ? '0/0' : d === 1 ? '0/1' : '1/1';
    });
    const chr = c.variants.chr[v].replace(/^chr/, '');
    vcfLines.push(
      [chr, c.variants.pos[v], id, c.variants.ref[v], c.variants.alt[v], '.', 'PASS', '.', 'GT', ...gts].join(
        '\t',
      ),
    );
  });
  const vcf = join(dir, 'missing.vcf');
  writeFileSync(vcf, vcfLines.join('\n') + '\n');
  expect(missing).toBeGreaterThan(10000);
  const r = spawnSync(
    'plink2',
    [
      '--vcf',
      vcf,
      '--set-all-var-ids',
      '@:#',
      '--maf',
      '0.05',
      '--indep-pairwise',
      '50',
      '5',
      '0.2',
      '--threads',
      '1',
      '--out',
      join(dir, 'missing'),
    ],
    { encoding: 'utf8' },
  );
  expect(r.status).toBe(0);
  const ref = lines(join(dir, 'missing.prune.in'));
  const ours = await ourPrunedSet('50', 5, 0.2, vcf);
  expect(ref.length).toBeGreaterThan(100);
  expect(ours).toEqual(ref);
});

test('the eQTL Catalogue defaults are the pruning the CLI uses by default', () => {
  expect(pruneOptions('50000', 200, 0.05)).toEqual(EQTL_CATALOGUE_PRUNING);
});

test('genotype PCs agree with plink2 --pca after the same pruning (|r| ≥ 0.999 for PCs 1–5)', async () => {
  plink2(['--maf', '0.05', '--indep-pairwise', '50000', '200', '0.05', '--out', join(dir, 'prune')]);
  plink2(['--extract', join(dir, 'prune.prune.in'), '--pca', '10', '--out', join(dir, 'pca')]);
  const eigenvec = lines(join(dir, 'pca.eigenvec')).map((l) => l.split('\t'));
  const header = eigenvec[0];
  const iid = header.indexOf('IID');
  const refVec = new Map(eigenvec.slice(1).map((f) => [f[iid], f.slice(iid + 1).map(Number)]));
  const refVal = lines(join(dir, 'pca.eigenval')).map(Number);

  const out = join(dir, 'covariates.parquet');
  const r = runCli([
    'factors',
    '--phenotypes',
    sharedPath('refs', 'cis_sparse', 'phenotypes.bed.gz'),
    '--method',
    'pca',
    '--k',
    '0',
    '--genotypes',
    `${bfile}.bed`,
    '--genotype-pcs',
    '10',
    '--out',
    out,
    '--quiet',
  ]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const cov = await readCovariates(out);
  expect(cov.names).toEqual(Array.from({ length: 10 }, (_, i) => `genotype_PC${i + 1}`));
  const t = await openParquet(out.replace(/\.parquet$/, '.factors.parquet'));
  const source = toStrings(await t.column('source'));
  const variance = toFloat64(await t.column('variance'));
  expect(source.every((s) => s === 'genotype_pca')).toBe(true);
  const summary = JSON.parse(readFileSync(out.replace(/\.parquet$/, '.summary.json'), 'utf8'));
  expect(summary.genotype_pcs.variants.kept).toBe(lines(join(dir, 'prune.prune.in')).length);

  const corr: number[] = [];
  for (let c = 0; c < 10; c++) {
    const ours = cov.sampleIds.map((_, i) => cov.values[i * 10 + c]);
    const ref = cov.sampleIds.map((s) => refVec.get(s)![c]);
    corr.push(Math.abs(pearson(ours, ref)));
  }
  const relEig = refVal.map((v, c) => Math.abs(variance[c] - v) / v);
  console.log(
    `genotype PCs vs plink2 --pca (${summary.genotype_pcs.variants.kept} pruned variants): 1 − |r| ${corr
      .map((v) => (1 - v).toExponential(1))
      .join(
        ' ',
      )}; eigenvalues max relative difference ${Math.max(...relEig).toExponential(2)} (plink2 prints 6 digits)`,
  );
  for (let c = 0; c < 5; c++) expect(corr[c]).toBeGreaterThanOrEqual(0.999);
  for (const d of relEig) expect(d).toBeLessThan(5e-6);
});
