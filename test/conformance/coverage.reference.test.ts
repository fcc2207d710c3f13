/**
 * coverage against ../shared/refs/coverage (ArchR PBSmall PBMC fragments, groups B/M/T, 100-bp bins; the
 * README there gives the conventions): raw, merged, CPM and insertion-mode bedGraphs; our bigWigs read back by
 * pyBigWig (Debian python3-pybigwig) and @gmod/bbi, their zoom levels against pyBigWig's exact statistics and
 * their header fields; gzip/zstd bedGraphs through the Debian `gzip` and `zstd`; per-base coverage against
 * `bedtools genomecov -bg`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { BigWig } from '@gmod/bbi';
import { runCli, tempDir } from '../helpers/cli.js';
import { readTsv, sharedPath } from '../helpers/shared.js';
import { describeWithTool, hasCommand, hasPyBigWig, python } from '../helpers/tools.js';

const REF = (f: string) => sharedPath('refs', 'coverage', f);
const FRAGMENTS = sharedPath('data', 'atac_fragments', 'archr_PBSmall.fragments.tsv.gz');
const GROUPS = sharedPath('data', 'atac_fragments', 'archr_PBSmall.barcode_celltype.tsv');
const GROUP_NAMES = ['B', 'M', 'T'];
const dir = tempDir('qtlflow-coverage-ref-');
// hg19 sizes of the two chromosomes, as the reference README states them
const SIZES = join(dir, 'hg19.chrom.sizes');
writeFileSync(SIZES, 'chr11\t135006516\nchr5\t180915260\n');

interface Rows {
  chrom: string[];
  start: number[];
  end: number[];
  value: number[];
}

function parseBedGraph(text: string): Rows {
  const r: Rows = { chrom: [], start: [], end: [], value: [] };
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [c, s, e, v] = line.split('\t');
    r.chrom.push(c);
    r.start.push(Number(s));
    r.end.push(Number(e));
    r.value.push(Number(v));
  }
  return r;
}

const readBedGraph = (path: string): Rows => parseBedGraph(readFileSync(path, 'utf8'));

function coverage(out: string, extra: string[], binSize = '100'): void {
  const r = runCli([
    'coverage',
    '--fragments',
    FRAGMENTS,
    '--groups',
    GROUPS,
    '--out-dir',
    join(dir, out),
    '--bin-size',
    binSize,
    '--chrom-sizes',
    SIZES,
    '--quiet',
    ...extra,
  ]);
  if (r.code !== 0) throw new Error(`coverage failed (${r.code}): ${r.stderr}`);
}

function expectSameIntervals(ours: Rows, ref: Rows): void {
  expect(ours.chrom.length).toBe(ref.chrom.length);
  expect(ours.chrom).toEqual(ref.chrom);
  expect(ours.start).toEqual(ref.start);
  expect(ours.end).toEqual(ref.end);
}

function maxRel(a: number[], b: number[]): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.abs(b[i]));
  return m;
}

beforeAll(() => {
  coverage('raw', ['--suffix', '.bedGraph', '--normalization', 'none', '--no-merge']);
  coverage('merged', ['--suffix', '.bedGraph', '--normalization', 'none']);
  coverage('cpm', ['--suffix', '.bedGraph', '--normalization', 'CPM', '--no-merge']);
  coverage('ins', [
    '--suffix',
    '.bedGraph',
    '--normalization',
    'none',
    '--no-merge',
    '--counting-strategy',
    'insertion',
  ]);
  coverage('bw-raw', ['--normalization', 'none', '--no-merge']);
  coverage('bw-cpm', ['--normalization', 'CPM', '--no-merge']);
});

describe.each(GROUP_NAMES)('group %s against refs/coverage', (g) => {
  test('raw fragment-overlap counts: every interval and value identical', () => {
    const ours = readBedGraph(join(dir, 'raw', `${g}.bedGraph`));
    const ref = readBedGraph(REF(`${g}.fragment_overlap.raw.bedGraph`));
    expectSameIntervals(ours, ref);
    expect(ours.value).toEqual(ref.value);
  });

  test('merged runs of equal value identical to the merged reference', () => {
    const ours = readBedGraph(join(dir, 'merged', `${g}.bedGraph`));
    const ref = readBedGraph(REF(`${g}.fragment_overlap.raw.merged.bedGraph`));
    expectSameIntervals(ours, ref);
    expect(ours.value).toEqual(ref.value);
  });

  test('CPM identical within 1e-15 relative, scale = n_fragments / 1e6 as summary.tsv', () => {
    const ours = readBedGraph(join(dir, 'cpm', `${g}.bedGraph`));
    const ref = readBedGraph(REF(`${g}.fragment_overlap.cpm.bedGraph`));
    expectSameIntervals(ours, ref);
    expect(maxRel(ours.value, ref.value)).toBeLessThanOrEqual(1e-15);
    const summary = JSON.parse(readFileSync(join(dir, 'cpm', 'coverage.summary.json'), 'utf8'));
    const row = readTsv(REF('summary.tsv')).rows.find((r) => r[0] === g)!;
    expect(summary.groups[g].fragments_counted).toBe(Number(row[1]));
    expect(summary.groups[g].scale_factor).toBe(Number(row[2]));
  });

  test('insertion-mode counts identical (start and end − 1)', () => {
    const ours = readBedGraph(join(dir, 'ins', `${g}.bedGraph`));
    const ref = readBedGraph(REF(`${g}.insertions.raw.bedGraph`));
    expectSameIntervals(ours, ref);
    expect(ours.value).toEqual(ref.value);
    const summary = readTsv(REF('summary.tsv')).rows.find((r) => r[0] === g)!;
    expect(ours.value.reduce((a, b) => a + b, 0)).toBe(Number(summary[6]));
  });
});

describe('bigWig read back by @gmod/bbi', () => {
  test.each(GROUP_NAMES.flatMap((g) => ['raw', 'cpm'].map((k) => [g, k])))(
    '%s %s: every bin equals the bedGraph value (as float32); header and total summary valid',
    async (g, kind) => {
      const bg = readBedGraph(join(dir, kind, `${g}.bedGraph`));
      const bw = new BigWig({ path: join(dir, `bw-${kind}`, `${g}.bw`) });
      const h = await bw.getHeader();
      expect(h.version).toBe(4);
      expect(h.fileType).toBe('bigwig');
      expect(Object.keys(h.refsByName).sort()).toEqual(['chr11', 'chr5']);
      expect(Object.values(h.refsByNumber).map((r) => [r.name, r.length])).toEqual([
        ['chr11', 135006516],
        ['chr5', 180915260],
      ]);
      const got: Rows = { chrom: [], start: [], end: [], value: [] };
      for (const chrom of ['chr11', 'chr5']) {
        for (const f of await bw.getFeatures(chrom, 0, 200_000_000)) {
          got.chrom.push(chrom);
          got.start.push(f.start);
          got.end.push(f.end);
          got.value.push(f.score!);
        }
      }
      expectSameIntervals(got, bg);
      expect(got.value).toEqual(bg.value.map(Math.fround));
      let covered = 0;
      let sum = 0;
      for (let i = 0; i < bg.start.length; i++) {
        covered += bg.end[i] - bg.start[i];
        sum += Math.fround(bg.value[i]) * (bg.end[i] - bg.start[i]);
      }
      expect(h.totalSummary.basesCovered).toBe(covered);
      expect(h.totalSummary.scoreMin).toBe(Math.fround(Math.min(...bg.value)));
      expect(h.totalSummary.scoreMax).toBe(Math.fround(Math.max(...bg.value)));
      expect(Math.abs(h.totalSummary.scoreSum - sum) / sum).toBeLessThan(1e-12);
      expect(h.zoomLevels.length).toBeGreaterThanOrEqual(1);
      h.zoomLevels.forEach(
        (z, i) => i > 0 && expect(z.reductionLevel).toBe(4 * h.zoomLevels[i - 1].reductionLevel),
      );
    },
  );

  test('zoom summaries (min, max, mean) equal statistics of the full-resolution bins', async () => {
    const bg = readBedGraph(join(dir, 'cpm', 'T.bedGraph'));
    const bw = new BigWig({ path: join(dir, 'bw-cpm', 'T.bw') });
    const h = await bw.getHeader();
    let checked = 0;
    for (const z of h.zoomLevels.slice(0, 4)) {
      for (const chrom of ['chr11', 'chr5']) {
        const feats = await bw.getFeatures(chrom, 0, 200_000_000, { basesPerSpan: z.reductionLevel / 2 });
        expect(feats.length).toBeGreaterThan(0);
        let k = 0;
        for (const f of feats) {
          expect(f.summary).toBe(true);
          expect(f.start % z.reductionLevel).toBe(0);
          let mn = Infinity;
          let mx = -Infinity;
          let s = 0;
          let n = 0;
          while (k < bg.start.length && (bg.chrom[k] !== chrom || bg.end[k] <= f.start)) k++;
          for (let j = k; j < bg.start.length && bg.chrom[j] === chrom && bg.start[j] < f.end; j++) {
            const v = Math.fround(bg.value[j]);
            const ov = Math.min(bg.end[j], f.end) - Math.max(bg.start[j], f.start);
            mn = Math.min(mn, v);
            mx = Math.max(mx, v);
            s += v * ov;
            n += ov;
          }
          expect(n).toBeGreaterThan(0);
          expect(f.minScore).toBe(mn);
          expect(f.maxScore).toBe(mx);
          expect(Math.abs(f.score! - s / n) / (s / n)).toBeLessThan(1e-6);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });
});

test('tracks are byte-identical whether built in the main thread (--threads 1) or in worker threads', () => {
  for (const t of ['1', '4'])
    coverage(`bw-cpm-t${t}`, ['--normalization', 'CPM', '--no-merge', '--threads', t]);
  coverage('cpm-t4', ['--suffix', '.bedGraph', '--normalization', 'CPM', '--no-merge', '--threads', '4']);
  for (const g of GROUP_NAMES) {
    const ref = readFileSync(join(dir, 'bw-cpm', `${g}.bw`)); // default --threads: all cores
    expect(readFileSync(join(dir, 'bw-cpm-t1', `${g}.bw`)).equals(ref)).toBe(true);
    expect(readFileSync(join(dir, 'bw-cpm-t4', `${g}.bw`)).equals(ref)).toBe(true);
    expect(readFileSync(join(dir, 'cpm-t4', `${g}.bedGraph`), 'utf8')).toBe(
      readFileSync(join(dir, 'cpm', `${g}.bedGraph`), 'utf8'),
    );
  }
});

const pyBigWig = hasPyBigWig();
describeWithTool(pyBigWig, 'python3-pybigwig')('bigWig read back by pyBigWig', () => {
  const DUMP = `
import json, sys, pyBigWig
bw = pyBigWig.open(sys.argv[1])
out = {"header": bw.header(), "chroms": bw.chroms(), "intervals": {c: bw.intervals(c) or [] for c in bw.chroms()}}
print(json.dumps(out))
`;
  test.each(GROUP_NAMES.flatMap((g) => ['raw', 'cpm'].map((k) => [g, k])))(
    '%s %s: intervals equal our bedGraph and the reference bigWig; header fields valid',
    (g, kind) => {
      type Dump = {
        header: Record<string, number>;
        chroms: Record<string, number>;
        intervals: Record<string, [number, number, number][]>;
      };
      const ours = python<Dump>(DUMP, [join(dir, `bw-${kind}`, `${g}.bw`)]);
      const ref = python<Dump>(DUMP, [REF(`${g}.fragment_overlap.${kind}.bw`)]);
      const bg = readBedGraph(join(dir, kind, `${g}.bedGraph`));
      expect(ours.chroms).toEqual({ chr11: 135006516, chr5: 180915260 });
      const flat: Rows = { chrom: [], start: [], end: [], value: [] };
      for (const c of ['chr11', 'chr5'])
        for (const [s, e, v] of ours.intervals[c]) {
          flat.chrom.push(c);
          flat.start.push(s);
          flat.end.push(e);
          flat.value.push(v);
        }
      expectSameIntervals(flat, bg);
      expect(flat.value).toEqual(bg.value.map(Math.fround));
      expect(ours.intervals).toEqual(ref.intervals);
      // bigWigInfo fields (pyBigWig truncates min/max/sum to integers)
      const covered = bg.start.reduce((a, s, i) => a + bg.end[i] - s, 0);
      expect(ours.header.version).toBe(4);
      expect(ours.header.nLevels).toBeGreaterThanOrEqual(1);
      expect(ours.header.nBasesCovered).toBe(covered);
      expect(ours.header.nBasesCovered).toBe(ref.header.nBasesCovered);
      expect(ours.header.minVal).toBe(Math.floor(Math.min(...bg.value)));
      expect(ours.header.maxVal).toBe(Math.floor(Math.max(...bg.value)));
      expect(Math.abs(ours.header.sumData - ref.header.sumData) / ref.header.sumData).toBeLessThan(1e-7);
      const headers = readTsv(REF('bigwig_headers.tsv')).rows.find(
        (r) => r[0] === `${g}.fragment_overlap.${kind}.bw`,
      )!;
      expect(ours.header.nBasesCovered).toBe(Number(headers[3]));
      expect(ours.header.minVal).toBe(Number(headers[4]));
      expect(ours.header.maxVal).toBe(Number(headers[5]));
    },
  );

  test('zoom-level stats (min, max, mean, coverage) agree with exact stats on the full-resolution data', () => {
    // bins of 2 × reduction, aligned to the zoom grid: pyBigWig answers non-exact queries from that level
    const STATS = `
import json, sys, pyBigWig
bw = pyBigWig.open(sys.argv[1])
res = []
zooms = [int(x) for x in sys.argv[2].split(",")]
for c, size in bw.chroms().items():
    for r in zooms[:3]:
        w = 2 * r
        n = min(size // w, 1500)
        for t in ("min", "max", "mean", "coverage"):
            a = bw.stats(c, 0, n * w, type=t, nBins=n)
            b = bw.stats(c, 0, n * w, type=t, nBins=n, exact=True)
            res.append([c, r, t, a, b])
print(json.dumps(res))
`;
    return (async () => {
      for (const kind of ['raw', 'cpm']) {
        const path = join(dir, `bw-${kind}`, 'B.bw');
        const h = await new BigWig({ path }).getHeader();
        const zooms = h.zoomLevels.map((z) => z.reductionLevel).join(',');
        const res = python<[string, number, string, (number | null)[], (number | null)[]][]>(STATS, [
          path,
          zooms,
        ]);
        let compared = 0;
        let worst = 0;
        for (const [, , , a, b] of res) {
          expect(a.length).toBe(b.length);
          for (let i = 0; i < a.length; i++) {
            if (b[i] === null) {
              expect(a[i]).toBeNull();
              continue;
            }
            const d = Math.abs(a[i]! - b[i]!) / Math.max(1e-30, Math.abs(b[i]!));
            worst = Math.max(worst, d);
            compared++;
          }
        }
        expect(compared).toBeGreaterThan(1000);
        expect(worst).toBeLessThan(1e-6);
      }
    })();
  });
});

const gzipZstd = hasCommand('gzip') && hasCommand('zstd');
describeWithTool(gzipZstd, 'gzip and zstd')('compressed bedGraphs', () => {
  test.each([
    ['.bedGraph.gz', ['gzip', '-dc']],
    ['.bedGraph.zst', ['zstd', '-dcq']],
  ])('%s decompresses with the Debian tool to the plain bedGraph text', (suffix, cmd) => {
    coverage(`c${suffix}`, [
      '--suffix',
      suffix,
      '--normalization',
      'CPM',
      '--no-merge',
      '--compression-level',
      '3',
    ]);
    for (const g of GROUP_NAMES) {
      const r = spawnSync(cmd[0], [...cmd.slice(1), join(dir, `c${suffix}`, `${g}${suffix}`)], {
        maxBuffer: 1 << 28,
      });
      expect(r.status).toBe(0);
      expect(r.stdout.toString('utf8')).toBe(readFileSync(join(dir, 'cpm', `${g}.bedGraph`), 'utf8'));
    }
  });
});

describeWithTool(hasCommand('bedtools'), 'bedtools')('per-base coverage against bedtools genomecov', () => {
  test('bin size 1, raw, merged runs = `bedtools genomecov -bg` of the group’s fragments', () => {
    const barcodes = new Set(
      readTsv(GROUPS)
        .rows.filter((r) => r[1] === 'M')
        .map((r) => r[0]),
    );
    const bed = gunzipSync(readFileSync(FRAGMENTS))
      .toString('utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#') && barcodes.has(l.split('\t')[3]))
      .map((l) => l.split('\t').slice(0, 3).join('\t'))
      .join('\n');
    writeFileSync(join(dir, 'M.bed'), bed + '\n');
    const bt = spawnSync('bedtools', ['genomecov', '-bg', '-i', join(dir, 'M.bed'), '-g', SIZES], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    expect(bt.status).toBe(0);
    coverage('genomecov', ['--selections', 'M', '--suffix', '.bedGraph', '--normalization', 'none'], '1');
    const ours = readFileSync(join(dir, 'genomecov', 'M.bedGraph'), 'utf8');
    expect(ours.split('\n').length).toBeGreaterThan(10000);
    expect(ours).toBe(bt.stdout);
  });
});
