/**
 * `qtlflow factors` on inputs users get wrong: constant genes, missing values (NA in a BED, NaN in a Parquet),
 * more factors than the samples allow, known covariates whose sample IDs do not match, a missing covariate
 * value, genotypes without some samples. Each exits 2 with a message naming the file, the gene or sample and
 * the fix, and leaves no output. Also what merging does with good inputs: categorical covariates one-hot
 * encoded against a reference level, dependent columns dropped and named. Inputs are the first genes of the
 * real cis_sparse phenotypes (330 Geuvadis samples), edited in a temporary folder.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readCovariates, writePhenotypes } from '../../src/io/contracts.js';
import { listDir, runCli, tempDir } from '../helpers/cli.js';
import { sharedPath } from '../helpers/shared.js';

const GENES = 40;

function bedRows(): string[][] {
  return gunzipSync(readFileSync(sharedPath('refs/cis_sparse/phenotypes.bed.gz')))
    .toString()
    .trim()
    .split('\n')
    .slice(0, GENES + 1)
    .map((l) => l.split('\t'));
}

function writeBed(dir: string, name: string, rows: string[][]): string {
  const path = join(dir, name);
  writeFileSync(path, rows.map((r) => r.join('\t')).join('\n') + '\n');
  return path;
}

/** `factors` with PCA and k = 5 unless `extra` sets --method or --k. */
function factors(dir: string, pheno: string, extra: string[] = []) {
  const defaults = [
    ...(extra.includes('--method') ? [] : ['--method', 'pca']),
    ...(extra.includes('--k') ? [] : ['--k', '5']),
  ];
  return runCli([
    'factors',
    '--phenotypes',
    pheno,
    ...defaults,
    '--out',
    join(dir, 'out', 'covariates.parquet'),
    ...extra,
  ]);
}

const samples = bedRows()[0].slice(4);

test('a constant gene: exit 2 naming it, no output', () => {
  const dir = tempDir();
  const rows = bedRows();
  rows[7] = [...rows[7].slice(0, 4), ...rows[7].slice(4).map(() => '0.25')];
  const r = factors(dir, writeBed(dir, 'p.bed', rows));
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`p.bed: 1 phenotype is constant across the 330 samples ('${rows[7][3]}')`);
  expect(r.stderr).toMatch(/Remove genes without variation/);
  expect(listDir(dir)).toEqual(['p.bed']);
});

test('NA in a phenotype BED: exit 2 naming line and sample column', () => {
  const dir = tempDir();
  const rows = bedRows();
  rows[3][10] = 'NA';
  const r = factors(dir, writeBed(dir, 'p.bed', rows), ['--method', 'peer']);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`p.bed:4: column '${rows[0][10]}': non-numeric value 'NA'`);
  expect(listDir(dir)).toEqual(['p.bed']);
});

test('NaN in a phenotypes Parquet: exit 2 naming row and sample', () => {
  const dir = tempDir();
  const rows = bedRows().slice(1);
  const n = samples.length;
  const values = new Float64Array(rows.length * n);
  rows.forEach((r, i) => r.slice(4).forEach((v, j) => (values[i * n + j] = Number(v))));
  values[5 * n + 17] = NaN;
  const path = join(dir, 'p.parquet');
  writePhenotypes(
    path,
    {
      chr: rows.map((r) => r[0]),
      start: Int32Array.from(rows, (r) => Number(r[1])),
      end: Int32Array.from(rows, (r) => Number(r[2])),
      phenotypeId: rows.map((r) => r[3]),
      samples,
      values,
    },
    {},
  );
  const r = factors(dir, path);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`p.parquet:6: column '${samples[17]}': missing or non-finite value NaN`);
  expect(listDir(dir)).toEqual(['p.parquet']);
});

test('more factors than the samples and genes allow: exit 2 with the largest k that works', () => {
  const dir = tempDir();
  const pheno = writeBed(dir, 'p.bed', bedRows());
  const peer = factors(dir, pheno, ['--method', 'peer', '--k', '60']);
  expect(peer.code).toBe(2);
  expect(peer.stderr).toMatch(/60 hidden factors requested, more than 330 samples and 40 phenotypes allow/);
  expect(peer.stderr).toMatch(
    /PEER needs factors \+ known covariates \+ mean \(60 \+ 1\) below both the samples \(330\) and the phenotypes \(40\): use --k 38 or fewer/,
  );
  const pca = factors(dir, pheno, ['--k', '41']);
  expect(pca.code).toBe(2);
  expect(pca.stderr).toMatch(
    /PCA gives at most min\(samples − 1, phenotypes\) = 40 components: use --k 40 or fewer/,
  );
  expect(listDir(dir)).toEqual(['p.bed']);
  // --k auto (GTEx: 45 for 330 samples) is capped, with a warning
  const auto = factors(dir, pheno, ['--method', 'peer', '--k', 'auto', '--max-iter', '20']);
  expect(auto.code).toBe(0);
  expect(auto.stderr).toMatch(
    /--k auto gives 45 factors for 330 samples, more than the data allow .*; using 38/,
  );
});

test('too many covariates for the samples: exit 2', () => {
  const dir = tempDir();
  const rows = bedRows();
  const few = rows.map((r) => r.slice(0, 4 + 30)); // 30 samples
  const r = factors(dir, writeBed(dir, 'p.bed', few), ['--k', '29']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/29 covariates leave no residual degrees of freedom for 30 samples/);
  expect(listDir(dir)).toEqual(['p.bed']);
});

