/**
 * `qtlflow report` on large simulated nominal tables: 22 chromosomes, 1,000-variant cis windows, 10% of the
 * genes with a cis-eQTL (strong p-values around a lead variant), the rest null. For each size the report runs as
 * a whole process (Node start-up included), and R computes λ_GC from the same p-values held in memory
 * (`median(qchisq(p, 1, lower.tail = FALSE)) / qchisq(0.5, 1)` after `scan()` of a text file), the in-memory
 * computation the report's two streamed passes replace. Prints CPU seconds, peak RSS, the HTML size and both
 * λ values. Needs R (Rscript) and GNU time (/usr/bin/time).
 *   npm run build && node dist/bench/report.js [--pairs 1000000,5000000] [--keep DIR]
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ParquetTableWriter } from '../src/io/parquet.js';
import { CIS_NOMINAL } from '../src/io/results.js';
import { Rng } from '../src/runner/random.js';
import { timed } from './timing.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dist', 'bin', 'qtlflow.mjs');
const WINDOW = 1000;

/** One nominal table per chromosome, and every p-value as text for R. */
async function simulate(dir: string, pairs: number): Promise<void> {
  const rng = new Rng(20261202);
  const genes = Math.ceil(pairs / WINDOW);
  const perChr = Math.ceil(genes / 22);
  const text = createWriteStream(join(dir, 'pvalues.txt'));
  let written = 0;
  for (let c = 1; c <= 22 && written < pairs; c++) {
    const w = new ParquetTableWriter(join(dir, `sim.cis_qtl_pairs.${c}.parquet`), CIS_NOMINAL.columns, {
      schema: CIS_NOMINAL.schema,
      params: {},
    });
    for (let g = 0; g < perChr && written < pairs; g++) {
      const n = Math.min(WINDOW, pairs - written);
      const tss = 1_000_000 + g * 400_000;
      const signal = rng.uniform() < 0.1;
      const lead = Math.floor(rng.uniform() * n);
      const id = `G${c}_${g}`;
      const p = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        // an eQTL: z decays with distance (in variants) from the lead, as LD would make it
        const z = signal ? 8 * Math.exp(-Math.abs(i - lead) / 20) + rng.normal() : rng.normal();
        p[i] = Math.min(1, 2 * normalUpper(Math.abs(z)));
      }
      w.write([
        Array.from({ length: n }, () => id),
        Array.from({ length: n }, (_, i) => `${c}:${tss - 500_000 + i * 1000}`),
        Int32Array.from({ length: n }, (_, i) => -500_000 + i * 1000),
        Float64Array.from({ length: n }, () => 0.2),
        Int32Array.from({ length: n }, () => 50),
        Int32Array.from({ length: n }, () => 60),
        p,
        Float64Array.from({ length: n }, () => 0.1),
        Float64Array.from({ length: n }, () => 0.05),
      ]);
      let s = '';
      for (let i = 0; i < n; i++) s += `${p[i]}\n`;
      if (!text.write(s)) await once(text, 'drain');
      written += n;
    }
    w.close();
  }
  const done = once(text, 'close');
  text.end();
  await done;
}

/** Upper tail of the standard normal (Abramowitz–Stegun 26.2.17 is enough for simulated data). */
function normalUpper(z: number): number {
  const t = 1 / (1 + 0.2316419 * z);
  const d = Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI);
  return d * t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string, dflt: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : dflt;
  };
  const sizes = opt('pairs', '1000000,5000000').split(',').map(Number);
  const keep = argv.includes('--keep') ? opt('keep', '') : undefined;
  const rows: string[] = [];
  for (const pairs of sizes) {
    const dir = keep ? join(keep, String(pairs)) : mkdtempSync(join(tmpdir(), 'qtlflow-bench-report-'));
    mkdirSync(dir, { recursive: true });
    await simulate(dir, pairs);
    const html = join(dir, 'out', 'report.html');
    const report = timed(process.execPath, [CLI, 'report', '--out', html, '--quiet', ...[dir]]);
    const summary = JSON.parse(
      spawnSync('cat', [join(dir, 'out', 'report.summary.json')], { encoding: 'utf8' }).stdout,
    ) as { lambda_gc: number; nominal: { pairs: number; manhattan_points: number } };
    const r = timed('Rscript', [
      '-e',
      `p <- scan("${join(dir, 'pvalues.txt')}", quiet = TRUE); cat(sprintf("%.15g", median(qchisq(p, 1, lower.tail = FALSE)) / qchisq(0.5, 1)))`,
    ]);
    const lambdaR = Number(r.stdout.trim());
    rows.push(
      `| ${pairs.toLocaleString('en')} | ${report.cpu.toFixed(1)} | ${report.rssMb.toFixed(0)} | ${(statSync(html).size / 1e6).toFixed(2)} | ${summary.nominal.manhattan_points} | ${r.cpu.toFixed(1)} | ${r.rssMb.toFixed(0)} | ${summary.lambda_gc.toFixed(6)} | ${lambdaR.toFixed(6)} | ${Math.abs(summary.lambda_gc - lambdaR).toExponential(1)} |`,
    );
    console.log(
      `${pairs} pairs: report ${report.cpu.toFixed(1)} CPU s (${report.wall.toFixed(1)} s wall), ${report.rssMb.toFixed(0)} MB; R λ ${r.cpu.toFixed(1)} CPU s, ${r.rssMb.toFixed(0)} MB; CPU ratio report/R ${(report.cpu / r.cpu).toFixed(2)}, RSS ratio ${(report.rssMb / r.rssMb).toFixed(2)}`,
    );
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    '\n| pairs | report CPU s | report peak RSS MB | HTML MB | Manhattan points | R λ CPU s | R peak RSS MB | λ_GC report | λ_GC R | abs diff |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(r);
}

await main();
