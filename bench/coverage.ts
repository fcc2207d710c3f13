/**
 * `qtlflow coverage` on a simulated 10x-style fragment file (default 20 million fragments on the hg38
 * autosomes, 10 groups of 100 barcodes, 60% of fragments in 100,000 peaks, nucleosome-ladder lengths), bin size
 * 10: bigWig and gzipped bedGraph for every group; then one group's fragments side by side with
 * `bedtools genomecov -bg` (Debian bedtools) at base resolution, where both compute the same per-base depth
 * (the outputs are compared). Prints wall seconds, CPU seconds (user + sys), peak RSS and the ratios.
 * Needs bedtools and GNU time (/usr/bin/time).
 *   npm run build && node dist/bench/coverage.js [--fragments 20000000] [--repeat 1] [--keep DIR]
 */
import { createHash } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import { Rng } from '../src/runner/random.js';
import { leastCpu as best, timed } from './timing.js';
import type { Run } from './timing.js';

const HG38: [string, number][] = [
  ['chr1', 248956422],
  ['chr2', 242193529],
  ['chr3', 198295559],
  ['chr4', 190214555],
  ['chr5', 181538259],
  ['chr6', 170805979],
  ['chr7', 159345973],
  ['chr8', 145138636],
  ['chr9', 138394717],
  ['chr10', 133797422],
  ['chr11', 135086622],
  ['chr12', 133275309],
  ['chr13', 114364328],
  ['chr14', 107043718],
  ['chr15', 101991189],
  ['chr16', 90338345],
  ['chr17', 83257441],
  ['chr18', 80373285],
  ['chr19', 58617616],
  ['chr20', 64444167],
  ['chr21', 46709983],
  ['chr22', 50818468],
];

