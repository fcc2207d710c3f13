/**
 * `qtlflow factors` speed. PEER-like factors on 500 samples × 20,000 genes with K = 60 (the GTEx setting for
 * ≥ 350 samples): iterations per CPU second and peak RSS (PEER itself is not packaged for Debian, so there is no
 * side-by-side run; the PEER library inverts one K × K matrix per gene and iteration, this implementation none).
 * Side by side with the reference tools on the same inputs: expression PCA against R `prcomp` (the matrix handed
 * to R as raw doubles, so reading costs both sides little), and genotype PCs (MAF filter, LD pruning, PCA)
 * against plink2 on the 330-sample chr22 genotypes. Whole processes, CPU seconds and peak RSS from GNU time.
 *   npm run build && node dist/bench/factors.js [--samples 500] [--genes 20000] [--k 60] [--iterations 20]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writePhenotypes } from '../src/io/contracts.js';
import { openParquet, toFloat64 } from '../src/io/parquet.js';
import { Rng } from '../src/runner/random.js';
import { leastCpu as best, timed } from './timing.js';
import type { Run } from './timing.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');
const SHARED = resolve(ROOT, process.env.QTLFLOW_SHARED ?? '../shared');

/** One `qtlflow factors` process. */
function factorsRun(args: string[]): Run {
  return timed(process.execPath, [CLI, 'factors', ...args, '--quiet']);
}

