/**
 * The report's arithmetic on cases checkable by hand: λ_GC (median χ² / qchisq(0.5, 1)), its exact two-pass
 * median over a stream, recall and the false-discovery proportion against a planted truth, the share of causal
 * variants in credible sets, variant positions from IDs, and the truth table's validation.
 * χ² reference values are R 4.2.2's `qchisq(p, 1, lower.tail = FALSE)`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/io/errors.js';
import {
  CHISQ1_MEDIAN,
  PValueSketch,
  chisq1Upper,
  credibleSetRecovery,
  genomicInflation,
  thinOnGrid,
  truthRecovery,
} from '../../src/stages/report/stats.js';
import type { PlantedGene } from '../../src/stages/report/stats.js';
import { positionFromId } from '../../src/stages/report/positions.js';
import { readTruth } from '../../src/stages/report/truth.js';
import { compactSvgNumbers, prefixSvgIds } from '../../src/stages/report/html.js';
import { tempDir } from '../helpers/cli.js';

/** 2·Φ(−1): the p-value of χ² = 1 (|z| = 1). */
const P_Z1 = 0.31731050786291409;

describe('chisq1Upper and λ_GC', () => {
  test('χ² quantiles match R, from the centre to p = 1e-300', () => {
    expect(chisq1Upper(P_Z1)).toBeCloseTo(1, 13);
    expect(chisq1Upper(0.05)).toBeCloseTo(3.84145882069412581, 12);
    expect(chisq1Upper(0.4)).toBeCloseTo(0.70832630080079406, 13);
    expect(chisq1Upper(0.6)).toBeCloseTo(0.27499589772845612, 13);
    expect(chisq1Upper(0.5)).toBeCloseTo(CHISQ1_MEDIAN, 14);
    expect(chisq1Upper(1e-300) / 1373.87263122239392032).toBeCloseTo(1, 12);
    expect(chisq1Upper(1)).toBe(0);
    expect(chisq1Upper(0)).toBe(Infinity);
    expect(chisq1Upper(1.5)).toBeNaN();
  });

  test('λ_GC is 1 when the median p is ½ and 1/0.4549 when it is 2Φ(−1)', () => {
    expect(genomicInflation([0.9, 0.5, 0.01])).toBeCloseTo(1, 13);
    expect(genomicInflation([P_Z1, P_Z1, P_Z1])).toBeCloseTo(1 / CHISQ1_MEDIAN, 12);
    expect(1 / CHISQ1_MEDIAN).toBeCloseTo(2.198109, 6);
  });

  test('even n: the two middle χ² values are averaged (not the χ² of the averaged p-values)', () => {
    // middle p-values 0.4 and 0.6 → (0.7083263 + 0.2749959) / 2 / 0.4549364
    const lambda = genomicInflation([0.01, 0.6, 0.4, 0.99]);
    expect(lambda).toBeCloseTo((0.70832630080079406 + 0.27499589772845612) / 2 / 0.45493642311957283, 12);
    expect(lambda).not.toBeCloseTo(1, 2); // χ² of the mean p (0.5) would give exactly 1
    expect(genomicInflation([NaN, 0.5])).toBeCloseTo(1, 13);
  });

  test('the streamed sketch gives the exact median of any stream (odd, even, ties, tiny p-values)', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) + 0.5) / 2147483648;
    for (const n of [1, 2, 3, 10, 1001, 20000, 20001]) {
      const p = Float64Array.from({ length: n }, (_, i) => (i % 17 === 0 ? 0.5 : rand() ** 3));
      if (n > 5) p[3] = 1e-200;
      const sketch = new PValueSketch(50);
      for (const x of p) sketch.add(x);
      const pass = sketch.medianPass();
      for (let i = n - 1; i >= 0; i--) pass.add(p[i]); // any order
      expect([n, pass.lambda()]).toEqual([n, genomicInflation(p)]);
    }
  });

  test('QQ points: the smallest p-values exactly at (i − ½)/n, the rest one per histogram bin', () => {
    const n = 1000;
    const p = Float64Array.from({ length: n }, (_, i) => (i + 0.5) / n); // exactly uniform quantiles
    const sketch = new PValueSketch(10);
    for (const x of p) sketch.add(x);
    const qq = sketch.qqPoints();
    // the tail: observed = expected exactly
    for (const pt of qq.slice(0, 10)) expect(pt.observed).toBeCloseTo(pt.expected, 12);
    // everywhere within a bin (0.001 in −log10 p) of the diagonal, and ranks account for every p-value
    for (const pt of qq) expect(Math.abs(pt.observed - pt.expected)).toBeLessThan(0.0011);
    expect(sketch.n).toBe(n);
    expect(qq.length).toBeLessThan(n);
  });
});

