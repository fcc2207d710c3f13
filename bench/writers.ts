/**
 * The writers side by side with htslib, on a simulated cohort (default 1,000 samples × 100,000 variants):
 *   - simulate: the genotype simulator alone (haplotypes for every sample and variant, nothing written)
 *   - write: simulate + phased VCF text + BGZF + .tbi built while writing; the writer's share is write − simulate
 *   - bgzip: htslib's `bgzip` compressing the same VCF text (one thread, same level)
 *   - index: our .tbi builder on that bgzip output vs `tabix -p vcf`
 * CPU seconds (user + sys) and peak RSS from GNU time, best of N; MB/s are uncompressed bytes per CPU second.
 *   npm run build && node dist/bench/writers.js [--samples 1000] [--variants 100000] [--length 50000000] [--level 6] [--repeat 1]
 * Needs bgzip and tabix (Debian: tabix) and /usr/bin/time (Debian: time).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { indexBgzfFile, TABIX_VCF } from '../src/io/tabix.js';
import { simulateHaplotypes, writeSimulatedVcf } from '../src/runner/simulate-genotypes.js';
import type { GenotypeSimOptions } from '../src/runner/simulate-genotypes.js';

interface Run {
  cpu: number;
  rssMb: number;
}

function timed(cmd: string, args: string[]): Run {
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S %M', cmd, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.slice(-500)}`);
  const [user, sys, kb] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { cpu: user + sys, rssMb: kb / 1024 };
}

function best(f: () => Run, n: number): Run {
  let b: Run | undefined;
  for (let i = 0; i < n; i++) {
    const r = f();
    if (!b || r.cpu < b.cpu) b = r;
  }
  return b!;
}

function main(): void {
  const argv = process.argv.slice(2);
  const arg = (name: string, fallback: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : fallback;
  };
  const o: GenotypeSimOptions = {
    samples: Number(arg('samples', '1000')),
    seed: 1,
    chromosomes: [
      {
        name: 'chr1',
        length: Number(arg('length', '50000000')),
        variants: Number(arg('variants', '100000')),
      },
    ],
  };
  const level = Number(arg('level', '6'));
  // child modes, timed from outside
  if (argv.includes('--simulate-only')) {
    let n = 0;
    for (const b of simulateHaplotypes(o)) n += b.variants.pos.length;
    process.stdout.write(`${n}\n`);
    return;
  }
  if (argv.includes('--write')) {
    const out = arg('write', '');
    writeSimulatedVcf(out, `${out}.tbi`, o, { level });
    return;
  }
  if (argv.includes('--index')) {
    const file = arg('index', '');
    indexBgzfFile(file, TABIX_VCF, `${file}.tbi`);
    return;
  }
  const self = fileURLToPath(import.meta.url);
  const repeat = Number(arg('repeat', '1'));
  const pass = argv.filter((a, i) => !['--repeat'].includes(a) && argv[i - 1] !== '--repeat');
  const dir = mkdtempSync(join(tmpdir(), 'qtlflow-bench-writers-'));
  try {
    const ours = join(dir, 'ours.vcf.gz');
    const text = join(dir, 'text.vcf');
    const peer = join(dir, 'peer.vcf.gz');
    const sim = best(() => timed(process.execPath, [self, ...pass, '--simulate-only']), repeat);
    const write = best(() => timed(process.execPath, [self, ...pass, '--write', ours]), repeat);
    spawnSync('bash', ['-c', `gzip -dc '${ours}' > '${text}'`]);
    const bytes = statSync(text).size;
    const bgzip = best(() => timed('bash', ['-c', `bgzip -l ${level} -c '${text}' > '${peer}'`]), repeat);
    const indexOurs = best(() => timed(process.execPath, [self, '--index', peer]), repeat);
    const indexPeer = best(() => timed('tabix', ['-f', '-p', 'vcf', peer]), repeat);
    const writer = write.cpu - sim.cpu;
    const mb = bytes / 1e6;
    console.log(
      `${o.samples} samples × ${o.chromosomes[0].variants} variants: ${mb.toFixed(0)} MB of VCF text, ` +
        `${(statSync(ours).size / 1e6).toFixed(1)} MB bgzipped (level ${level}); CPU s (peak RSS MB), best of ${repeat}`,
    );
    console.log('| task | qtlflow | peer | peer / qtlflow |');
    console.log('|---|---|---|---|');
    console.log(`| simulate | ${sim.cpu.toFixed(2)} (${Math.round(sim.rssMb)}) | — | — |`);
    console.log(
      `| write VCF + .tbi (writer share ${writer.toFixed(2)} s = ${(mb / writer).toFixed(0)} MB/s) | ${write.cpu.toFixed(2)} (${Math.round(write.rssMb)}) | bgzip ${bgzip.cpu.toFixed(2)} (${Math.round(bgzip.rssMb)}) = ${(mb / bgzip.cpu).toFixed(0)} MB/s | ${(bgzip.cpu / writer).toFixed(2)}× |`,
    );
    console.log(
      `| index the bgzip output | ${indexOurs.cpu.toFixed(2)} (${Math.round(indexOurs.rssMb)}) | tabix -p vcf ${indexPeer.cpu.toFixed(2)} (${Math.round(indexPeer.rssMb)}) | ${(indexPeer.cpu / indexOurs.cpu).toFixed(2)}× |`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