const R_PRCOMP = `
args <- commandArgs(trailingOnly = TRUE)
n <- as.integer(args[2]); g <- as.integer(args[3]); k <- as.integer(args[4])
con <- file(args[1], "rb"); y <- matrix(readBin(con, "double", n * g), nrow = n); close(con)
p <- prcomp(y, center = TRUE, scale. = FALSE, rank. = k)
writeLines(sprintf("%.17g", p$sdev[1:k]^2), args[5])
`;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string, dflt: number): number => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : dflt;
  };
  const N = opt('samples', 500);
  const G = opt('genes', 20000);
  const K = opt('k', 60);
  const iterations = opt('iterations', 20);
  const repeat = opt('repeat', 2);
  const dir = mkdtempSync(join(tmpdir(), 'qtlflow-bench-factors-'));
  try {
    // 20 planted factors of decaying strength, gene-specific noise
    const rng = new Rng(11);
    const F = 20;
    const f = Float64Array.from({ length: N * F }, () => rng.normal());
    const y = new Float64Array(G * N);
    const bySample = new Float64Array(N * G); // column-major n × g for R
    for (let g = 0; g < G; g++) {
      const w = Array.from({ length: F }, (_, k) => rng.normal() * Math.pow(0.8, k));
      const sd = 0.5 + rng.uniform();
      for (let n = 0; n < N; n++) {
        let v = sd * rng.normal();
        for (let k = 0; k < F; k++) v += f[n * F + k] * w[k];
        y[g * N + n] = v;
        bySample[g * N + n] = v;
      }
    }
    const samples = Array.from({ length: N }, (_, j) => `S${j + 1}`);
    const ph = join(dir, 'phenotypes.parquet');
    writePhenotypes(
      ph,
      {
        chr: Array.from({ length: G }, () => 'chr1'),
        start: Int32Array.from({ length: G }, (_, g) => 1000 + 1000 * g),
        end: Int32Array.from({ length: G }, (_, g) => 1001 + 1000 * g),
        phenotypeId: Array.from({ length: G }, (_, g) => `G${g + 1}`),
        samples,
        values: y,
      },
      {},
    );
    writeFileSync(join(dir, 'y.bin'), new Uint8Array(bySample.buffer));
    writeFileSync(join(dir, 'prcomp.R'), R_PRCOMP);

    // PEER-like: a fixed number of iterations (tolerances 0), on one thread and on all cores
    const threadCounts = [...new Set([1, availableParallelism()])];
    console.log(
      `factors --method peer: ${G} genes × ${N} samples, K = ${K}, ${iterations} iterations; best of ${repeat}`,
    );
    console.log('| run | wall s | CPU s | peak RSS MB | VB iterations / CPU s | VB iterations / wall s |');
    console.log('|---|---|---|---|---|---|');
    let perCpu = 0;
    for (const threads of threadCounts) {
      const peerRuns: Run[] = [];
      let perWall = 0;
      for (let i = 0; i < repeat; i++) {
        peerRuns.push(
          factorsRun([
            '--phenotypes',
            ph,
            '--method',
            'peer',
            '--k',
            String(K),
            '--max-iter',
            String(iterations),
            '--tol',
            '0',
            '--var-tol',
            '0',
            '--threads',
            String(threads),
            '--out',
            join(dir, 'peer.parquet'),
          ]),
        );
        const s = JSON.parse(readFileSync(join(dir, 'peer.summary.json'), 'utf8'));
        if (threads === 1) perCpu = Math.max(perCpu, s.peer.iterations_per_cpu_second);
        perWall = Math.max(perWall, s.peer.iterations / s.peer.wall_seconds);
      }
      const p = best(peerRuns);
      const s = JSON.parse(readFileSync(join(dir, 'peer.summary.json'), 'utf8'));
      console.log(
        `| qtlflow factors --method peer --threads ${threads} | ${p.wall.toFixed(1)} | ${p.cpu.toFixed(1)} | ${Math.round(p.rssMb)} | ${s.peer.iterations_per_cpu_second.toFixed(3)} | ${perWall.toFixed(3)} |`,
      );
    }
    console.log(
      `at that rate PEER's default 1,000 iterations would take ${(1000 / perCpu / 60).toFixed(1)} CPU minutes; ` +
        `the residual-variance rule usually stops far earlier`,
    );

    // expression PCA vs R prcomp
    const ours: Run[] = [];
    const theirs: Run[] = [];
    for (let i = 0; i < repeat; i++) {
      ours.push(
        factorsRun([
          '--phenotypes',
          ph,
          '--method',
          'pca',
          '--k',
          String(K),
          '--out',
          join(dir, 'pca.parquet'),
        ]),
      );
      theirs.push(
        timed('Rscript', [
          join(dir, 'prcomp.R'),
          join(dir, 'y.bin'),
          String(N),
          String(G),
          String(K),
          join(dir, 'r.txt'),
        ]),
      );
    }
    const rEig = readFileSync(join(dir, 'r.txt'), 'utf8').trim().split('\n').map(Number);
    const ourEig = toFloat64(await (await openParquet(join(dir, 'pca.factors.parquet'))).column('variance'));
    const eigRel = Math.max(...rEig.map((v, c) => Math.abs(ourEig[c] - v) / v));
    const o = best(ours);
    const t = best(theirs);
    console.log(`\nexpression PCA, ${G} genes × ${N} samples, ${K} PCs; best of ${repeat}`);
    console.log('| tool | wall s | CPU s | peak RSS MB |');
    console.log('|---|---|---|---|');
    console.log(
      `| qtlflow factors --method pca | ${o.wall.toFixed(1)} | ${o.cpu.toFixed(1)} | ${Math.round(o.rssMb)} |`,
    );
    console.log(
      `| R prcomp (binary input) | ${t.wall.toFixed(1)} | ${t.cpu.toFixed(1)} | ${Math.round(t.rssMb)} |`,
    );
    console.log(
      `CPU ratio (R / qtlflow): ${(t.cpu / o.cpu).toFixed(2)}×; eigenvalues agree to ${eigRel.toExponential(2)} relative`,
    );

    // genotype PCs vs plink2 (prune + pca)
    const bfile = join(SHARED, 'refs', 'cis_sparse', 'genotypes', 'geuvadis330_chr22');
    const gph = join(SHARED, 'refs', 'cis_sparse', 'phenotypes.bed.gz');
    const g1: Run[] = [];
    const g2: Run[] = [];
    for (let i = 0; i < repeat; i++) {
      g1.push(
        factorsRun([
          '--phenotypes',
          gph,
          '--method',
          'pca',
          '--k',
          '0',
          '--genotypes',
          `${bfile}.bed`,
          '--genotype-pcs',
          '10',
          '--out',
          join(dir, 'g.parquet'),
        ]),
      );
      const common = ['--bfile', bfile, '--set-all-var-ids', '@:#', '--threads', '1'];
      const a = timed('plink2', [
        ...common,
        '--maf',
        '0.05',
        '--indep-pairwise',
        '50000',
        '200',
        '0.05',
        '--out',
        join(dir, 'pr'),
      ]);
      const b = timed('plink2', [
        ...common,
        '--extract',
        join(dir, 'pr.prune.in'),
        '--pca',
        '10',
        '--out',
        join(dir, 'pc'),
      ]);
      g2.push({ wall: a.wall + b.wall, cpu: a.cpu + b.cpu, rssMb: Math.max(a.rssMb, b.rssMb), stdout: '' });
    }
    const q = best(g1);
    const r = best(g2);
    console.log(
      `\ngenotype PCs, 330 samples × 19,773 chr22 variants (MAF ≥ 0.05, prune 50000 200 0.05, 10 PCs); best of ${repeat}`,
    );
    console.log('| tool | wall s | CPU s | peak RSS MB |');
    console.log('|---|---|---|---|');
    console.log(
      `| qtlflow factors --genotypes (phenotypes read too) | ${q.wall.toFixed(2)} | ${q.cpu.toFixed(2)} | ${Math.round(q.rssMb)} |`,
    );
    console.log(
      `| plink2 --indep-pairwise, then --pca | ${r.wall.toFixed(2)} | ${r.cpu.toFixed(2)} | ${Math.round(r.rssMb)} |`,
    );
    console.log(`CPU ratio (plink2 / qtlflow): ${(r.cpu / q.cpu).toFixed(2)}×`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
