/**
 * The merge helpers of the factors stage: GTEx's factor count by sample size, the elbow of a variance curve,
 * one-hot encoding against the first sorted level, and dropping (and naming) linearly dependent columns.
 */
import { InputError } from '../../src/io/errors.js';
import {
  elbow,
  encodeKnownCovariates,
  gtexFactorCount,
  mergeCovariates,
} from '../../src/stages/factors/index.js';

test('GTEx rule: 15 below 150 samples, 30 below 250, 45 below 350, 60 from 350 on', () => {
  expect([10, 149, 150, 249, 250, 349, 350, 5000].map(gtexFactorCount)).toEqual([
    15, 15, 30, 30, 45, 45, 60, 60,
  ]);
});

test('elbow: the point farthest below the chord of the scaled curve', () => {
  // a sharp knee after three components
  expect(elbow([0.3, 0.2, 0.15, 0.02, 0.019, 0.018, 0.017, 0.016, 0.015, 0.014])).toBe(4);
  expect(elbow([0.5, 0.25, 0.125, 0.0625, 0.03125])).toBe(3);
  expect(elbow([0.4, 0.4, 0.4])).toBe(1);
  expect(elbow([0.9, 0.1])).toBe(1);
});

const table = {
  file: 'known.tsv',
  sampleIds: ['a', 'b', 'c', 'd', 'e'],
  covariates: [
    { name: 'batch', categorical: true, text: ['x', 'y', 'x', 'z', 'y'], numeric: new Float64Array(0) },
    {
      name: 'age',
      categorical: false,
      text: ['30', '40', '50', '60', '70'],
      numeric: Float64Array.from([30, 40, 50, 60, 70]),
    },
  ],
};

test('one-hot: levels sorted, the first is the reference, values follow the requested sample order', () => {
  const enc = encodeKnownCovariates(table, ['e', 'd', 'c', 'b', 'a']);
  expect(enc.names).toEqual(['batch_y', 'batch_z', 'age']);
  expect(enc.categorical).toEqual([{ name: 'batch', levels: ['x', 'y', 'z'], reference: 'x' }]);
  expect(Array.from(enc.values)).toEqual([1, 0, 70, 0, 1, 60, 0, 0, 50, 1, 0, 40, 0, 0, 30]);
  expect(enc.extraSamples).toBe(0);
  expect(encodeKnownCovariates(table, ['a', 'b']).extraSamples).toBe(3);
});

test('a sample missing from the known covariates is an InputError naming it', () => {
  expect(() => encodeKnownCovariates(table, ['a', 'q'])).toThrow(InputError);
  expect(() => encodeKnownCovariates(table, ['a', 'q'])).toThrow(
    /1 of the 2 phenotype samples are not in the known covariates \('q'\)/,
  );
});

test('merge: constant and dependent columns are dropped and named, the rest kept in order', () => {
  const n = 6;
  const a = [1, 2, 3, 4, 5, 7];
  const b = [2, 1, 0, 3, 1, 1];
  const block1 = { names: ['a', 'const'], values: Float64Array.from(a.flatMap((v) => [v, 4])) };
  const block2 = {
    names: ['b', 'a_plus_b'],
    values: Float64Array.from(b.flatMap((v, i) => [v, a[i] + 2 * v - 1])),
  };
  const m = mergeCovariates([block1, block2], n);
  expect(m.names).toEqual(['a', 'b']);
  expect(m.dropped).toEqual(['const', 'a_plus_b']);
  expect(Array.from(m.values)).toEqual(a.flatMap((v, i) => [v, b[i]]));
  expect(() => mergeCovariates([block1, { names: ['a'], values: Float64Array.from(b) }], n)).toThrow(
    /two covariates are named 'a'/,
  );
});
