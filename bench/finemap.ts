/**
 * SuSiE fits side by side with susieR (R, Debian r-cran-susier 0.12.35) on the same simulated genes: 1,000
 * samples × 5,000 variants with LD (haplotypes copied from 20 founders with switches), three causal variants
 * per gene, L = 10, estimated prior and residual variances (susieR's defaults). Each tool gets the same
 * float64 matrix and phenotypes, fits every gene, and reports CPU seconds of the fits alone; GNU time gives
 * the CPU seconds and peak RSS of each whole process. Prints the ratio (susieR / qtlflow: > 1 means qtlflow is
 * faster) and the largest PIP difference between the tools. susieR runs with one OpenBLAS thread (qtlflow's
 * fit is single-threaded), so CPU seconds compare like with like.
 *   npm run bench:finemap -- [--samples 1000] [--variants 5000] [--genes 3] [--L 10]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../src/runner/random.js';
import { fineMapIndividual } from '../src/stages/finemap/index.js';

const R_SCRIPT = `
suppressMessages(library(susieR))
args <- commandArgs(trailingOnly = TRUE)
n <- as.integer(args[2]); p <- as.integer(args[3]); genes <- as.integer(args[4]); L <- as.integer(args[5])
cpu <- 0
for (g in seq_len(genes)) {
  X <- matrix(readBin(file.path(args[1], sprintf("X%d.bin", g)), "double", n * p), n, p)
  y <- readBin(file.path(args[1], sprintf("y%d.bin", g)), "double", n)
  t0 <- proc.time()
  fit <- susie(X, y, L = L)
  t1 <- proc.time()
  cpu <- cpu + (t1[["user.self"]] - t0[["user.self"]]) + (t1[["sys.self"]] - t0[["sys.self"]])
  writeBin(as.double(fit$pip), file.path(args[1], sprintf("pipR%d.bin", g)))
  cat(sprintf("gene %d: niter %d, %d CS\\n", g, fit$niter, length(fit$sets$cs)), file = stderr())
}
cat(sprintf("%.4f\\n", cpu))
`;

interface Proc {
  cpu: number;
  wall: number;
  rssMb: number;
  stdout: string;
  log: string[];
}

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Proc {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', cmd, ...args], {
    encoding: 'utf8',
    env,
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  const [wall, user, sys, kb] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  const log = r.stderr
    .trim()
    .split('\n')
    .slice(0, -1)
    .filter((l) => l.startsWith('gene '));
  return { wall, cpu: user + sys, rssMb: kb / 1024, stdout: r.stdout, log };
}

/** Genotypes with LD: each haplotype copies one of `founders` haplotypes, switching with probability 1%. */
function simulateGene(n: number, p: number, seed: number) {
  const rng = new Rng(seed);
  const founders = 20;
  const fh = new Uint8Array(founders * p);
  for (let f = 0; f < founders; f++) for (let j = 0; j < p; j++) fh[f * p + j] = rng.uniform() < 0.3 ? 1 : 0;
  const x = new Float64Array(n * p); // column-major (R's layout): sample i, variant j at j·n + i
  for (let i = 0; i < n; i++)
    for (let h = 0; h < 2; h++) {
      let f = Math.floor(rng.uniform() * founders);
      for (let j = 0; j < p; j++) {
        if (rng.uniform() < 0.01) f = Math.floor(rng.uniform() * founders);
        x[j * n + i] += fh[f * p + j] ^ (rng.uniform() < 0.002 ? 1 : 0);
      }
    }
  const y = new Float64Array(n);
  for (const [j, b] of [
    [Math.floor(p * 0.2), 0.4],
    [Math.floor(p * 0.5), -0.3],
    [Math.floor(p * 0.8), 0.25],
  ])
    for (let i = 0; i < n; i++) y[i] += b * x[j * n + i];
  for (let i = 0; i < n; i++) y[i] += rng.normal();
  return { x, y };
}

function opt(argv: string[], name: string, dflt: number): number {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
}

