/**
 * `report` on bad or degenerate input: a file it cannot place is exit 2 naming it (and nothing is written);
 * an empty nominal or permutation table is a note in the report instead of a plot, not a crash.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writePhenotypes } from '../../src/io/contracts.js';
import { ParquetTableWriter, writeTable } from '../../src/io/parquet.js';
import { CIS_NOMINAL, CIS_PERMUTATION } from '../../src/io/results.js';
import { listDir, runCli, tempDir } from '../helpers/cli.js';

const dir = tempDir('qtlflow-report-bad-');
const p = (name: string) => join(dir, name);

function nominalTable(path: string, pvals: number[]): string {
  const n = pvals.length;
  const w = new ParquetTableWriter(path, CIS_NOMINAL.columns, { schema: CIS_NOMINAL.schema, params: {} });
  if (n)
    w.write([
      pvals.map(() => 'G1'),
      pvals.map((_, i) => `1:${1000 + i}`),
      Int32Array.from(pvals, (_, i) => i - 5),
      Float64Array.from(pvals, () => 0.3),
      Int32Array.from(pvals, () => 10),
      Int32Array.from(pvals, () => 12),
      Float64Array.from(pvals),
      Float64Array.from(pvals, () => 0.1),
      Float64Array.from(pvals, () => 0.05),
    ]);
  w.close();
  return path;
}

/** Runs the report into a fresh folder; returns the result and the folder's contents afterwards. */
function report(name: string, args: string[]) {
  const outDir = p(`out-${name}`);
  mkdirSync(outDir, { recursive: true });
  const r = runCli(['report', '--out', join(outDir, 'report.html'), ...args, '--quiet']);
  return { ...r, outDir, left: listDir(outDir) };
}

beforeAll(() => {
  writeTable(p('foreign.parquet'), [{ name: 'x', type: 'float64' }], [Float64Array.of(1, 2)], {
    schema: 'something_else/3',
    params: {},
  });
  writePhenotypes(
    p('phenotypes.parquet'),
    {
      chr: ['1'],
      start: Int32Array.of(100),
      end: Int32Array.of(101),
      phenotypeId: ['G1'],
      samples: ['S1', 'S2'],
      values: Float64Array.of(0.1, 0.2),
    },
    {},
  );
  writeFileSync(p('table.tsv'), 'a\tb\n1\t2\n');
  writeFileSync(p('other.json'), JSON.stringify({ hello: 'world' }));
  nominalTable(p('empty.cis_qtl_pairs.1.parquet'), []);
  nominalTable(p('bad.cis_qtl_pairs.1.parquet'), [0.5, 0.2, 1.7]);
  nominalTable(p('ok.cis_qtl_pairs.1.parquet'), [0.5, 0.2, 0.01, 0.9, 0.03]);
  const empty = new ParquetTableWriter(p('empty.cis_qtl.parquet'), CIS_PERMUTATION.columns, {
    schema: CIS_PERMUTATION.schema,
    params: {},
  });
  empty.close();
  writeFileSync(p('truth-bad.tsv'), 'gene\tvariants\n');
});

describe.each([
  [
    'a Parquet file of another schema',
    () => [p('foreign.parquet')],
    /foreign\.parquet: Parquet file of unknown schema 'something_else\/3'/,
  ],
  [
    'a phenotypes Parquet given as a result',
    () => [p('phenotypes.parquet')],
    /phenotypes\.parquet: .*unknown schema 'phenotypes\/1'.*Pass it with --phenotypes/,
  ],
  ['a text table', () => [p('table.tsv')], /table\.tsv: neither Parquet nor JSON/],
  ['a JSON that is no summary or report', () => [p('other.json')], /other\.json: JSON of unknown kind/],
  ['a missing file', () => [p('nowhere.parquet')], /nowhere\.parquet: input does not exist/],
  ['no input at all', () => [], /no result file to report on/],
  [
    'a p-value outside [0, 1]',
    () => [p('bad.cis_qtl_pairs.1.parquet')],
    /bad\.cis_qtl_pairs\.1\.parquet:3: column 'pval_nominal': pval_nominal 1\.7 is not a probability/,
  ],
  [
    'a truth table with the wrong header',
    () => [p('ok.cis_qtl_pairs.1.parquet'), '--truth', p('truth-bad.tsv')],
    /truth-bad\.tsv:1: truth table header/,
  ],
])('%s', (name, args, message) => {
  test('exit 2 naming the file, nothing written', () => {
    const r = report(name.replace(/\W+/g, '_'), args());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.left).toEqual([]);
  });
});

test('--out must name an .html file (usage error)', () => {
  const r = runCli(['report', '--out', p('report.pdf'), p('ok.cis_qtl_pairs.1.parquet')]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/--out must name an \.html file/);
});

test('an empty nominal table and an empty permutation table become notes, not plots', () => {
  const r = report('empty', [p('empty.cis_qtl_pairs.1.parquet'), p('empty.cis_qtl.parquet')]);
  expect([r.code, r.stderr]).toEqual([0, '']);
  expect(r.left).toEqual(['report.html', 'report.summary.json']);
  const html = readFileSync(join(r.outDir, 'report.html'), 'utf8');
  expect(html).toContain('The nominal table has no tested pairs: no Manhattan or QQ plot.');
  expect(html).toContain('The permutation table has no rows.');
  expect(html).not.toContain('data-plot="manhattan"');
  expect(html).not.toContain('data-plot="qq"');
  const s = JSON.parse(readFileSync(join(r.outDir, 'report.summary.json'), 'utf8'));
  expect(s.nominal).toMatchObject({
    pairs: 0,
    lambda_gc: null,
    empty_files: [p('empty.cis_qtl_pairs.1.parquet')],
  });
  expect(s.lambda_gc).toBeNull();
  expect(s.figures).toEqual([]);
});

test('a small table with position-style IDs gets its Manhattan and QQ plots without --phenotypes or --genotypes', () => {
  const r = report('ok', [p('ok.cis_qtl_pairs.1.parquet'), p('empty.cis_qtl_pairs.1.parquet')]);
  expect([r.code, r.stderr]).toEqual([0, '']);
  const s = JSON.parse(readFileSync(join(r.outDir, 'report.summary.json'), 'utf8'));
  expect(s.nominal.pairs).toBe(5);
  expect(s.nominal.placed_by).toEqual({ tss: 0, id: 5, genotypes: 0 });
  expect(s.figures.map((f: { kind: string; marks: number }) => [f.kind, f.marks])).toEqual([
    ['manhattan', 5],
    ['qq', 5],
    ['locus', 5],
  ]);
  // median of {0.01, 0.03, 0.2, 0.5, 0.9} is 0.2: λ = qchisq(0.2, 1, lower = FALSE) / qchisq(0.5, 1) (R)
  expect(s.lambda_gc).toBeCloseTo(1.6423744151498 / 0.45493642311957283, 10);
  expect(existsSync(join(r.outDir, 'report.html'))).toBe(true);
});
