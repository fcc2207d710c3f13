/**
 * The coverage stage against a direct per-bin / per-base computation on simulated fragments: every counting
 * strategy, bin size, normalization (and denominator), the filters, include/exclude regions, smoothing and
 * merging; the external sort; and the bigWig writer with enough chromosomes and sections to need multi-level
 * B+ and R-trees, read back by @gmod/bbi.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BigWig } from '@gmod/bbi';
import { OutputSet } from '../../src/io/atomic.js';
import { BigWigWriter, zoomReductionsFor } from '../../src/io/bigwig.js';
import { exportCoverage } from '../../src/stages/coverage/index.js';
import type { CoverageOptions } from '../../src/stages/coverage/index.js';
import { FragmentSpill } from '../../src/stages/coverage/spill.js';
import { Smoother } from '../../src/stages/coverage/track.js';
import { Rng } from '../../src/runner/random.js';
import { tempDir } from '../helpers/cli.js';
import { describeWithTool, hasPyBigWig, python } from '../helpers/tools.js';

const dir = tempDir('qtlflow-coverage-unit-');
const CHROMS: [string, number][] = [
  ['chrB', 23_457],
  ['chrA', 17_001],
  ['chrC', 9_990],
];
const GROUPS = ['g1', 'g2', 'g3'];

interface Frag {
  chrom: string;
  start: number;
  end: number;
  barcode: string;
}

function simulate(seed: number, n: number): Frag[] {
  const rng = new Rng(seed);
  const out: Frag[] = [];
  for (const [chrom, size] of CHROMS) {
    for (let i = 0; i < n; i++) {
      // clustered starts (peaks) and a spread of lengths, some longer than the default maximum
      const peak = Math.floor(rng.uniform() * 20) * (size / 20);
      const start = Math.floor(rng.uniform() < 0.6 ? peak + rng.normal() * 150 : rng.uniform() * size);
      const len = rng.uniform() < 0.03 ? 2500 : 5 + Math.floor(rng.uniform() * 600);
      if (start < 0 || start + len > size) continue;
      out.push({ chrom, start, end: start + len, barcode: `bc${Math.floor(rng.uniform() * 40)}` });
    }
  }
  const order = new Map(CHROMS.map(([c], i) => [c, i]));
  return out.sort((a, b) => order.get(a.chrom)! - order.get(b.chrom)! || a.start - b.start);
}

const FRAGS = simulate(7, 1500);
const fragPath = join(dir, 'fragments.tsv.gz');
writeFileSync(
  fragPath,
  gzipSync(
    '# comment header\n' +
      FRAGS.map((f) => `${f.chrom}\t${f.start}\t${f.end}\t${f.barcode}\t1`).join('\n') +
      '\n',
  ),
);
// 36 of 40 barcodes in three groups; bc36-39 are unassigned
const groupOf = (bc: string): string | undefined => {
  const k = Number(bc.slice(2));
  return k < 36 ? GROUPS[k % 3] : undefined;
};
const groupsPath = join(dir, 'groups.tsv');
writeFileSync(
  groupsPath,
  'barcode\tgroup\n' + Array.from({ length: 36 }, (_, k) => `bc${k}\t${GROUPS[k % 3]}`).join('\n') + '\n',
);
const sizesPath = join(dir, 'sizes.txt');
writeFileSync(sizesPath, CHROMS.map(([c, s]) => `${c}\t${s}`).join('\n') + '\n');
const blacklistPath = join(dir, 'blacklist.bed');
const BLACKLIST: [string, number, number][] = [
  ['chrB', 1000, 1500],
  ['chrA', 8000, 8600],
];
writeFileSync(blacklistPath, BLACKLIST.map((r) => r.join('\t')).join('\n') + '\n');
const INCLUDE: [string, number, number][] = [
  ['chrB', 0, 12000],
  ['chrC', 0, 9990],
];
const includePath = join(dir, 'include.bed');
writeFileSync(includePath, INCLUDE.map((r) => r.join('\t')).join('\n') + '\n');

type Row = [string, number, number, number];

interface Expect {
  binSize: number;
  strategy: 'fragment' | 'insertion';
  normalization: 'none' | 'CPM' | 'RPKM' | 'BPM';
  denominator: 'fragments' | 'bases';
  merge: boolean;
  minLen?: number;
  maxLen?: number;
  blacklist?: boolean;
  include?: boolean;
  exclude?: string;
  smooth?: number;
}

const overlaps = (list: [string, number, number][], c: string, s: number, e: number) =>
  list.some(([rc, rs, re]) => rc === c && s < re && e > rs);

/** Direct computation: per-bin count arrays, then per-base arrays for smoothing. */
function expected(group: string, x: Expect): Row[] {
  const bins = new Map(CHROMS.map(([c, size]) => [c, new Float64Array(Math.ceil(size / x.binSize))]));
  let units = 0;
  let bases = 0;
  let binSum = 0;
  const excl: [string, number, number][] = x.exclude ? [[x.exclude, 0, Infinity]] : [];
  for (const f of FRAGS) {
    if (groupOf(f.barcode) !== group) continue;
    const len = f.end - f.start;
    if (len < (x.minLen ?? 0) || len > (x.maxLen ?? 2000)) continue;
    if (x.blacklist && overlaps(BLACKLIST, f.chrom, f.start, f.end)) continue;
    const arr = bins.get(f.chrom)!;
    const sites =
      x.strategy === 'insertion'
        ? [
            [f.start, f.start + 1],
            [f.end - 1, f.end],
          ]
        : [[f.start, f.end]];
    for (const [s, e] of sites) {
      for (let b = Math.floor(s / x.binSize); b <= Math.floor((e - 1) / x.binSize); b++) arr[b]++;
      const counts = (!x.include || overlaps(INCLUDE, f.chrom, s, e)) && !overlaps(excl, f.chrom, s, e);
      if (counts) {
        units++;
        bases += e - s;
        binSum += Math.floor((e - 1) / x.binSize) - Math.floor(s / x.binSize) + 1;
      }
    }
  }
  const denom = x.normalization === 'BPM' ? binSum : x.denominator === 'bases' ? bases : units;
  const scale =
    x.normalization === 'none' ? 1 : x.normalization === 'RPKM' ? (denom * x.binSize) / 1e9 : denom / 1e6;
  const rows: Row[] = [];
  for (const [c, size] of CHROMS) {
    const arr = bins.get(c)!;
    if (x.smooth) {
      const base = new Float64Array(size);
      for (let i = 0; i < size; i++) base[i] = arr[Math.floor(i / x.binSize)];
      const left = Math.floor((x.smooth - 1) / 2);
      const right = x.smooth - 1 - left;
      const prefix = new Float64Array(size + 1);
      for (let i = 0; i < size; i++) prefix[i + 1] = prefix[i] + base[i];
      for (let i = 0; i < size; i++) {
        const w = prefix[Math.min(size, i + right + 1)] - prefix[Math.max(0, i - left)];
        if (w === 0) continue;
        const v = w / x.smooth / scale;
        const last = rows[rows.length - 1];
        if (last && last[0] === c && last[2] === i && last[3] === v) last[2] = i + 1;
        else rows.push([c, i, i + 1, v]);
      }
      continue;
    }
    for (let b = 0; b < arr.length; b++) {
      if (arr[b] === 0) continue;
      const s = b * x.binSize;
      const e = Math.min(s + x.binSize, size);
      const v = scale === 1 ? arr[b] : arr[b] / scale;
      const last = rows[rows.length - 1];
      if (x.merge && last && last[0] === c && last[2] === s && arr[b - 1] === arr[b]) last[2] = e;
      else rows.push([c, s, e, v]);
    }
  }
  return rows;
}