function knownTsv(dir: string, ids: string[], extra: (i: number) => string[] = () => []): string {
  const path = join(dir, 'known.tsv');
  const lines = ['sample_id\tsex\tage\tbatch\tconstant'];
  ids.forEach((s, i) =>
    lines.push(
      [s, i % 2 ? 'female' : 'male', String(20 + (i % 37)), `b${i % 3}`, '1', ...extra(i)].join('\t'),
    ),
  );
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

test('known covariates with unmatched sample IDs: exit 2 naming the missing samples and the IDs the file has', () => {
  const dir = tempDir();
  const pheno = writeBed(dir, 'p.bed', bedRows());
  const ids = samples.map((s, i) => (i < 12 ? `${s}_1` : s));
  const known = knownTsv(dir, ids);
  const r = factors(dir, pheno, ['--known', known]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(
    `known.tsv: sample '${samples[0]}': 12 of the 330 phenotype samples are not in the known covariates ('${samples[0]}', '${samples[1]}', '${samples[2]}', …)`,
  );
  expect(r.stderr).toMatch(/the covariates have '.*_1'/);
  expect(listDir(dir)).toEqual(['known.tsv', 'p.bed']);
});

test('a missing known covariate value: exit 2 naming line, sample and covariate', () => {
  const dir = tempDir();
  const pheno = writeBed(dir, 'p.bed', bedRows());
  const known = knownTsv(dir, samples);
  const text = readFileSync(known, 'utf8').split('\n');
  text[9] = text[9].replace(/\t\d+\t/, '\tNA\t');
  writeFileSync(known, text.join('\n'));
  const r = factors(dir, pheno, ['--known', known]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(
    `known.tsv:10: column 'age', sample '${samples[8]}': covariate 'age' is missing`,
  );
  expect(listDir(dir)).toEqual(['known.tsv', 'p.bed']);
});

test('genotypes without some phenotype samples: exit 2', () => {
  const dir = tempDir();
  const rows = bedRows();
  rows[0][20] = 'NA12345X';
  const r = factors(dir, writeBed(dir, 'p.bed', rows), [
    '--genotypes',
    sharedPath('refs/cis_sparse/genotypes/geuvadis330_chr22.bed'),
  ]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/1 of the 330 phenotype samples are not in the genotypes \('NA12345X'\)/);
  expect(listDir(dir)).toEqual(['p.bed']);
});

test('categorical covariates are one-hot encoded against the first level; dependent columns are dropped and named', async () => {
  const dir = tempDir();
  const pheno = writeBed(dir, 'p.bed', bedRows());
  // a covariate file in the other orientation (one row per covariate), samples in another order, one extra sample
  const known = knownTsv(dir, samples);
  const table = readFileSync(known, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split('\t'));
  const body = table.slice(1).reverse();
  body.push(['EXTRA1', 'male', '30', 'b0', '1']);
  const t = [
    ['id', ...body.map((r) => r[0])],
    ...[1, 2, 3, 4].map((c) => [table[0][c], ...body.map((r) => r[c])]),
  ];
  t.push(['age_copy', ...body.map((r) => String(2 * Number(r[2]) + 1))]);
  const wide = join(dir, 'known.wide.tsv');
  writeFileSync(wide, t.map((r) => r.join('\t')).join('\n') + '\n');
  const out = join(dir, 'out', 'covariates.parquet');
  const r = factors(dir, pheno, ['--known', wide, '--categorical', 'age']);
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/1 samples of the known covariates are not among the phenotypes and are ignored/);
  const cov = await readCovariates(out);
  const ages = [...new Set(body.map((r) => r[2]))].sort();
  expect(cov.names.slice(0, 2)).toEqual(['sex_male', ...ages.slice(1, 2).map((a) => `age_${a}`)]);
  expect(cov.names).toContain('batch_b1');
  expect(cov.names).toContain('batch_b2');
  expect(cov.names).not.toContain('batch_b0');
  expect(cov.names).not.toContain('constant'); // constant: dependent on the intercept
  expect(cov.names).not.toContain('age_copy'); // a function of age: in the span of the intercept and age's indicators
  expect(cov.names.slice(-5)).toEqual(Array.from({ length: 5 }, (_, i) => `expression_PC${i + 1}`));
  expect(cov.sampleIds).toEqual(samples);
  // one-hot values follow the phenotype sample order
  const col = cov.names.indexOf('sex_male');
  cov.sampleIds.forEach((s, i) => expect(cov.values[i * cov.names.length + col]).toBe(i % 2 ? 0 : 1));
  const summary = JSON.parse(readFileSync(join(dir, 'out', 'covariates.summary.json'), 'utf8'));
  expect(summary.known_covariates.categorical.map((c: { name: string }) => c.name)).toEqual([
    'sex',
    'age',
    'batch',
  ]);
  expect(summary.known_covariates.categorical[0]).toEqual({
    name: 'sex',
    levels: ['female', 'male'],
    reference: 'female',
  });
  expect(summary.known_covariates.dropped).toEqual(['constant', 'age_copy']);
  expect(r.stderr).toMatch(/dropped: constant, age_copy/);
});
