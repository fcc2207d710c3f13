/**
 * Pieces of the finemap and coloc stages on small cases with known answers: R's Brent minimizer, allele
 * matching, the summary-statistics column resolver, and the two SuSiE data forms agreeing on the same data.
 */
import { brentMinimize } from '../../src/stats/brent.js';
import { alleleMatch, isPalindromic, matchVariants } from '../../src/io/variants.js';
import { missingColumns, resolveColumns } from '../../src/io/sumstats.js';
import {
  IndividualData,
  SufficientStats,
  ibss,
  SUSIE_DEFAULTS,
  susie,
} from '../../src/stages/finemap/susie.js';
import { matTVec, matVec } from '../../src/linalg/gemv.js';
import { logDiff, logSum, adjustPrior } from '../../src/stages/coloc/abf.js';
import { Rng } from '../../src/runner/random.js';

describe('brentMinimize', () => {
  test('finds interior and boundary minima to the requested tolerance', () => {
    expect(Math.abs(brentMinimize((x) => (x - 1.234567) ** 2, -30, 15) - 1.234567)).toBeLessThan(1e-7);
    expect(
      Math.abs(brentMinimize((x) => Math.cosh(x - 3) + 0.1 * x, -10, 10) - (3 - Math.asinh(0.1))),
    ).toBeLessThan(1e-7);
    // monotone on the interval: the minimum is at the lower end, approached to within tol
    expect(brentMinimize((x) => x, -30, 15)).toBeLessThan(-30 + 1e-6);
  });
});

describe('allele matching', () => {
  test('same, swapped, other strand, and mismatched alleles', () => {
    expect(alleleMatch('A', 'G', 'A', 'G')).toBe('same');
    expect(alleleMatch('A', 'G', 'G', 'A')).toBe('swap');
    expect(alleleMatch('A', 'G', 'T', 'C')).toBe('strand');
    expect(alleleMatch('A', 'G', 'C', 'T')).toBe('strand_swap');
    expect(alleleMatch('A', 'G', 'A', 'C')).toBe('mismatch');
    expect(alleleMatch('AT', 'A', 'A', 'AT')).toBe('swap');
    expect(isPalindromic('A', 'T')).toBe(true);
    expect(isPalindromic('A', 'G')).toBe(false);
  });

  test('matchVariants pairs rows by position and alleles, with flips, and across chr naming', () => {
    const a = {
      id: ['x1', 'x2', 'x3', 'x4'],
      chr: ['22', '22', '22', '22'],
      pos: [10, 20, 30, 40],
      ref: ['A', 'C', 'A', 'G'],
      alt: ['G', 'T', 'T', 'A'],
    };
    const b = {
      id: ['y4', 'y1', 'y2', 'y3'],
      chr: ['chr22', 'chr22', 'chr22', 'chr22'],
      pos: [40, 10, 20, 30],
      ref: ['G', 'G', 'C', 'A'],
      alt: ['C', 'A', 'T', 'T'],
    };
    const m = matchVariants(a, b, 'position');
    expect(Array.from(m.i1)).toEqual([0, 1, 2]);
    expect(Array.from(m.i2)).toEqual([1, 2, 3]);
    expect(m.flip).toEqual([true, false, false]);
    expect(m.counts).toMatchObject({ same: 2, swap: 1, palindromic: 1, alleleMismatch: 1 });
    const byId = matchVariants({ id: ['p', 'q'] }, { id: ['q', 'r'] }, 'id');
    expect([Array.from(byId.i1), Array.from(byId.i2)]).toEqual([[1], [0]]);
  });
});

describe('summary-statistics columns', () => {
  test('usual names are found case-insensitively; flags win; what is missing is spelled out', () => {
    const c = resolveColumns(
      ['MarkerName', 'CHR', 'BP', 'Allele1', 'Allele2', 'Effect', 'StdErr', 'P-value'],
      {},
      'f',
    );
    expect(c).toMatchObject({
      snp: 'MarkerName',
      chr: 'CHR',
      pos: 'BP',
      effectAllele: 'Allele1',
      otherAllele: 'Allele2',
      beta: 'Effect',
      se: 'StdErr',
      p: 'P-value',
    });
    expect(missingColumns(c, 'abf')).toEqual([]);
    expect(resolveColumns(['id', 'b', 'log_or'], { beta: 'log_or' }, 'f').beta).toBe('log_or');
    expect(missingColumns(resolveColumns(['chrom', 'pos', 'z'], {}, 'f'), 'abf')).toEqual([
      'beta and se (or varbeta), or p and maf',
    ]);
    expect(missingColumns(resolveColumns(['chrom', 'pos', 'z'], {}, 'f'), 'rss')).toEqual([]);
    expect(missingColumns(resolveColumns(['beta', 'se'], {}, 'f'), 'rss')).toEqual(['snp (or chr and pos)']);
  });
});

