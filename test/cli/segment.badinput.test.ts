/**
 * Bad input to `qtlflow segment`: each case exits 2 with a message naming the file, line and sample or column,
 * what was expected and how to fix it, and writes no output.
 */
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simulateSegmentCohort } from '../../src/runner/simulate-segment.js';
import { listDir, runCli, tempDir } from '../helpers/cli.js';
import { segmentInputArgs } from '../helpers/segment.js';

const dir = tempDir('qtlflow-segment-bad-');
const good = simulateSegmentCohort(join(dir, 'good'), {
  chromosomes: 1,
  genesPerChromosome: 4,
  variantsPerChromosome: 60,
  samples: 40,
}).files;

/** A copy of the good cohort with one file rewritten. */
let k = 0;
function variant(edit: (d: string) => void): Record<keyof typeof good, string> {
  const d = join(dir, `case${++k}`);
  cpSync(join(dir, 'good'), d, { recursive: true });
  edit(d);
  return {
    genotypes: join(d, 'genotypes'),
    quantifications: join(d, 'quantifications.csv'),
    covariates: join(d, 'covariates.csv'),
    copynumber: join(d, 'copynumber.csv'),
    segmentation: join(d, 'segments.csv'),
  };
}

function rewrite(path: string, f: (lines: string[]) => string[]): void {
  writeFileSync(path, f(readFileSync(path, 'utf8').trimEnd().split('\n')).join('\n') + '\n');
}

function args(files: Record<keyof typeof good, string>, extra: string[] = []): string[] {
  return ['--mode', 'nominal', ...segmentInputArgs(files), ...extra];
}

const cases: { name: string; argv: () => string[]; expect: RegExp[] }[] = [
  {
    name: 'overlapping segments',
    argv: () =>
      args(variant((d) => rewrite(join(d, 'segments.csv'), (l) => [...l, 'T007,chr1,4000000,6000000']))),
    expect: [
      /segments\.csv:\d+: sample 'T007': segments 1–10000000 and 4000000–6000000 of chromosome 1 overlap/,
      /non-overlapping segments/,
    ],
  },
  {
    name: 'variant IDs of ALTlr and REFlr differ',
    argv: () =>
      args(
        variant((d) =>
          rewrite(join(d, 'genotypes', 'chr1_REFlr.csv'), (l) => {
            const f = l[5].split(',');
            f[0] = f[0].replace(':A:G', ':A:T');
            l[5] = f.join(',');
            return l;
          }),
        ),
      ),
    expect: [
      /chr1_REFlr\.csv:6: column 1: variant 'chr1:\d+:A:T' where .*chr1_ALTlr\.csv has 'chr1:\d+:A:G'/,
      /same variant list/,
    ],
  },
  {
    name: 'ALTlr and REFlr with different variant counts',
    argv: () => args(variant((d) => rewrite(join(d, 'genotypes', 'chr1_REFlr.csv'), (l) => l.slice(0, -3)))),
    expect: [/chr1_REFlr\.csv: 57 variants, but .*chr1_ALTlr\.csv has 60/],
  },
  {
    name: 'a sample missing from the genotypes',
    argv: () =>
      args(
        variant((d) =>
          rewrite(join(d, 'genotypes', 'chr1_ALTlr.csv'), (l) =>
            l.map((x) => x.split(',').slice(0, -1).join(',')),
          ),
        ),
      ),
    expect: [/chr1_ALTlr\.csv:1: sample 'T040': 1 sample of the quantifications missing/],
  },
  {
    name: 'a value that is not a number',
    argv: () =>
      args(
        variant((d) =>
          rewrite(join(d, 'quantifications.csv'), (l) => ((l[2] = l[2].replace(/,([^,]*)$/, ',high')), l)),
        ),
      ),
    expect: [/quantifications\.csv:3: column 'T040': 'high' is not a number/],
  },
  {
    name: 'a gene without copy number',
    argv: () =>
      args(
        variant((d) => rewrite(join(d, 'copynumber.csv'), (l) => l.filter((x) => !x.startsWith('G1_002')))),
      ),
    expect: [/copynumber\.csv: gene 'G1_002' has no copy number row/],
  },
  {
    name: 'a missing genotype file',
    argv: () =>
      args(
        variant((d) => rmSync(join(d, 'genotypes', 'chr2_ALTlr.csv'))),
        ['--neg-control'],
      ),
    expect: [/chr2_ALTlr\.csv/],
  },
  {
    name: 'segment filter without segmentation',
    argv: () => args(good).filter((a, i, all) => a !== '--segmentation' && all[i - 1] !== '--segmentation'),
    expect: [/--segmentation is required with the segment filter/, /--no-segment-filter/],
  },
  {
    name: 'validate without the discovery table',
    argv: () =>
      [...args(good), '--mode', 'validate'].filter(
        (a, i, all) =>
          !(a === 'nominal' && all[i - 1] === '--mode') && !(a === '--mode' && all[i + 1] === 'nominal'),
      ),
    expect: [/--mode validate needs --finemap-results/],
  },
];

test.each(cases)('$name: exit 2, names where and what, no output', ({ argv, expect: patterns }) => {
  const out = join(dir, `out${++k}`);
  const r = runCli(['segment', ...argv(), '--out', join(out, 'seg')]);
  expect(r.code).toBe(2);
  for (const p of patterns) expect(r.stderr).toMatch(p);
  expect(existsSync(out) ? listDir(out) : []).toEqual([]);
});

test('the good cohort runs', () => {
  const r = runCli(['segment', ...args(good), '--out', join(dir, 'ok', 'seg'), '--quiet']);
  expect([r.code, r.stderr]).toEqual([0, '']);
});
