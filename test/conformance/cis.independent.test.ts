/**
 * `cis --mode independent` (tensorQTL's map_independent, forward–backward) on real data (refs/cis_sparse,
 * covariates PC1–PC3 so that the residual df equals lm's):
 *  - every conditional signal's pval_nominal, slope and slope_se equal R's lm(y ~ PCs + the other forward
 *    variants + g) within 1e-8 relative (the model the signal is tested in);
 *  - against QTLtools 1.3.1's own conditional pass (`cis --mapping`, its forward–backward with per-gene nominal
 *    thresholds from its permutation pass): the same number of signals for most eGenes and mostly the same
 *    variants. The two differ by design (QTLtools residualizes only the phenotype, uses df = n − 2, fixed
 *    thresholds instead of a beta fit per step, and its own permutations), so agreement is statistical.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { openGenotypes } from '../../src/io/genotypes/index.js';
import { region } from '../../src/io/genotypes/filters.js';
import { openParquet, toFloat64, toInt32, toStrings } from '../../src/io/parquet.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { sharedPath } from '../helpers/shared.js';

const VCF = () => sharedPath('data/geuvadis_chr22/1kg_phase1_chr22_seqarray_geuvadis330.vcf.gz');
const REF = (f: string) => sharedPath('refs/cis_sparse', f);
const dir = tempDir();

function table(file: string): string[][] {
  return gunzipSync(readFileSync(file))
    .toString()
    .trim()
    .split('\n')
    .map((l) => l.split('\t'));
}

interface Signal {
  gene: string;
  variant: string;
  pos: number;
  rank: number;
  p: number;
  slope: number;
  se: number;
}

let signals: Signal[];
let forward: Record<string, string[]>;
let tss: Map<string, number>;

beforeAll(async () => {
  const out = join(dir, 'ind');
  const r = runCli([
    'cis',
    '--genotypes',
    VCF(),
    '--phenotypes',
    REF('phenotypes.bed.gz'),
    '--covariates',
    REF('covariates.noPHASE1.txt.gz'),
    '--mode',
    'independent',
    '--out',
    out,
    '--quiet',
  ]);
  expect([r.code, r.stderr]).toEqual([0, '']);
  const t = await openParquet(`${out}.cis_independent_qtl.parquet`);
  const gene = toStrings(await t.column('phenotype_id'));
  const variant = toStrings(await t.column('variant_id'));
  const dist = toInt32(await t.column('start_distance'));
  const rank = toInt32(await t.column('rank'));
  const p = toFloat64(await t.column('pval_nominal'));
  const slope = toFloat64(await t.column('slope'));
  const se = toFloat64(await t.column('slope_se'));
  tss = new Map(
    table(REF('phenotypes.bed.gz'))
      .slice(1)
      .map((f) => [f[3], Number(f[1]) + 1]),
  );
  signals = gene.map((g, i) => ({
    gene: g,
    variant: variant[i],
    pos: tss.get(g)! + dist[i],
    rank: rank[i],
    p: p[i],
    slope: slope[i],
    se: se[i],
  }));
  forward = JSON.parse(readFileSync(`${out}.summary.json`, 'utf8')).independent.forward_selected;
}, 600_000);

test('conditional signals equal R lm with the other forward variants as covariates (1e-8 relative)', async () => {
  const multi = signals.filter((s) => forward[s.gene]);
  expect(multi.length).toBeGreaterThanOrEqual(10);
  // inputs for R: one table per signal (y, PC1–3, the conditioning genotypes, g)
  const bed = table(REF('phenotypes.bed.gz'));
  const samples = bed[0].slice(4);
  const covRows = table(REF('covariates.noPHASE1.txt.gz'));
  const covIdx = covRows[0].slice(1).map((s) => samples.indexOf(s));
  expect(covIdx.every((j, i) => j === i)).toBe(true); // same sample order as the BED
  const reader = await openGenotypes(VCF());
  const vcfSamples = await reader.samples();
  const gIdx = samples.map((s) => vcfSamples.indexOf(s));
  const dosage = async (pos: number): Promise<number[]> => {
    for await (const b of reader.iterRegions([region(`22:${pos}-${pos}`)]))
      for (let v = 0; v < b.variants.pos.length; v++)
        if (b.variants.pos[v] === pos) return gIdx.map((j) => b.dosages[v * b.nSamples + j]);
    throw new Error(`no variant at 22:${pos}`);
  };
  const posOf = new Map<string, number>(); // variant ID (as the cis stage names variants) → position
  for await (const b of reader.iterBlocks())
    b.variants.id.forEach((id, v) =>
      posOf.set(id === '.' ? `22:${b.variants.pos[v]}` : id, b.variants.pos[v]),
    );
  const files: string[] = [];
  for (const [i, s] of multi.entries()) {
    const conditioning = forward[s.gene].filter((_, k) => k !== s.rank - 1);
    const cond = [];
    for (const v of conditioning) cond.push(await dosage(posOf.get(v)!));
    const g = await dosage(s.pos);
    const y = bed
      .find((f) => f[3] === s.gene)!
      .slice(4)
      .map(Number);
    const header = ['y', 'PC1', 'PC2', 'PC3', ...cond.map((_, c) => `c${c + 1}`), 'g'];
    const lines = [header.join('\t')];
    for (let j = 0; j < samples.length; j++)
      lines.push(
        [y[j], covRows[1][j + 1], covRows[2][j + 1], covRows[3][j + 1], ...cond.map((c) => c[j]), g[j]].join(
          '\t',
        ),
      );
    const f = join(dir, `case${i}.tsv`);
    writeFileSync(f, lines.join('\n') + '\n');
    files.push(f);
  }
  await reader.close();
  const script = join(dir, 'lm.R');
  writeFileSync(
    script,
    `for (f in commandArgs(TRUE)) { d <- read.delim(f); s <- summary(lm(y ~ ., data = d))$coefficients["g", ];
       cat(sprintf("%.17g\\t%.17g\\t%.17g\\n", s[4], s[1], s[2])) }\n`,
  );
  const r = spawnSync('Rscript', [script, ...files], { encoding: 'utf8' });
  expect([r.status, r.stderr]).toEqual([0, '']);
  const ref = r.stdout
    .trim()
    .split('\n')
    .map((l) => l.split('\t').map(Number));
  let worst = 0;
  multi.forEach((s, i) => {
    const [p, slope, se] = ref[i];
    worst = Math.max(
      worst,
      Math.abs(s.p - p) / p,
      Math.abs(s.slope - slope) / Math.abs(slope),
      Math.abs(s.se - se) / se,
    );
  });
  console.log(
    `independent: ${multi.length} conditional signals vs R lm, max relative difference ${worst.toExponential(2)}`,
  );
  expect(worst).toBeLessThan(1e-8);
}, 300_000);

test('agrees with QTLtools’ conditional pass on the number and identity of signals', () => {
  const out = join(dir, 'qtltools.conditional.txt');
  const r = spawnSync(
    'QTLtools',
    [
      'cis',
      '--vcf',
      VCF(),
      '--bed',
      REF('phenotypes.qtltools.bed.gz'),
      '--cov',
      REF('covariates.txt.gz'),
      '--mapping',
      REF('qtltools.permute.fdr0.05.thresholds.txt'),
      '--window',
      '1000000',
      '--out',
      out,
      '--silent',
    ],
    { encoding: 'utf8' },
  );
  expect(r.error).toBeUndefined(); // QTLtools is installed (Debian package qtltools; .ci/run installs it)
  expect(r.status).toBe(0);
  // columns: phe_id … var_from (10) … rank (12, 0-based) … bwd_best_hit (21)
  const theirs = new Map<string, number[]>();
  for (const l of readFileSync(out, 'utf8').trim().split('\n')) {
    const f = l.split(' ');
    if (f[20] === '1') theirs.set(f[0], [...(theirs.get(f[0]) ?? []), Number(f[9])]);
  }
  const ours = new Map<string, number[]>();
  for (const s of signals) ours.set(s.gene, [...(ours.get(s.gene) ?? []), s.pos]);
  const genes = new Set([...ours.keys(), ...theirs.keys()]);
  const sameCount = [...genes].filter(
    (g) => (ours.get(g) ?? []).length === (theirs.get(g) ?? []).length,
  ).length;
  const theirSignals = [...theirs.values()].reduce((s, v) => s + v.length, 0);
  const shared = [...theirs].reduce(
    (s, [g, v]) => s + v.filter((p) => (ours.get(g) ?? []).includes(p)).length,
    0,
  );
  console.log(
    `independent vs QTLtools: ${signals.length} signals in ${ours.size} eGenes (QTLtools ${theirSignals} in ${theirs.size}); same count for ${sameCount} of ${genes.size} genes; ${shared} of QTLtools' signals at the same variant`,
  );
  expect(sameCount / genes.size).toBeGreaterThanOrEqual(0.85);
  expect(shared / theirSignals).toBeGreaterThanOrEqual(0.85);
  expect([...ours.values()].filter((v) => v.length > 1).length).toBeGreaterThanOrEqual(10);
}, 300_000);
