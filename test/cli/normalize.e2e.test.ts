/**
 * `qtlflow normalize` end to end through the built CLI: real Geuvadis BED in, phenotypes Parquet out,
 * compared with the edgeR/GTEx reference values; the simulated TSV with a BED annotation; sample QC.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readPhenotypes } from '../../src/io/contracts.js';
import { openParquet } from '../../src/io/parquet.js';
import { compareChrom } from '../../src/io/genome.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { sharedPath, readTsv, maxAbsDiff, maxRelDiff, REPO_ROOT } from '../helpers/shared.js';

function refRows(path: string): Map<string, number[]> {
  const { rows } = readTsv(path);
  return new Map(rows.map((r) => [r[0], r.slice(1).map(Number)]));
}

describe('Geuvadis chr22 BED → TMM-CPM + INT phenotypes', () => {
  const dir = tempDir();
  const out = join(dir, 'expr.parquet');
  let r: ReturnType<typeof runCli>;
  beforeAll(() => {
    r = runCli([
      'normalize',
      '--input',
      sharedPath('data/geuvadis_chr22/qtltools_genes.50percent.chr22.bed.gz'),
      '--out',
      out,
      '--int',
      '--min-tpm',
      '0',
      '--report',
      join(dir, 'report.json'),
    ]);
  });

  test('exits 0 and writes the Parquet, the run summary and the report', () => {
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    // not a terminal: progress as plain log lines, ending at the full file size
    expect(r.stderr).toMatch(/\[qtlflow normalize\] reading: (\d+)\/\1\n/);
    expect(existsSync(out)).toBe(true);
    const summary = JSON.parse(readFileSync(join(dir, 'expr.summary.json'), 'utf8'));
    expect(summary).toMatchObject({
      stage: 'normalize',
      genes: { input: 608, pass_expression_filter: 258, written: 258 },
      reference_sample: 'HG00119',
    });
    expect(summary.params).toMatchObject({ int: true, 'min-count': 6, 'min-sample-frac': 0.2 });
  });

  test('values are the edgeR TMM-CPM → GTEx INT reference for the 258 kept genes, within 1e-12', async () => {
    const p = await readPhenotypes(out);
    const ref = refRows(sharedPath('refs/tmm_int/qtltools_chr22.int.tsv.gz'));
    const mask = readTsv(sharedPath('refs/tmm_int/qtltools_chr22.expression_mask.tsv'))
      .rows.filter((x) => x[2] === '1')
      .map((x) => x[0]);
    expect([...p.phenotypeId].sort()).toEqual([...mask].sort());
    const refFlat = new Float64Array(p.values.length);
    p.phenotypeId.forEach((id, i) => refFlat.set(ref.get(id)!, i * p.samples.length));
    expect(maxAbsDiff(p.values, refFlat)).toBeLessThan(1e-12);
  });

  test('rows carry BED positions, sorted by chr then start', async () => {
    const p = await readPhenotypes(out);
    const bedText = gunzipSync(
      readFileSync(sharedPath('data/geuvadis_chr22/qtltools_genes.50percent.chr22.bed.gz')),
    ).toString();
    const starts = new Map(
      bedText
        .split('\n')
        .slice(1)
        .filter(Boolean)
        .map((l) => {
          const f = l.split('\t');
          return [f[3], Number(f[1])];
        }),
    );
    p.phenotypeId.forEach((id, i) => expect(p.start[i]).toBe(starts.get(id)));
    for (let i = 1; i < p.chr.length; i++)
      expect(compareChrom(p.chr[i - 1], p.chr[i]) < 0 || p.start[i - 1] <= p.start[i]).toBe(true);
    const t = await openParquet(out);
    expect(t.meta.schema).toBe('phenotypes/1');
  });

  test('the report gives the edgeR factors per sample', () => {
    const rep = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    const ref = readTsv(sharedPath('refs/tmm_int/qtltools_chr22.factors.tsv')).rows;
    expect(rep.samples.map((s: { sample: string }) => s.sample)).toEqual(ref.map((x) => x[0]));
    const ours = rep.samples.map((s: { norm_factor: number }) => s.norm_factor);
    expect(
      maxRelDiff(
        ours,
        ref.map((x) => Number(x[2])),
      ),
    ).toBeLessThan(1e-9);
    expect(rep.sample_qc.pcs).toBe(2);
  });
});

test('the qtlflow-normalize bin runs the same stage', async () => {
  const dir = tempDir();
  const out = join(dir, 'p.parquet');
  const bin = join(REPO_ROOT, 'dist', 'bin', 'qtlflow-normalize.mjs');
  const r = runCli(
    [
      '--input',
      sharedPath('data/geuvadis_chr22/qtltools_genes.50percent.chr22.bed.gz'),
      '--out',
      out,
      '--int',
      '--quiet',
    ],
    bin,
  );
  expect(r.code).toBe(0);
  expect((await readPhenotypes(out)).phenotypeId.length).toBe(258);
  expect(runCli(['--help'], bin).stdout).toMatch(/qtlflow-normalize/);
});

describe('simulated counts TSV + BED annotation → TMM-CPM', () => {
  test('positions come from the annotation (TSS by strand); values equal edgeR TMM-CPM', async () => {
    const dir = tempDir();
    const ann = join(dir, 'genes.bed');
    // Our own annotation for the simulated genes: alternate strands so both TSS rules are used.
    const lines: string[] = [];
    for (let i = 1; i <= 2000; i++) {
      const id = `g${String(i).padStart(4, '0')}`;
      lines.push(`chr${(i % 3) + 1}\t${i * 1000}\t${i * 1000 + 500}\t${id}\t0\t${i % 2 ? '+' : '-'}`);
    }
    writeFileSync(ann, lines.join('\n') + '\n');
    const out = join(dir, 'sim.parquet');
    const r = runCli([
      'normalize',
      '--input',
      sharedPath('refs/tmm_int/sim_counts.tsv.gz'),
      '--annotation',
      ann,
      '--out',
      out,
      '--quiet',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const p = await readPhenotypes(out);
    expect(p.phenotypeId.length).toBe(1806);
    const ref = refRows(sharedPath('refs/tmm_int/sim.tmm_cpm.tsv.gz'));
    const refFlat = new Float64Array(p.values.length);
    p.phenotypeId.forEach((id, i) => refFlat.set(ref.get(id)!, i * p.samples.length));
    expect(maxRelDiff(p.values, refFlat)).toBeLessThan(1e-9);
    const i1 = p.phenotypeId.indexOf('g0001'); // + strand: TSS = start
    const i2 = p.phenotypeId.indexOf('g0002'); // − strand: TSS = end − 1
    expect([p.chr[i1], p.start[i1], p.end[i1], p.strand![i1]]).toEqual(['chr2', 1000, 1001, '+']);
    expect([p.chr[i2], p.start[i2], p.end[i2], p.strand![i2]]).toEqual(['chr3', 2499, 2500, '-']);
  });
});

describe('expression-PC sample QC', () => {
  // One sample of the simulated matrix replaced by a scrambled profile: a far outlier on PC1.
  const dir = tempDir();
  const input = join(dir, 'corrupt.tsv');
  beforeAll(() => {
    const { header, rows } = readTsv(sharedPath('refs/tmm_int/sim_counts.tsv.gz'));
    const col = header.indexOf('s007');
    const n = rows.length;
    const scrambled = rows.map((_, i) => rows[(i * 7919) % n][col]);
    rows.forEach((row, i) => (row[col] = scrambled[i]));
    writeFileSync(input, [header.join('\t'), ...rows.map((x) => x.join('\t'))].join('\n') + '\n');
    const ann = rows.map((x, i) => `chr1\t${i * 100}\t${i * 100 + 1}\t${x[0]}\t0\t+`).join('\n') + '\n';
    writeFileSync(join(dir, 'ann.bed'), ann);
  });

  test('flags the scrambled sample and keeps it by default', async () => {
    const out = join(dir, 'keep.parquet');
    const r = runCli(['normalize', '--input', input, '--annotation', join(dir, 'ann.bed'), '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warn: sample s007 is \d+\.\d SD out on an expression PC/);
    const summary = JSON.parse(readFileSync(join(dir, 'keep.summary.json'), 'utf8'));
    expect(summary.sample_qc.outliers.map((o: { sample: string }) => o.sample)).toEqual(['s007']);
    expect((await readPhenotypes(out)).samples).toContain('s007');
  });

  test('--drop-outliers removes it and normalizes the rest again', async () => {
    const out = join(dir, 'drop.parquet');
    const r = runCli([
      'normalize',
      '--input',
      input,
      '--annotation',
      join(dir, 'ann.bed'),
      '--out',
      out,
      '--drop-outliers',
    ]);
    expect(r.code).toBe(0);
    const p = await readPhenotypes(out);
    expect(p.samples.length).toBe(99);
    expect(p.samples).not.toContain('s007');
  });
});
