/**
 * cis mapping side by side with FastQTL on the same inputs: the nominal pass and the permutation pass
 * (1000 permutations), qtlflow with the native (OpenBLAS) and the portable GEMM backend. Prints wall and CPU
 * seconds and peak RSS of each whole process (GNU time), the ratios FastQTL / qtlflow (> 1: qtlflow faster),
 * and the GFLOP/s the permutation products reached against this machine's measured single-thread GEMM peak.
 *   npm run build && node dist/bench/cis.js [--vcf F --phenotypes F --covariates F] [--permutations 1000]
 *        [--threads N] [--repeat 1] [--no-portable] [--simulate SAMPLES,VARIANTS,GENES]
 *        [--modes nominal,permute]
 * Default inputs: refs/cis_sparse under QTLFLOW_SHARED (330 samples, 364 genes, chr22). --simulate runs both
 * tools on a simulated cohort instead (simulate-cohort.ts: one 100 Mb chromosome, no covariates), e.g.
 * 1000,100000,1000 for a genome-scale density of pairs per phenotype.
 * Needs fastQTL (Debian: fastqtl) and /usr/bin/time (Debian: time).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeGemm, portableGemm } from '../src/linalg/gemm.js';
import { simulateCohort } from './simulate-cohort.js';
import { best, peak, timed } from './timing.js';
import type { Run } from './timing.js';

const fmt = (x: number, d = 2) => x.toFixed(d).padStart(8);

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const self = fileURLToPath(import.meta.url);
  const root = resolve(dirname(self), '..', '..');
  const shared = resolve(root, process.env.QTLFLOW_SHARED ?? '../shared');
  const dir = mkdtempSync(join(tmpdir(), 'qtlflow-bench-cis-'));
  let vcf = arg('vcf') ?? join(shared, 'data/geuvadis_chr22/1kg_phase1_chr22_seqarray_geuvadis330.vcf.gz');
  let bed = arg('phenotypes') ?? join(shared, 'refs/cis_sparse/phenotypes.bed.gz');
  let cov: string | undefined = arg('covariates') ?? join(shared, 'refs/cis_sparse/covariates.txt.gz');
  const sim = arg('simulate');
  if (sim) {
    const [samples, variants, genes] = sim.split(',').map(Number);
    const cohort = simulateCohort(dir, samples, variants);
    vcf = cohort.vcf;
    bed = cohort.phenotypes(genes);
    cov = undefined;
  }
  const P = arg('permutations') ?? '1000';
  const threads = arg('threads') ?? String(availableParallelism());
  const repeat = Number(arg('repeat') ?? 1);
  const modes = (arg('modes') ?? 'nominal,permute').split(',');
  const cli = join(dirname(self), '..', 'bin', 'qtlflow.mjs');
  const native = nativeGemm();
  try {
    const fastqtl = (extra: string[]) =>
      timed('fastQTL', [
        '--vcf',
        vcf,
        '--bed',
        bed,
        ...(cov ? ['--cov', cov] : []),
        '--window',
        '1e6',
        '--chunk',
        '1',
        '1',
        '--out',
        join(dir, 'fq.txt.gz'),
        '--silent',
        ...extra,
      ]);
    const qtlflow = (mode: string, out: string, env: Record<string, string> = {}) =>
      timed(
        process.execPath,
        [
          cli,
          'cis',
          '--genotypes',
          vcf,
          '--phenotypes',
          bed,
          ...(cov ? ['--covariates', cov] : []),
          '--mode',
          mode,
          '--permutations',
          P,
          '--threads',
          threads,
          '--out',
          join(dir, out),
          '--quiet',
        ],
        env,
      );
    const summary = (out: string) => JSON.parse(readFileSync(join(dir, `${out}.summary.json`), 'utf8'));
    console.log(`inputs: ${vcf}\n        ${bed}\n        ${cov ?? '(no covariates)'}`);
    console.log(
      `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}; qtlflow --threads ${threads}; ${P} permutations\n`,
    );

    const rows: { task: string; peer: Run; ours: Run; note?: string }[] = [];
    if (modes.includes('nominal'))
      rows.push({
        task: 'nominal',
        peer: best(() => fastqtl([]), repeat),
        ours: best(() => qtlflow('nominal', 'nom'), repeat),
      });
    if (modes.includes('permute')) {
      const fqPerm = best(() => fastqtl(['--permute', P, '--seed', '123456789']), repeat);
      if (native) {
        const r = best(() => qtlflow('permute', 'perm_native', { QTLFLOW_GEMM: 'native' }), repeat);
        const s = summary('perm_native').permutation_gemm;
        rows.push({
          task: 'permute (native BLAS)',
          peer: fqPerm,
          ours: r,
          note: `GEMM ${s.gflops_per_thread} GFLOP/s per thread, ${s.seconds} s of ${s.gflop} GFLOP`,
        });
      }
      if (!argv.includes('--no-portable')) {
        const r = best(() => qtlflow('permute', 'perm_portable', { QTLFLOW_GEMM: 'portable' }), repeat);
        const s = summary('perm_portable').permutation_gemm;
        rows.push({
          task: 'permute (portable)',
          peer: fqPerm,
          ours: r,
          note: `GEMM ${s.gflops_per_thread} GFLOP/s per thread, ${s.seconds} s of ${s.gflop} GFLOP`,
        });
      }
    }
    console.log(
      'task                      FastQTL wall  cpu    RSS MB | qtlflow wall  cpu    RSS MB | ratio wall  cpu',
    );
    for (const r of rows)
      console.log(
        `${r.task.padEnd(24)} ${fmt(r.peer.wall)} ${fmt(r.peer.cpu)} ${fmt(r.peer.rssMb, 0)} | ${fmt(r.ours.wall)} ${fmt(r.ours.cpu)} ${fmt(r.ours.rssMb, 0)} | ${fmt(r.peer.wall / r.ours.wall)}× ${fmt(r.peer.cpu / r.ours.cpu)}×${r.note ? `\n${' '.repeat(26)}${r.note}` : ''}`,
      );
    console.log('\nsingle-thread GEMM peak of this machine (C = A·Bᵀ, float64):');
    if (native)
      console.log(
        `  native (${native.detail.split(' ').slice(0, 2).join(' ')}): ${peak(native, 1024, 1024, 1024, 5).toFixed(1)} GFLOP/s`,
      );
    console.log(`  portable: ${peak(portableGemm, 512, 512, 512, 3).toFixed(1)} GFLOP/s`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
