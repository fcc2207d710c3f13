/**
 * trans mapping throughput: variant × phenotype pairs per second of `qtlflow trans` (the whole process, from
 * reading the VCF to the Parquet written), with the native (OpenBLAS) and the portable GEMM backend, without and
 * with the permutation pass; the GFLOP/s its matrix products reached against this machine's single-thread GEMM
 * peak (measured here on a 1024³ product, as bench/cis.ts does). Prints wall and CPU seconds and peak RSS (GNU time).
 * No peer tool: tensorQTL (PyTorch) is not installable on these machines, and no Debian package maps trans-QTLs.
 *   npm run build && node dist/bench/trans.js [--vcf F --phenotypes F --covariates F] [--permutations 100]
 *        [--maf-min 0.01] [--repeat 1] [--no-portable]
 * Default inputs: refs/cis_sparse under QTLFLOW_SHARED (330 samples, 364 genes, 19,773 chr22 variants).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeGemm, portableGemm } from '../src/linalg/gemm.js';
import { peak, timed } from './timing.js';
import type { Run } from './timing.js';

const fmt = (x: number, d = 2) => x.toFixed(d).padStart(9);

function main(): void {
  const argv = process.argv.slice(2);
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const self = fileURLToPath(import.meta.url);
  const root = resolve(dirname(self), '..', '..');
  const shared = resolve(root, process.env.QTLFLOW_SHARED ?? '../shared');
  const vcf = arg('vcf') ?? join(shared, 'data/geuvadis_chr22/1kg_phase1_chr22_seqarray_geuvadis330.vcf.gz');
  const bed = arg('phenotypes') ?? join(shared, 'refs/cis_sparse/phenotypes.bed.gz');
  const cov = arg('covariates') ?? join(shared, 'refs/cis_sparse/covariates.noPHASE1.txt.gz');
  const perms = arg('permutations') ?? '100';
  const maf = arg('maf-min') ?? '0.01';
  const repeat = Number(arg('repeat') ?? 1);
  const cli = join(dirname(self), '..', 'src', 'cli', 'main.js');
  const dir = mkdtempSync(join(tmpdir(), 'qtlflow-bench-trans-'));
  const native = nativeGemm();
  try {
    console.log(`inputs: ${vcf}\n        ${bed}\n        ${cov}`);
    console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}; --maf-min ${maf}; one thread\n`);
    console.log(
      `${'run'.padEnd(28)}${'wall s'.padStart(9)}${'CPU s'.padStart(9)}${'RSS MB'.padStart(9)}${'Mpairs/s'.padStart(10)}${'GEMM GF/s'.padStart(10)}${'GEMM s'.padStart(9)}`,
    );
    const backends: ['native' | 'portable', boolean][] = [
      ['native', native !== undefined],
      ['portable', !argv.includes('--no-portable')],
    ];
    for (const [backend, on] of backends) {
      if (!on) continue;
      for (const p of ['0', perms]) {
        const out = join(dir, `${backend}_${p}`);
        let best: Run | undefined;
        for (let k = 0; k < repeat; k++) {
          const r = timed(
            process.execPath,
            [
              cli,
              'trans',
              '--genotypes',
              vcf,
              '--phenotypes',
              bed,
              '--covariates',
              cov,
              '--maf-min',
              maf,
            ].concat(['--permutations', p, '--threads', '1', '--out', out, '--quiet']),
            { QTLFLOW_GEMM: backend },
          );
          if (!best || r.wall < best.wall) best = r;
        }
        const s = JSON.parse(readFileSync(`${out}.summary.json`, 'utf8'));
        const pairs = s.pairs.tested + s.pairs.cis_excluded;
        const tested = pairs * (1 + Number(p));
        console.log(
          `${`${backend}, ${p} permutations`.padEnd(28)}${fmt(best!.wall)}${fmt(best!.cpu)}${fmt(best!.rssMb, 0)}${fmt(tested / best!.cpu / 1e6, 1).padStart(10)}${fmt(s.gemm.gflops ?? 0, 1).padStart(10)}${fmt(s.gemm.seconds)}`,
        );
      }
    }
    console.log(
      '\nMpairs/s: variant × phenotype correlations (× (1 + permutations)) per CPU second of the whole process.',
    );
    console.log('single-thread GEMM peak of this machine (C = A·Bᵀ, float64):');
    if (native) console.log(`  native: ${peak(native, 1024, 1024, 1024, 5).toFixed(1)} GFLOP/s`);
    console.log(`  portable: ${peak(portableGemm, 512, 512, 512, 3).toFixed(1)} GFLOP/s`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