/** Writes the fragment file (gzip), the barcode table, the chrom sizes and group G1's fragments (plain text). */
async function simulate(dir: string, total: number): Promise<void> {
  const rng = new Rng(20261201);
  const genome = HG38.reduce((a, [, s]) => a + s, 0);
  const barcodes = Array.from({ length: 1000 }, (_, i) => {
    let s = '';
    for (let k = 0, x = i * 2654435761; k < 16; k++, x = Math.floor(x / 4) + k * 7919) s += 'ACGT'[x % 4];
    return `${s}-1`;
  });
  writeFileSync(
    join(dir, 'groups.tsv'),
    'barcode\tgroup\n' + barcodes.map((b, i) => `${b}\tG${(i % 10) + 1}`).join('\n') + '\n',
  );
  writeFileSync(join(dir, 'hg38.sizes'), HG38.map(([c, s]) => `${c}\t${s}`).join('\n') + '\n');
  const gz = createGzip({ level: 1 });
  const out = createWriteStream(join(dir, 'fragments.tsv.gz'));
  gz.pipe(out);
  const g1 = createWriteStream(join(dir, 'G1.fragments.tsv'));
  for (const [chrom, size] of HG38) {
    const n = Math.round((total * size) / genome);
    const peaks = new Float64Array(Math.round((100_000 * size) / genome));
    for (let i = 0; i < peaks.length; i++) peaks[i] = Math.floor(rng.uniform() * (size - 2000));
    const starts = new Float64Array(n);
    const lens = new Uint16Array(n);
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      const len =
        u < 0.5 ? 40 + rng.uniform() * 110 : u < 0.85 ? 160 + rng.uniform() * 140 : 300 + rng.uniform() * 400;
      lens[i] = Math.floor(len);
      const s =
        rng.uniform() < 0.6
          ? peaks[Math.floor(rng.uniform() * peaks.length)] + Math.floor(rng.uniform() * 500)
          : Math.floor(rng.uniform() * (size - 1000));
      starts[i] = s;
    }
    starts.sort();
    let text = '';
    let g1text = '';
    for (let i = 0; i < n; i++) {
      const bc = Math.floor(rng.uniform() * 1000);
      const line = `${chrom}\t${starts[i]}\t${starts[i] + lens[i]}\t${barcodes[bc]}\t1\n`;
      text += line;
      if (bc % 10 === 0) g1text += line;
      if (text.length > 1 << 20) {
        if (!gz.write(text)) await once(gz, 'drain');
        text = '';
      }
      if (g1text.length > 1 << 20) {
        if (!g1.write(g1text)) await once(g1, 'drain');
        g1text = '';
      }
    }
    gz.write(text);
    g1.write(g1text);
  }
  const done = once(out, 'close');
  gz.end();
  await done;
  const g1done = once(g1, 'close');
  g1.end();
  await g1done;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string, dflt: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : dflt;
  };
  const total = Number(opt('fragments', '20000000'));
  const repeat = Number(opt('repeat', '1'));
  const keep = opt('keep', '');
  const dir = keep || mkdtempSync(join(tmpdir(), 'qtlflow-bench-coverage-'));
  mkdirSync(dir, { recursive: true });
  const cli = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');
  try {
    const t0 = Date.now();
    if (!existsSync(join(dir, 'G1.fragments.tsv'))) {
      await simulate(dir, total);
      console.log(`simulated ${total} fragments in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
    const common = [
      cli,
      'coverage',
      '--fragments',
      join(dir, 'fragments.tsv.gz'),
      '--groups',
      join(dir, 'groups.tsv'),
      '--chrom-sizes',
      join(dir, 'hg38.sizes'),
      '--quiet',
    ];
    const runs: [string, Run][] = [];
    for (const [label, extra] of [
      [
        'qtlflow coverage, 10 groups, bin 10, RPKM, bigWig',
        ['--out-dir', join(dir, 'bw'), '--bin-size', '10'],
      ],
      [
        'qtlflow coverage, 10 groups, bin 10, RPKM, bedGraph.gz',
        ['--out-dir', join(dir, 'bg'), '--bin-size', '10', '--suffix', '.bedgraph.gz'],
      ],
    ] as [string, string[]][]) {
      const r: Run[] = [];
      for (let i = 0; i < repeat; i++) r.push(timed(process.execPath, [...common, ...extra]));
      runs.push([label, best(r)]);
    }
    // one group, per-base depth: the same computation as bedtools genomecov -bg
    const g1 = join(dir, 'G1.fragments.tsv');
    const ours: Run[] = [];
    const theirs: Run[] = [];
    for (let i = 0; i < repeat; i++) {
      ours.push(
        timed(process.execPath, [
          cli,
          'coverage',
          '--fragments',
          g1,
          '--groups',
          join(dir, 'groups.tsv'),
          '--selections',
          'G1',
          '--chrom-sizes',
          join(dir, 'hg38.sizes'),
          '--out-dir',
          join(dir, 'g1'),
          '--suffix',
          '.bedgraph',
          '--bin-size',
          '1',
          '--normalization',
          'none',
          '--quiet',
        ]),
      );
      theirs.push(
        timed(
          'bedtools',
          ['genomecov', '-bg', '-i', g1, '-g', join(dir, 'hg38.sizes')],
          {},
          join(dir, 'genomecov.bg'),
        ),
      );
    }
    const md5 = (p: string) => createHash('md5').update(readFileSync(p)).digest('hex');
    const same = md5(join(dir, 'g1', 'G1.bedgraph')) === md5(join(dir, 'genomecov.bg'));
    const o = best(ours);
    const t = best(theirs);
    console.log(
      `\ncoverage: ${total} simulated fragments, 10 groups (hg38 autosomes); best of ${repeat} by CPU`,
    );
    console.log('| run | wall s | CPU s | peak RSS MB |');
    console.log('|---|---|---|---|');
    for (const [label, r] of runs)
      console.log(`| ${label} | ${r.wall.toFixed(1)} | ${r.cpu.toFixed(1)} | ${Math.round(r.rssMb)} |`);
    const g1n = readFileSync(g1, 'utf8').split('\n').length - 1;
    console.log(
      `| qtlflow coverage, group G1 only (${g1n} fragments), bin 1, raw | ${o.wall.toFixed(1)} | ${o.cpu.toFixed(1)} | ${Math.round(o.rssMb)} |`,
    );
    console.log(
      `| bedtools genomecov -bg, the same fragments | ${t.wall.toFixed(1)} | ${t.cpu.toFixed(1)} | ${Math.round(t.rssMb)} |`,
    );
    console.log(
      `\none group: bedtools / qtlflow = ${(t.wall / o.wall).toFixed(2)}× wall, ${(t.cpu / o.cpu).toFixed(2)}× CPU; outputs ${same ? 'identical' : 'DIFFER'}`,
    );
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
