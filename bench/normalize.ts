/**
 * `qtlflow normalize` side by side with edgeR (R, Debian r-bioc-edger) on the same simulated counts:
 * read a gzipped TSV, TMM factors, TMM-CPM, the GTEx count filter, the inverse normal transform, write a
 * binary result (qtlflow: Parquet; R: saveRDS). Prints wall seconds, peak RSS and the ratio, and checks that
 * both computed the same TMM factors. Needs Rscript with edgeR and GNU time (/usr/bin/time).
 *   npm run build && node dist/bench/normalize.js [--samples 500] [--genes 20000] [--repeat 3]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { simulateCohort } from '../src/runner/simulate.js';

const R_SCRIPT = `
suppressMessages(library(edgeR))
args <- commandArgs(trailingOnly = TRUE)
x <- read.table(gzfile(args[1]), header = TRUE, sep = "\\t", row.names = 1, check.names = FALSE)
counts <- as.matrix(x)
nf <- calcNormFactors(counts, method = "TMM")
y <- DGEList(counts = counts); y$samples$norm.factors <- nf
cpmv <- cpm(y, normalized.lib.sizes = TRUE)
keep <- rowSums(counts >= 6) >= 0.2 * ncol(counts)
n <- ncol(cpmv)
int <- t(apply(cpmv[keep, , drop = FALSE], 1, function(v) qnorm(rank(v, ties.method = "average") / (n + 1))))
saveRDS(int, args[2])
writeLines(sprintf("%.17g", nf), args[3])
`;

interface Run {
  seconds: number;
  rssMb: number;
}

function timed(cmd: string, args: string[]): Run {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  const [sec, kb] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { seconds: sec, rssMb: kb / 1024 };
}

function best(runs: Run[]): Run {
  return runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
}

function main(): void {
  const argv = process.argv.slice(2);
  const opt = (name: string, dflt: number): number => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : dflt;
  };
  const samples = opt('samples', 500);
  const genes = opt('genes', 20000);
  const repeat = opt('repeat', 3);
  const dir = mkdtempSync(join(tmpdir(), 'qtlflow-bench-normalize-'));
  const cli = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');
  try {
    const c = simulateCohort({ samples, genes, seed: 7 });
    const lines = [['gene_id', ...c.samples].join('\t')];
    const ann: string[] = [];
    c.geneIds.forEach((id, g) => {
      lines.push([id, ...Array.from(c.counts.subarray(g * samples, (g + 1) * samples), String)].join('\t'));
      ann.push(`${c.chr[g]}\t${c.start[g]}\t${c.end[g]}\t${id}\t0\t${c.strand[g]}`);
    });
    const tsv = join(dir, 'counts.tsv.gz');
    writeFileSync(tsv, gzipSync(lines.join('\n') + '\n'));
    writeFileSync(join(dir, 'genes.bed'), ann.join('\n') + '\n');
    writeFileSync(join(dir, 'tmm.R'), R_SCRIPT);
    const ours: Run[] = [];
    const theirs: Run[] = [];
    for (let i = 0; i < repeat; i++) {
      ours.push(
        timed(process.execPath, [
          cli,
          'normalize',
          '--input',
          tsv,
          '--annotation',
          join(dir, 'genes.bed'),
          '--out',
          join(dir, 'q.parquet'),
          '--int',
          '--quiet',
          '--report',
          join(dir, 'q.json'),
        ]),
      );
      theirs.push(
        timed('Rscript', [join(dir, 'tmm.R'), tsv, join(dir, 'r.rds'), join(dir, 'r.factors.txt')]),
      );
    }
    const report = JSON.parse(readFileSync(join(dir, 'q.json'), 'utf8')) as {
      samples: { norm_factor: number }[];
    };
    const rf = readFileSync(join(dir, 'r.factors.txt'), 'utf8').trim().split('\n').map(Number);
    let maxRel = 0;
    report.samples.forEach((s, j) => (maxRel = Math.max(maxRel, Math.abs(s.norm_factor - rf[j]) / rf[j])));
    const o = best(ours);
    const t = best(theirs);
    console.log(
      `normalize: ${genes} genes × ${samples} samples, gzipped TSV in, binary out; best of ${repeat}`,
    );
    console.log('| tool | wall s | peak RSS MB |');
    console.log('|---|---|---|');
    console.log(`| qtlflow normalize | ${o.seconds.toFixed(2)} | ${Math.round(o.rssMb)} |`);
    console.log(
      `| R edgeR (calcNormFactors, cpm, filter, INT) | ${t.seconds.toFixed(2)} | ${Math.round(t.rssMb)} |`,
    );
    console.log(
      `speed ratio (edgeR / qtlflow): ${(t.seconds / o.seconds).toFixed(2)}×; TMM factors max rel diff ${maxRel.toExponential(2)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