let runNo = 0;
async function run(x: Expect, extra: Partial<CoverageOptions> = {}): Promise<Record<string, Row[]>> {
  const outDir = join(dir, `run${runNo++}`);
  const outputs = new OutputSet();
  const opts: CoverageOptions = {
    fragments: fragPath,
    groups: groupsPath,
    outDir,
    prefix: 'p.',
    suffix: '.bedgraph',
    binSize: x.binSize,
    normalization: x.normalization,
    normDenominator: x.denominator,
    strategy: x.strategy,
    merge: x.merge,
    minFragLength: x.minLen,
    maxFragLength: x.maxLen ?? 2000,
    blacklist: x.blacklist ? blacklistPath : undefined,
    includeForNorm: x.include ? includePath : undefined,
    excludeForNorm: x.exclude,
    smoothBase: x.smooth,
    chromSizes: sizesPath,
    ...extra,
  };
  const r = await exportCoverage(opts, { outputs, log: { info: () => undefined, warn: () => undefined } });
  outputs.commit();
  const out: Record<string, Row[]> = {};
  for (const [g, path] of Object.entries(r.files)) {
    expect(path).toBe(join(outDir, `p.${g}.bedgraph`));
    out[g] = readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [c, s, e, v] = l.split('\t');
        return [c, Number(s), Number(e), Number(v)];
      });
  }
  return out;
}

