/**
 * Bad input to `qtlflow coverage`: each case exits 2 with a message naming the file and line (or the flag),
 * what was expected and how to fix it, and leaves nothing in the output directory (no track, no JSON, no
 * temporary).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { listDir, runCli, tempDir } from '../helpers/cli.js';

const dir = tempDir('qtlflow-coverage-bad-');
const FRAGS = [
  'chr1\t100\t300\tAAAC-1\t1',
  'chr1\t150\t420\tAAAG-1\t2',
  'chr1\t900\t1100\tAAAC-1\t1',
  'chr2\t50\t250\tAAAT-1\t1',
];
const GROUPS = 'barcode\tgroup\nAAAC-1\tB\nAAAG-1\tT\nAAAT-1\tT\n';
const SIZES = 'chr1\t5000\nchr2\t3000\n';

function file(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}
const gz = (lines: string[]) => gzipSync(lines.join('\n') + '\n');

const goodFrags = file('good.tsv.gz', gz(FRAGS));
const goodGroups = file('groups.tsv', GROUPS);
const sizes = file('chrom.sizes', SIZES);

interface Case {
  name: string;
  args: string[];
  expect: RegExp[];
}

let n = 0;
function coverageArgs(over: Record<string, string | undefined>, extra: string[] = []): string[] {
  const flags: Record<string, string | undefined> = {
    fragments: goodFrags,
    groups: goodGroups,
    'chrom-sizes': sizes,
    suffix: '.bw',
    ...over,
  };
  const args = ['coverage'];
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) args.push(`--${k}`, v);
  return [...args, ...extra];
}

const cases: Case[] = [
  {
    name: 'unsorted fragments',
    args: coverageArgs({ fragments: file('unsorted.tsv.gz', gz([FRAGS[0], FRAGS[2], FRAGS[1], FRAGS[3]])) }),
    expect: [
      /unsorted\.tsv\.gz:3/,
      /not sorted: start 150 comes after 900 on chr1/,
      /--tempdir/,
      /sort -k1,1 -k2,2n/,
    ],
  },
  {
    name: 'a chromosome split in two blocks',
    args: coverageArgs({ fragments: file('split.tsv.gz', gz([FRAGS[0], FRAGS[3], FRAGS[2]])) }),
    expect: [/split\.tsv\.gz:3/, /chromosome chr1 appears again after chr2/],
  },
  {
    name: 'a fragment beyond the chromosome end',
    args: coverageArgs({
      fragments: file('beyond.tsv.gz', gz([FRAGS[0], FRAGS[1], 'chr1\t4900\t5012\tAAAC-1\t1', FRAGS[3]])),
    }),
    expect: [/beyond\.tsv\.gz:3/, /chr1:4900-5012 ends beyond the chromosome end \(5000\)/, /genome build/],
  },
  {
    name: 'a chromosome missing from --chrom-sizes',
    args: coverageArgs({ fragments: file('chrx.tsv.gz', gz([...FRAGS, 'chrX\t10\t200\tAAAC-1\t1'])) }),
    expect: [/chrx\.tsv\.gz:5/, /chromosome 'chrX' is not in --chrom-sizes/],
  },
  {
    name: 'a barcode table with duplicates',
    args: coverageArgs({ groups: file('dup.tsv', GROUPS + 'AAAG-1\tB\n') }),
    expect: [/dup\.tsv:5/, /barcode 'AAAG-1' is listed twice \(lines 3 and 5\)/, /sort -u/],
  },
  {
    name: 'an empty group (no barcode in the fragments)',
    args: coverageArgs({ groups: file('empty.tsv', GROUPS + 'TTTT-1\tNK\nTTTG-1\tNK\n') }),
    expect: [/empty\.tsv/, /group 'NK' has no fragments in the fragment file/, /'-1'/, /--selections/],
  },
  {
    name: 'a group whose fragments are all filtered out',
    args: coverageArgs({}, ['--min-frag-length', '250']),
    expect: [/every fragment of group 'B' was removed by the filters \(2 too short, 0 too long/],
  },
  {
    name: 'a .bw suffix with --output-format bedgraph',
    args: coverageArgs({ 'output-format': 'bedgraph' }),
    expect: [/--suffix '\.bw' is a bigWig name but --output-format is bedgraph/, /--suffix \.bedgraph/],
  },
  {
    name: 'a .gz suffix with --compression zstd',
    args: coverageArgs({ suffix: '.bedgraph.gz', compression: 'zstd' }),
    expect: [/implies gzip but --compression is zstd/],
  },
  {
    name: 'an unknown suffix',
    args: coverageArgs({ suffix: '.txt' }),
    expect: [/--suffix '\.txt' names no track format/],
  },
  {
    name: 'bigWig without --chrom-sizes',
    args: coverageArgs({ 'chrom-sizes': undefined }),
    expect: [/bigWig output needs --chrom-sizes/],
  },
  {
    name: 'a --selections group not in the table',
    args: coverageArgs({ selections: 'B,NK' }),
    expect: [/groups\.tsv/, /group 'NK' of --selections is not in the groups table/, /B, T/],
  },
  {
    name: 'a malformed fragment row',
    args: coverageArgs({ fragments: file('bad.tsv.gz', gz([FRAGS[0], 'chr1\t1x0\t300\tAAAC-1'])) }),
    expect: [/bad\.tsv\.gz:2/, /column 2/, /found '1x0'/],
  },
  {
    name: 'a fragment with end ≤ start',
    args: coverageArgs({ fragments: file('neg.tsv.gz', gz([FRAGS[0], 'chr1\t300\t300\tAAAC-1'])) }),
    expect: [/neg\.tsv\.gz:2/, /end 300 is not after its start 300/],
  },
];

test.each(cases)('$name: exit 2, file and line named, nothing written', ({ args, expect: patterns }) => {
  const out = join(dir, `out${n++}`);
  mkdirSync(out);
  const r = runCli([...args, '--out-dir', out, '--normalization', 'CPM']);
  expect(r.code).toBe(2);
  for (const p of patterns) expect(r.stderr).toMatch(p);
  expect(listDir(out)).toEqual([]);
});

test('the same empty-group check without a counting pass (--normalization none)', () => {
  const out = join(dir, 'none');
  const r = runCli([
    ...coverageArgs({ groups: file('empty2.tsv', GROUPS + 'TTTT-1\tNK\n') }),
    '--out-dir',
    out,
    '--normalization',
    'none',
  ]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/group 'NK' has no fragments/);
  expect(existsSync(out) ? listDir(out) : []).toEqual([]);
});

test('the good input succeeds and writes one track per group, the JSON map and the summary', () => {
  const out = join(dir, 'good');
  const r = runCli([...coverageArgs({}), '--out-dir', out, '--prefix', 'pbmc_', '--quiet']);
  expect(r.code).toBe(0);
  expect(listDir(out)).toEqual([
    'pbmc_B.bw',
    'pbmc_T.bw',
    'pbmc_coverage.json',
    'pbmc_coverage.summary.json',
  ]);
});