describe('recovery of a planted truth', () => {
  const gene = (id: string, causal: string[] = []): PlantedGene => ({
    phenotypeId: id,
    causal,
    effects: causal.map(() => 0.5),
  });
  // 4 planted (A–D), 3 null (E–G); D and G were not tested (filtered out upstream)
  const truth = [
    gene('A', ['a1']),
    gene('B', ['b1', 'b2']),
    gene('C', ['c1']),
    gene('D', ['d1']),
    gene('E'),
    gene('F'),
    gene('G'),
  ];
  const tested = new Set(['A', 'B', 'C', 'E', 'F', 'X']);

  test('recall over tested planted genes; FDR = null discoveries / all discoveries of known genes', () => {
    const r = truthRecovery(truth, tested, new Set(['A', 'B', 'E', 'X']));
    expect(r.planted).toBe(4);
    expect(r.null_genes).toBe(3);
    expect(r.planted_tested).toBe(3);
    expect(r.null_tested).toBe(2);
    expect(r.planted_discovered).toBe(2);
    expect(r.null_discovered).toBe(1);
    expect(r.recall).toBeCloseTo(2 / 3, 15);
    expect(r.false_discovery_rate).toBeCloseTo(1 / 3, 15);
    expect(r.discoveries_not_in_truth).toBe(1); // X
    expect(r.planted_missed).toEqual(['C']);
    expect(r.null_discovered_ids).toEqual(['E']);
  });

  test('nothing discovered: recall 0, FDR 0 (V / max(R, 1)); nothing planted tested: recall null', () => {
    const none = truthRecovery(truth, tested, new Set());
    expect(none.recall).toBe(0);
    expect(none.false_discovery_rate).toBe(0);
    const nullOnly = truthRecovery([gene('E'), gene('F')], tested, new Set(['E', 'F']));
    expect(nullOnly.recall).toBeNull();
    expect(nullOnly.false_discovery_rate).toBe(1);
  });

  test('causal variants in a credible set of their own gene, over fine-mapped planted genes', () => {
    const sets = new Set(['A\ta1', 'B\tb2', 'C\ta1' /* a1 in C's set does not count for A */]);
    const r = credibleSetRecovery(truth, new Set(['A', 'B', 'E']), (p, v) => sets.has(`${p}\t${v}`));
    expect(r.genes_finemapped).toBe(2); // A, B (E is null)
    expect(r.causal_finemapped).toBe(3); // a1, b1, b2
    expect(r.causal_in_cs).toBe(2); // a1, b2
    expect(r.share_in_cs).toBeCloseTo(2 / 3, 15);
    expect(credibleSetRecovery(truth, new Set(), () => true).share_in_cs).toBeNull();
  });
});

describe('helpers', () => {
  test('variant IDs that spell a position', () => {
    expect(positionFromId('22:17511159')).toEqual({ chr: '22', pos: 17511159 });
    expect(positionFromId('chr22:17511159:TATA:T')).toEqual({ chr: '22', pos: 17511159 });
    expect(positionFromId('chr1_13550_G_A_b38')).toEqual({ chr: '1', pos: 13550 });
    expect(positionFromId('chrX:100')).toEqual({ chr: 'X', pos: 100 });
    expect(positionFromId('rs185262143')).toBeUndefined();
    expect(positionFromId('MERGED_DEL_2_105206')).toBeUndefined();
  });

  test('grid thinning keeps at most the budget and the first point of each cell', () => {
    const pts = Array.from({ length: 10000 }, (_, i) => ({ x: i % 100, y: Math.floor(i / 100) }));
    const kept = thinOnGrid(
      pts,
      (p) => p.x,
      (p) => p.y,
      500,
    );
    expect(kept.length).toBeLessThanOrEqual(500);
    expect(kept.length).toBeGreaterThan(100);
    expect(kept[0]).toBe(pts[0]);
    expect(
      thinOnGrid(
        pts.slice(0, 10),
        (p) => p.x,
        (p) => p.y,
        500,
      ),
    ).toHaveLength(10);
  });

  test('SVG ids are prefixed per figure and geometry is rounded, text left alone', () => {
    const svg =
      '<clipPath id="clip1"/><g clip-path="url(#clip1)"><path transform="translate(1.23456,7)" d="M1.7321,0"/><text x="3.14159">0.00125</text></g>';
    const out = compactSvgNumbers(prefixSvgIds(svg, 'qq'));
    expect(out).toContain('id="qq-clip1"');
    expect(out).toContain('url(#qq-clip1)');
    expect(out).toContain('translate(1.23,7)');
    expect(out).toContain('d="M1.73,0"');
    expect(out).toContain('x="3.14"');
    expect(out).toContain('>0.00125<');
  });
});

describe('truth table', () => {
  const dir = tempDir();
  const write = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  test('reads planted and null genes', async () => {
    const t = await readTruth(
      write('ok.tsv', 'phenotype_id\tcausal_variants\teffect_sizes\nG1\tv1,v2\t0.5,-0.3\nG2\t\t\n'),
    );
    expect(t).toEqual([
      { phenotypeId: 'G1', causal: ['v1', 'v2'], effects: [0.5, -0.3] },
      { phenotypeId: 'G2', causal: [], effects: [] },
    ]);
  });

  test.each([
    ['wrong header', 'gene\tcausal\teffects\nG1\tv1\t0.5\n', 1, undefined],
    ['effect count', 'phenotype_id\tcausal_variants\teffect_sizes\nG1\tv1,v2\t0.5\n', 2, 'effect_sizes'],
    ['non-numeric effect', 'phenotype_id\tcausal_variants\teffect_sizes\nG1\tv1\tbig\n', 2, 'effect_sizes'],
    ['duplicate gene', 'phenotype_id\tcausal_variants\teffect_sizes\nG1\tv1\t1\nG1\t\t\n', 3, 'phenotype_id'],
  ])('%s → InputError with line and column', async (name, text, line, column) => {
    const p = write(`${name.replace(/ /g, '_')}.tsv`, text);
    const e = await readTruth(p).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).context).toMatchObject({ file: p, line, ...(column ? { column } : {}) });
  });
});
