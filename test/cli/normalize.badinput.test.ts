/**
 * Bad input to `qtlflow normalize`: each case exits 2, names the file and the row/column (or sample),
 * and leaves no output behind (not even a temporary file).
 */
import { writeFileSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { runCli, tempDir, listDir, CLI } from '../helpers/cli.js';

const HEADER = '#chr\tstart\tend\tgene\tS1\tS2\tS3';
const ROWS = ['chr1\t100\t101\tg1\t10\t20\t30', 'chr1\t200\t201\tg2\t5\t0\t7', 'chr2\t50\t51\tg3\t8\t9\t10'];

function bed(lines: string[]): string {
  return lines.join('\n') + '\n';
}

interface Case {
  name: string;
  file: string;
  content: string | Buffer;
  /** Patterns the error message must contain (file name, line/column, what was wrong). */
  expect: RegExp[];
  extra?: string[];
}

const cases: Case[] = [
  {
    name: 'ragged row',
    file: 'ragged.bed',
    content: bed([HEADER, ROWS[0], 'chr1\t200\t201\tg2\t5\t0', ROWS[2]]),
    expect: [/ragged\.bed:3/, /6 tab-separated fields, the header has 7/],
  },
  {
    name: 'non-numeric value',
    file: 'nonnum.bed',
    content: bed([HEADER, ROWS[0], 'chr1\t200\t201\tg2\t5\tNA\t7', ROWS[2]]),
    expect: [/nonnum\.bed:3/, /column 'S2'/, /non-numeric value 'NA'/],
  },
  {
    name: 'negative value',
    file: 'negative.bed',
    content: bed([HEADER, ROWS[0], ROWS[1], 'chr2\t50\t51\tg3\t8\t-9\t10']),
    expect: [/negative\.bed:4/, /column 'S2'/, /negative value -9/],
  },
  {
    name: 'duplicate gene ID',
    file: 'dupgene.bed',
    content: bed([HEADER, ROWS[0], ROWS[1], 'chr2\t50\t51\tg1\t8\t9\t10']),
    expect: [/dupgene\.bed:4/, /duplicate feature ID 'g1' \(first seen on line 2\)/],
  },
  {
    name: 'duplicate sample ID',
    file: 'dupsample.bed',
    content: bed(['#chr\tstart\tend\tgene\tS1\tS2\tS1', ...ROWS]),
    expect: [/dupsample\.bed:1/, /duplicate sample ID 'S1' \(header columns 5 and 7\)/],
  },
  {
    name: 'empty matrix (header only)',
    file: 'headeronly.bed',
    content: bed([HEADER]),
    expect: [/headeronly\.bed/, /empty matrix/],
  },
  {
    name: 'empty file',
    file: 'empty.tsv',
    content: '',
    expect: [/empty\.tsv/, /empty matrix/],
  },
  {
    name: 'sample with zero library size',
    file: 'zerolib.bed',
    content: bed([
      HEADER,
      'chr1\t100\t101\tg1\t10\t0\t30',
      'chr1\t200\t201\tg2\t5\t0\t7',
      'chr2\t50\t51\tg3\t8\t0\t10',
    ]),
    expect: [/zerolib\.bed/, /sample 'S2'/, /library size is zero/],
  },
  {
    name: 'truncated gzip',
    file: 'truncated.bed.gz',
    content: (() => {
      const rows = Array.from(
        { length: 3000 },
        (_, i) => `chr1\t${i * 10}\t${i * 10 + 1}\tg${i}\t${i}\t${i + 1}\t${i + 2}`,
      );
      const gz = gzipSync(bed([HEADER, ...rows]));
      return gz.subarray(0, Math.floor(gz.length / 2));
    })(),
    expect: [/truncated\.bed\.gz:\d+/, /gzip stream is truncated or corrupt/],
  },
  {
    name: 'TSV without gene positions',
    file: 'nopos.tsv',
    content: 'gene_id\tS1\tS2\ng1\t1\t2\n',
    expect: [/nopos\.tsv/, /no gene positions/, /--annotation/],
  },
  {
    name: 'annotation with other gene IDs',
    file: 'ids.tsv',
    content: 'gene_id\tS1\tS2\tS3\ng1\t10\t20\t30\ng2\t10\t20\t30\n',
    extra: ['--annotation', 'ANNOT'],
    expect: [/genes\.bed/, /none of the 2 gene IDs is in the annotation/, /Input IDs look like 'g1'/],
  },
];

describe.each(cases)('normalize rejects $name', (c) => {
  test('exit 2, a message naming file and place, no output left', () => {
    const dir = tempDir();
    const input = join(dir, c.file);
    writeFileSync(input, c.content);
    writeFileSync(join(dir, 'genes.bed'), 'chr1\t100\t200\tENSG0001\t0\t+\n');
    const out = join(dir, 'out', 'pheno.parquet');
    const before = listDir(dir);
    const extra = (c.extra ?? []).map((a) => (a === 'ANNOT' ? join(dir, 'genes.bed') : a));
    const r = runCli([
      'normalize',
      '--input',
      input,
      '--out',
      out,
      '--report',
      join(dir, 'out', 'r.json'),
      '--min-count',
      '1',
      ...extra,
    ]);
    expect(r.code).toBe(2);
    for (const re of c.expect) expect(r.stderr).toMatch(re);
    expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
    // Nothing new beside the inputs: no parquet, no summary, no report, no temporaries.
    expect(listDir(dir)).toEqual(before);
    // The input was not modified.
    expect(readFileSync(input).length).toBe(Buffer.from(c.content).length);
  });
});

test('an unknown flag is a usage error (strict parser, exit 2)', () => {
  const r = runCli(['normalize', '--input', 'x.bed', '--out', 'y.parquet', '--min-counts', '3']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/Unknown arguments?: min-counts/);
});

test('a missing input file is exit 2 naming the file', () => {
  const dir = tempDir();
  const r = runCli(['normalize', '--input', join(dir, 'nope.bed'), '--out', join(dir, 'o.parquet')]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/nope\.bed: input file does not exist/);
  expect(listDir(dir)).toEqual([]);
});

test('--log-format json reports the error as one JSON line with its context', () => {
  const dir = tempDir();
  const input = join(dir, 'neg.bed');
  writeFileSync(input, bed([HEADER, 'chr1\t100\t101\tg1\t10\t-1\t30']));
  const r = runCli(['normalize', '--input', input, '--out', join(dir, 'o.parquet'), '--log-format', 'json']);
  expect(r.code).toBe(2);
  const lines = r.stderr
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const err = lines.find((l) => l.level === 'error')!;
  expect(err).toMatchObject({ stage: 'normalize', file: input, line: 2, column: 'S2', exit_code: 2 });
});

test('SIGTERM during a run exits 143 and leaves no output', async () => {
  const dir = tempDir();
  const input = join(dir, 'big.tsv');
  // large enough that parsing takes a while
  const header = ['gene_id', ...Array.from({ length: 200 }, (_, j) => `S${j}`)].join('\t');
  const rows = Array.from({ length: 20000 }, (_, i) =>
    [`g${i}`, ...Array.from({ length: 200 }, (_, j) => String((i * j) % 97))].join('\t'),
  );
  writeFileSync(input, [header, ...rows].join('\n') + '\n');
  writeFileSync(
    join(dir, 'ann.bed'),
    rows.map((_, i) => `chr1\t${i * 10}\t${i * 10 + 1}\tg${i}\t0\t+`).join('\n') + '\n',
  );
  const before = listDir(dir);
  const child = spawn(
    process.execPath,
    [
      CLI,
      'normalize',
      '--input',
      input,
      '--annotation',
      join(dir, 'ann.bed'),
      '--out',
      join(dir, 'o.parquet'),
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  // kill once the stage has started (its first log line), while it is still parsing
  await new Promise<void>((resolve) =>
    child.stderr.on('data', (d) => {
      stderr += d;
      if (/reading/.test(stderr)) resolve();
    }),
  );
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  expect(code).toBe(143);
  expect(stderr).toMatch(/interrupted by SIGTERM; no output written/);
  expect(listDir(dir)).toEqual(before);
});
