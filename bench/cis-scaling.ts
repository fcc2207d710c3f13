/**
 * cis mapping at scale on simulated data: 1,000 samples, 100,000 variants (one 100 Mb chromosome, founder-mosaic
 * LD, simulate-genotypes.ts), and 250, 500 and 1,000 phenotypes spread along it; the nominal and the permutation
 * pass (1000 permutations). Prints wall and CPU seconds and peak RSS (GNU time) of each run: memory is bounded by
 * the cis window, so it must not grow with the number of phenotypes.
 *   npm run build && node dist/bench/cis-scaling.js [--samples 1000] [--variants 100000] [--genes 250,500,1000]
 *        [--permutations 1000] [--threads N]
 * Needs /usr/bin/time (Debian: time).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simulateCohort } from './simulate-cohort.js';
import { timed } from './timing.js';

function main(): void {
  const argv = process.argv.slice(2);
  const arg = (name: string, d: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : d;
  };
  const samples = Number(arg('samples', '1000'));
  const variants = Number(arg('variants', '100000'));
  const geneCounts = arg('genes', '250,500,1000').split(',').map(Number);
  const P = arg('permutations', '1000');
  const threads = arg('threads', String(availableParallelism()));
  const length = 100_000_000;
  const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'qtlflow.mjs');
  const dir = mkdtempSync(join(tmpdir(), 'qtlflow-bench-scaling-'));
  try {
    const t0 = process.hrtime.bigint();
    const cohort = simulateCohort(dir, samples, variants, length);
    const vcf = cohort.vcf;
    console.log(
      `simulated ${samples} samples × ${variants} variants in ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(1)} s`,
    );
    const geno = join(dir, 'genotypes.parquet');
    const imp = timed(process.execPath, [cli, 'import', '--genotypes', vcf, '--out', geno, '--quiet']);
    console.log(
      `import to genotype Parquet: ${imp.wall.toFixed(1)} s wall, ${imp.cpu.toFixed(1)} s CPU, ${imp.rssMb.toFixed(0)} MB`,
    );
    console.log('\nphenotypes  mode     wall s   CPU s   peak RSS MB   pairs/s (nominal) or phenotypes/s');
    for (const G of geneCounts) {
      const bed = cohort.phenotypes(G);
      for (const mode of ['nominal', 'permute']) {
        const out = join(dir, `out${G}${mode}`);
        const r = timed(process.execPath, [
          cli,
          'cis',
          '--genotypes',
          geno,
          '--phenotypes',
          bed,
          '--mode',
          mode,
          '--permutations',
          P,
          '--threads',
          threads,
          '--out',
          out,
          '--quiet',
        ]);
        const pairs = G * (variants / length) * 2_000_000;
        const rate =
          mode === 'nominal'
            ? `${(pairs / r.wall).toExponential(2)} pairs/s`
            : `${(G / r.wall).toFixed(1)} phenotypes/s`;
        console.log(
          `${String(G).padStart(10)}  ${mode.padEnd(8)} ${r.wall.toFixed(1).padStart(6)}  ${r.cpu.toFixed(1).padStart(6)}  ${r.rssMb.toFixed(0).padStart(12)}   ${rate}`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