function expectRows(got: Row[], want: Row[], rel = 0): void {
  expect(got.length).toBe(want.length);
  expect(got.map((r) => r.slice(0, 3))).toEqual(want.map((r) => r.slice(0, 3)));
  let worst = 0;
  for (let i = 0; i < got.length; i++)
    worst = Math.max(worst, Math.abs(got[i][3] - want[i][3]) / Math.abs(want[i][3]));
  expect(worst).toBeLessThanOrEqual(rel);
}

const base: Expect = {
  binSize: 10,
  strategy: 'fragment',
  normalization: 'none',
  denominator: 'fragments',
  merge: false,
};

test.each<[string, Partial<Expect>]>([
  ['raw counts, 10-bp bins', {}],
  ['raw counts, 7-bp bins (truncated last bins), merged', { binSize: 7, merge: true }],
  ['raw counts, 1-bp bins, merged (per-base depth)', { binSize: 1, merge: true }],
  ['insertion mode, 50-bp bins', { strategy: 'insertion', binSize: 50 }],
  ['CPM over fragments', { normalization: 'CPM' }],
  [
    'RPKM over fragment bases (snapATAC2 ≥ 2.6), merged',
    { normalization: 'RPKM', denominator: 'bases', merge: true },
  ],
  ['BPM', { normalization: 'BPM', binSize: 25 }],
  ['CPM in insertion mode (denominator: insertion sites)', { normalization: 'CPM', strategy: 'insertion' }],
  ['length filters and blacklist', { minLen: 50, maxLen: 400, blacklist: true, normalization: 'CPM' }],
  ['include regions for the denominator', { normalization: 'CPM', include: true }],
  [
    'include BED and an excluded chromosome (a fragment in both is excluded)',
    { normalization: 'RPKM', include: true, exclude: 'chrC' },
  ],
])('%s: identical to the direct computation', async (_, over) => {
  const x = { ...base, ...over };
  const got = await run(x);
  expect(Object.keys(got)).toEqual(GROUPS);
  for (const g of GROUPS) {
    const want = expected(g, x);
    expect(want.length).toBeGreaterThan(50);
    expectRows(got[g], want, x.normalization === 'none' ? 0 : 1e-15);
  }
});

test.each([9, 10, 50, 101])(
  'smoothing over %i bases (centred) matches the per-base moving average',
  async (n) => {
    const x = { ...base, binSize: 10, smooth: n, normalization: 'CPM' as const };
    const got = await run(x);
    for (const g of GROUPS) expectRows(got[g], expected(g, x), 1e-12);
  },
);

test('an unsorted file sorted externally in --tempdir gives the same tracks as the sorted file', async () => {
  const rng = new Rng(3);
  const shuffled = [...FRAGS];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  const path = join(dir, 'shuffled.tsv');
  writeFileSync(
    path,
    shuffled.map((f) => `${f.chrom}\t${f.start}\t${f.end}\t${f.barcode}`).join('\n') + '\n',
  );
  const x = { ...base, normalization: 'CPM' as const, merge: true };
  const sorted = await run(x);
  const ext = await run(x, { fragments: path, tempdir: dir });
  for (const g of GROUPS) expect(ext[g]).toEqual(sorted[g]);
  await expect(run(x, { fragments: path })).rejects.toThrow(/not sorted/);
});