describe('SuSiE data forms', () => {
  test('sufficient statistics XᵀX, Xᵀy, yᵀy of centred data give the individual-level fit', () => {
    const rng = new Rng(5);
    const n = 200;
    const p = 40;
    const x = new Float64Array(p * n);
    for (let j = 0; j < p; j++)
      for (let i = 0; i < n; i++) x[j * n + i] = rng.normal() + (j > 0 ? 0.7 * x[(j - 1) * n + i] : 0);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) y[i] = 0.6 * x[5 * n + i] - 0.5 * x[30 * n + i] + rng.normal();
    // centre both, then the summary form
    const xc = Float64Array.from(x);
    for (let j = 0; j < p; j++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += xc[j * n + i] / n;
      for (let i = 0; i < n; i++) xc[j * n + i] -= m;
    }
    const my = y.reduce((s, v) => s + v, 0) / n;
    const yc = y.map((v) => v - my);
    const xtx = new Float64Array(p * p);
    for (let a = 0; a < p; a++)
      for (let b = 0; b < p; b++) for (let i = 0; i < n; i++) xtx[a * p + b] += xc[a * n + i] * xc[b * n + i];
    const xty = new Float64Array(p);
    matVec(xc, p, n, yc, xty);
    const yty = yc.reduce((s, v) => s + v * v, 0);
    const ind = susie(Float64Array.from(x), p, n, y, { L: 5 }).fit;
    const ss = ibss(
      new SufficientStats(xtx, xty, yty, n, p, 5),
      yty / (n - 1),
      { ...SUSIE_DEFAULTS, L: 5 },
      yty / (n - 1) / 1e4,
    );
    let d = 0;
    for (let j = 0; j < p; j++) d = Math.max(d, Math.abs(ind.pip[j] - ss.pip[j]));
    expect(d).toBeLessThan(1e-8);
    expect(ss.niter).toBe(ind.niter);
    expect(ind.pip[5]).toBeGreaterThan(0.9);
    expect(ind.pip[30]).toBeGreaterThan(0.9);
    expect(
      new IndividualData(Float64Array.from(x), p, n, y, 5).d.every((v) => Math.abs(v - (n - 1)) < 1e-9),
    ).toBe(true);
  });

  test('matVec and matTVec agree with plain loops', () => {
    const rng = new Rng(3);
    const m = 7;
    const n = 9;
    const a = Float64Array.from({ length: m * n }, () => rng.normal());
    const v = Float64Array.from({ length: n }, () => rng.normal());
    const b = Float64Array.from({ length: m }, (_, i) => (i === 2 ? 0 : rng.normal()));
    const o1 = new Float64Array(m);
    const o2 = new Float64Array(n);
    matVec(a, m, n, v, o1);
    matTVec(a, m, n, b, o2);
    for (let i = 0; i < m; i++)
      expect(o1[i]).toBeCloseTo(
        v.reduce((s, x, k) => s + a[i * n + k] * x, 0),
        12,
      );
    for (let k = 0; k < n; k++)
      expect(o2[k]).toBeCloseTo(
        b.reduce((s, x, i) => s + a[i * n + k] * x, 0),
        12,
      );
  });
});

describe('coloc helpers', () => {
  test('logSum, logDiff and adjust_prior', () => {
    expect(logSum([Math.log(2), Math.log(3)])).toBeCloseTo(Math.log(5), 14);
    expect(logSum([-1000, -1000])).toBeCloseTo(-1000 + Math.log(2), 10);
    expect(logDiff(Math.log(5), Math.log(3))).toBeCloseTo(Math.log(2), 14);
    expect(logDiff(1, 2)).toBe(-Infinity);
    expect(adjustPrior(1e-4, 500)).toBe(1e-4);
    expect(adjustPrior(1e-4, 20000)).toBe(1 / 20001);
  });
});
