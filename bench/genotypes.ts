/**
 * Genotype I/O side by side with the peer tools, on the 330-sample chr22 VCF (or any VCF given):
 *   - full decode: qtlflow's VCF reader (every genotype to a float32 dosage) vs `bcftools query -f '[%GT ]\n'`
 *   - import: `qtlflow import` to genotype Parquet vs `plink2 --make-pgen`
 *   - .pgen decode: qtlflow's .pgen reader (every genotype to a float32 dosage) vs `plink2 --pfile --freq`,
 *     on the .pgen plink2 wrote in the import row
 * Wall seconds and peak RSS from GNU time, best of N; prints ratios (peer / qtlflow: > 1 means qtlflow is faster).
 *   npm run build && node dist/bench/genotypes.js [--vcf FILE] [--repeat 5]
 * Needs bcftools, plink2 and /usr/bin/time (Debian: bcftools plink2 time).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openGenotypes } from '../src/io/genotypes/index.js';

interface Run {
  seconds: number;
  rssMb: number;
}

function timed(cmd: string, args: string[]): Run {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.slice(-500)}`);
  const [sec, kb] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { seconds: sec, rssMb: kb / 1024 };
}

function best(f: () => Run, n: number): Run {
  let b: Run | undefined;
  for (let i = 0; i < n; i++) {
    const r = f();
    if (!b || r.seconds < b.seconds) b = r;
  }
  return b!;
}

async function decodeOnly(path: string): Promise<void> {
  const r = await openGenotypes(path);
  let n = 0;
  for await (const b of r.iterBlocks()) n += b.variants.id.length;
  process.stdout.write(`${n}\n`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const self = fileURLToPath(import.meta.url);
  if (arg('decode')) return decodeOnly(arg('decode')!);
  const root = resolve(dirname(self), '..', '..');
  const vcf =
    arg('vcf') ??
    resolve(
      root,
      process.env.QTLFLOW_SHARED ?? '../shared',
      'data/geuvadis_chr22/1kg_phase1_chr22_seqarray_geuvadis330.vcf.gz',
    );
  const repeat = Number(arg('repeat') ?? 5);
  const cli = join(dirname(self), '..', 'src', 'cli', 'main.js');
  const dir = mkdtempSync(join(tmpdir(), 'qtlflow-bench-geno-'));
  try {
    const rows: [string, Run, Run][] = [];
    rows.push([
      'full decode',
      best(() => timed(process.execPath, [self, '--decode', vcf]), repeat),
      best(() => timed('bash', ['-c', `bcftools query -f '[%GT ]\\n' '${vcf}' > /dev/null`]), repeat),
    ]);
    rows.push([
      'import',
      best(
        () =>
          timed(process.execPath, [
            cli,
            'import',
            '--genotypes',
            vcf,
            '--out',
            join(dir, 'g.parquet'),
            '--quiet',
          ]),
        repeat,
      ),
      best(
        () =>
          timed('plink2', [
            '--vcf',
            vcf,
            '--make-pgen',
            '--threads',
            '1',
            '--out',
            join(dir, 'p'),
            '--silent',
          ]),
        repeat,
      ),
    ]);
    const pfile = join(dir, 'p');
    rows.push([
      '.pgen decode',
      best(() => timed(process.execPath, [self, '--decode', `${pfile}.pgen`]), repeat),
      best(
        () =>
          timed('plink2', [
            '--pfile',
            pfile,
            '--freq',
            '--threads',
            '1',
            '--out',
            join(dir, 'f'),
            '--silent',
          ]),
        repeat,
      ),
    ]);
    const peers: Record<string, string> = {
      'full decode': 'bcftools query',
      import: 'plink2 --make-pgen',
      '.pgen decode': 'plink2 --freq',
    };
    console.log(`genotypes: ${vcf}; best of ${repeat}; wall seconds (peak RSS MB)`);
    console.log('| task | qtlflow | peer | peer / qtlflow |');
    console.log('|---|---|---|---|');
    for (const [task, ours, peer] of rows) {
      const peerName = peers[task];
      console.log(
        `| ${task} | ${ours.seconds.toFixed(2)} (${Math.round(ours.rssMb)}) | ${peerName} ${peer.seconds.toFixed(2)} (${Math.round(peer.rssMb)}) | ${(peer.seconds / ours.seconds).toFixed(2)}× |`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
