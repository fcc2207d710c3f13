/**
 * Conformance of the normalize stage with edgeR 3.40.2 (calcNormFactors TMM, cpm) and the GTEx inverse
 * normal transform, on real Geuvadis chr22 quantifications and an NB-simulated matrix
 * (refs/tmm_int/README.md has the exact commands).
 * Tolerances (issue #2): TMM factors and TMM-CPM 1e-9 relative; INT 1e-12 absolute; same reference column;
 * the same genes kept by the count filter.
 */
import { readExpressionMatrix } from '../../src/io/matrix.js';
import { normalizeExpression, tmmFactors, cpm, inverseNormalRows } from '../../src/stages/normalize/index.js';
import { sharedPath, readTsv, maxRelDiff, maxAbsDiff } from '../helpers/shared.js';

const cases = [
  {
    name: 'qtltools_chr22',
    input: () => sharedPath('data/geuvadis_chr22/qtltools_genes.50percent.chr22.bed.gz'),
  },
  { name: 'sim', input: () => sharedPath('refs/tmm_int/sim_counts.tsv.gz') },
];

function refMatrix(path: string, ids: string[], samples: string[]): Float64Array {
  const { header, rows } = readTsv(path);
  expect(header.slice(1)).toEqual(samples);
  expect(rows.map((r) => r[0])).toEqual(ids);
  const out = new Float64Array(ids.length * samples.length);
  rows.forEach((r, i) => r.slice(1).forEach((v, j) => (out[i * samples.length + j] = Number(v))));
  return out;
}

describe.each(cases)('edgeR TMM / CPM / INT on $name', ({ name, input }) => {
  const refDir = 'refs/tmm_int';
  let m: Awaited<ReturnType<typeof readExpressionMatrix>>;
  beforeAll(async () => {
    m = await readExpressionMatrix(input());
  });

  test('TMM factors within 1e-9 relative, same reference column, same library sizes', () => {
    const { rows } = readTsv(sharedPath(refDir, `${name}.factors.tsv`));
    expect(rows.map((r) => r[0])).toEqual(m.samples);
    const res = tmmFactors(m.values, m.phenotypeId.length, m.samples.length);
    const refLib = rows.map((r) => Number(r[1]));
    const refNf = rows.map((r) => Number(r[2]));
    const refCol = rows.findIndex((r) => r[4] === '1');
    expect(res.refColumn).toBe(refCol);
    expect(maxRelDiff(res.libSize, refLib)).toBeLessThan(1e-12);
    const d = maxRelDiff(res.normFactors, refNf);
    expect(d).toBeLessThan(1e-9);
    console.log(`${name}: TMM factor max rel diff ${d.toExponential(2)}; ref column ${m.samples[refCol]}`);
  });

  test('TMM-CPM within 1e-9 relative and INT within 1e-12 absolute (all genes)', () => {
    const nG = m.phenotypeId.length;
    const nS = m.samples.length;
    const res = tmmFactors(m.values, nG, nS);
    const ours = cpm(m.values, nG, nS, res.libSize, res.normFactors);
    const ref = refMatrix(sharedPath(refDir, `${name}.tmm_cpm.tsv.gz`), m.phenotypeId, m.samples);
    const dc = maxRelDiff(ours, ref);
    expect(dc).toBeLessThan(1e-9);
    const int = inverseNormalRows(ours, nG, nS);
    const refInt = refMatrix(sharedPath(refDir, `${name}.int.tsv.gz`), m.phenotypeId, m.samples);
    const di = maxAbsDiff(int, refInt);
    expect(di).toBeLessThan(1e-12);
    console.log(
      `${name}: TMM-CPM max rel diff ${dc.toExponential(2)}; INT max abs diff ${di.toExponential(2)}`,
    );
  });

  test('the count filter (≥ 6 in ≥ 20% of samples) keeps the same genes', () => {
    const { rows } = readTsv(sharedPath(refDir, `${name}.expression_mask.tsv`));
    const res = normalizeExpression({ ...m, length: undefined }, { int: true });
    expect(Array.from(res.nCountPass)).toEqual(rows.map((r) => Number(r[1])));
    expect(Array.from(res.pass)).toEqual(rows.map((r) => Number(r[2])));
    // The kept genes' INT values are the reference's rows for those genes (GTEx applies INT after filtering).
    const refInt = refMatrix(sharedPath(refDir, `${name}.int.tsv.gz`), m.phenotypeId, m.samples);
    const nS = m.samples.length;
    const keptRef = new Float64Array(res.kept.length * nS);
    res.kept.forEach((g, r) => keptRef.set(refInt.subarray(g * nS, (g + 1) * nS), r * nS));
    expect(maxAbsDiff(res.values, keptRef)).toBeLessThan(1e-12);
  });
});