test('the external sort returns every record in (chromosome, start) order across many runs', async () => {
  const spill = new FragmentSpill(dir, 1000);
  const rng = new Rng(11);
  const want: number[][] = [];
  for (let i = 0; i < 25_000; i++) {
    const r = [Math.floor(rng.uniform() * 5), Math.floor(rng.uniform() * 1e9), 0, i % 7];
    r[2] = r[1] + 10;
    want.push(r);
    spill.add(r[0], r[1], r[2], r[3]);
  }
  expect(spill.sorted).toBe(false);
  const got: number[][] = [];
  for await (const b of spill.sortedBatches(4096))
    for (let i = 0; i < b.count; i++) got.push([b.rank[i], b.start[i], b.end[i], b.group[i]]);
  spill.remove();
  want.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  expect(got.map((r) => r.slice(0, 3))).toEqual(want.map((r) => r.slice(0, 3)));
  expect(got.map((r) => r[3]).sort()).toEqual(want.map((r) => r[3]).sort());
});

test('Smoother: ramps and plateaus of a two-run input, clipped at the chromosome end', () => {
  const out: Row[] = [];
  const s = new Smoother(5, (a, b, w) => out.push(['c', a, b, w]));
  s.begin(14);
  s.push(3, 6, 2);
  s.push(6, 12, 1);
  s.end();
  // per base: v = [0,0,0,2,2,2,1,1,1,1,1,1,0,0]; window sums over [i-2, i+2]
  const v = [0, 0, 0, 2, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0];
  const want: number[] = v.map((_, i) => v.slice(Math.max(0, i - 2), i + 3).reduce((a, b) => a + b, 0));
  const flat: number[] = new Array(14).fill(0);
  for (const [, a, b, w] of out) for (let i = a; i < b; i++) flat[i] = w;
  expect(flat).toEqual(want);
  expect(out.every(([, a, b]) => b <= 14 && a >= 0)).toBe(true);
});

describe('bigWig writer with many chromosomes and sections', () => {
  const path = join(dir, 'many.bw');
  const chroms = Array.from({ length: 300 }, (_, i) => ({ name: `scaffold_${i}`, size: 40_000 + i * 37 }));
  const data = new Map<string, [number, number, number][]>();
  beforeAll(async () => {
    const rng = new Rng(5);
    const w = new BigWigWriter(path, chroms, join(dir, 'many.scratch'), {
      zoomReductions: zoomReductionsFor(10, 60_000),
      blockSize: 16,
      itemsPerSlot: 64,
    });
    // written in reverse name order: chromosome IDs follow name order regardless
    for (const c of [...chroms].reverse().filter((_, i) => i % 3 !== 1)) {
      const rows: [number, number, number][] = [];
      let p = Math.floor(rng.uniform() * 100);
      while (p < c.size - 200) {
        const len = 1 + Math.floor(rng.uniform() * 50);
        rows.push([p, p + len, Math.fround(rng.normal() * 10)]);
        p += len + Math.floor(rng.uniform() * 30);
      }
      w.beginChrom(c.name);
      for (const [s, e, v] of rows) w.add(s, e, v);
      w.endChrom();
      data.set(c.name, rows);
    }
    await w.close();
  });

  test('@gmod/bbi finds every chromosome and reads every interval back', async () => {
    const bw = new BigWig({ path });
    const h = await bw.getHeader();
    expect(Object.keys(h.refsByName).length).toBe(300);
    for (const c of chroms) expect(h.refsByNumber[h.refsByName[c.name]].length).toBe(c.size);
    let n = 0;
    for (const [name, rows] of data) {
      const f = await bw.getFeatures(name, 0, 1e6);
      expect(f.map((x) => [x.start, x.end, x.score])).toEqual(rows);
      n += rows.length;
      // a window query inside the chromosome
      const mid = rows[Math.floor(rows.length / 2)];
      const q = await bw.getFeatures(name, mid[0], mid[1]);
      expect(q.map((x) => x.start)).toContain(mid[0]);
    }
    expect(n).toBeGreaterThan(50_000);
    expect((await bw.getFeatures('scaffold_1', 0, 1e6)).length).toBe(0);
  });

  describeWithTool(hasPyBigWig(), 'python3-pybigwig')('pyBigWig', () => {
    test('reads the same intervals on a sample of chromosomes', () => {
      const names = [...data.keys()].filter((_, i) => i % 40 === 0);
      const got = python<Record<string, [number, number, number][]>>(
        'import json,sys,pyBigWig\nbw=pyBigWig.open(sys.argv[1])\nprint(json.dumps({c: bw.intervals(c) for c in sys.argv[2].split(",")}))',
        [path, names.join(',')],
      );
      for (const c of names) expect(got[c]).toEqual(data.get(c));
    });
  });
});