/** The qtlflow side, in its own process so GNU time measures it alone. */
function worker(dir: string, n: number, p: number, genes: number, L: number): void {
  let cpu = 0;
  for (let g = 1; g <= genes; g++) {
    const x = new Float64Array(readFileSync(join(dir, `X${g}.bin`)).buffer.slice(0));
    const y = new Float64Array(readFileSync(join(dir, `y${g}.bin`)).buffer.slice(0));
    // variable-major rows for qtlflow: the column-major n × p matrix is exactly that
    const t0 = process.cpuUsage();
    const r = fineMapIndividual(x, p, n, y, { L });
    const t = process.cpuUsage(t0);
    cpu += (t.user + t.system) / 1e6;
    writeFileSync(join(dir, `pipQ${g}.bin`), Buffer.from(r.fit.pip.buffer));
    process.stderr.write(`gene ${g}: niter ${r.fit.niter}, ${r.fit.sets.filter((c) => c.pure).length} CS\n`);
  }
  process.stdout.write(`${cpu.toFixed(4)}\n`);
}

function main(): void {
  const argv = process.argv.slice(2);
  const n = opt(argv, 'samples', 1000);
  const p = opt(argv, 'variants', 5000);
  const genes = opt(argv, 'genes', 3);
  const L = opt(argv, 'L', 10);
  if (argv[0] === '--worker') return worker(argv[1], n, p, genes, L);
  const dir = mkdtempSync(join(tmpdir(), 'qtlflow-bench-finemap-'));
  try {
    for (let g = 1; g <= genes; g++) {
      const { x, y } = simulateGene(n, p, 1000 + g);
      writeFileSync(join(dir, `X${g}.bin`), Buffer.from(x.buffer));
      writeFileSync(join(dir, `y${g}.bin`), Buffer.from(y.buffer));
    }
    writeFileSync(join(dir, 'susie.R'), R_SCRIPT);
    const self = fileURLToPath(import.meta.url);
    const common = [
      '--samples',
      String(n),
      '--variants',
      String(p),
      '--genes',
      String(genes),
      '--L',
      String(L),
    ];
    const q = timed(process.execPath, [self, '--worker', dir, ...common]);
    const r = timed('Rscript', [join(dir, 'susie.R'), dir, String(n), String(p), String(genes), String(L)], {
      ...process.env,
      OPENBLAS_NUM_THREADS: '1',
      OMP_NUM_THREADS: '1',
    });
    let maxDiff = 0;
    for (let g = 1; g <= genes; g++) {
      const a = new Float64Array(readFileSync(join(dir, `pipQ${g}.bin`)).buffer.slice(0));
      const b = new Float64Array(readFileSync(join(dir, `pipR${g}.bin`)).buffer.slice(0));
      for (let j = 0; j < p; j++) maxDiff = Math.max(maxDiff, Math.abs(a[j] - b[j]));
    }
    const qFit = Number(q.stdout.trim());
    const rFit = Number(r.stdout.trim());
    console.log(
      `SuSiE: ${n} samples × ${p} variants, L = ${L}, ${genes} genes (float64 input read from disk by both)`,
    );
    console.log('| tool | fit CPU s / gene | process CPU s | process wall s | peak RSS MB |');
    console.log('|---|---|---|---|---|');
    console.log(
      `| qtlflow (fineMapIndividual) | ${(qFit / genes).toFixed(2)} | ${q.cpu.toFixed(2)} | ${q.wall.toFixed(2)} | ${Math.round(q.rssMb)} |`,
    );
    console.log(
      `| susieR 0.12.35 susie() | ${(rFit / genes).toFixed(2)} | ${r.cpu.toFixed(2)} | ${r.wall.toFixed(2)} | ${Math.round(r.rssMb)} |`,
    );
    console.log(`iterations and credible sets: qtlflow ${q.log.join('; ')} | susieR ${r.log.join('; ')}`);
    console.log(
      `ratio susieR / qtlflow: fit CPU ${(rFit / qFit).toFixed(2)}×, process CPU ${(r.cpu / q.cpu).toFixed(2)}×; max |ΔPIP| between the tools ${maxDiff.toExponential(2)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
