/**
 * SuSiE against susieR 0.12.35:
 * 1. individual-level `susie()` on the real-genotype N3finemapping data, the four stored reference fits of
 *    refs/susie (default and fixed prior, y1 and y2; README there gives the R calls);
 * 2. `susie_rss()` on coloc's test datasets D1–D4 with their LD matrices (susieR run live, as coloc's runsusie
 *    calls it: z = beta/sqrt(varbeta), n = N);
 * 3. the `finemap` CLI on Geuvadis chr22 eGenes (covariates regressed out of y and X) against susieR on the
 *    same residualized data (genotypes exported by bcftools, residuals from R's lm).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openParquet, toFloat64, toInt32, toStrings } from '../../src/io/parquet.js';
import { fineMapIndividual, susieRss } from '../../src/stages/finemap/index.js';
import type { SusieFit } from '../../src/stages/finemap/index.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { requireSusieR, requireTool, runR } from '../helpers/peers.js';
import { maxAbsDiff, readTsv, sharedPath } from '../helpers/shared.js';

const num = (s: string) => (s === 'TRUE' ? 1 : s === 'FALSE' ? 0 : Number(s));

interface RefCs {
  name: string;
  coverage: number;
  purity: number[];
  variables: string[];
}

/** Our pure credible sets in susieR's order, as names L<k>, member names, coverage and purity. */
function ourSets(fit: SusieFit, names: string[]): RefCs[] {
  return fit.sets
    .filter((c) => c.pure)
    .map((c) => ({
      name: `L${c.effect}`,
      coverage: c.coverage,
      purity: [c.minAbsCorr, c.meanAbsCorr, c.medianAbsCorr],
      variables: c.variables.map((j) => names[j]),
    }));
}

/** Credible-set lines written by the R scripts: name, coverage, min/mean/median |r|, members. */
function parseRefSets(lines: string[]): RefCs[] {
  return lines.map((l) => {
    const f = l.split(' ');
    return {
      name: f[0],
      coverage: Number(f[1]),
      purity: f.slice(2, 5).map(Number),
      variables: f[5].split(','),
    };
  });
}

function expectSameSets(ours: RefCs[], ref: RefCs[], label: string): number {
  expect([label, ours.map((c) => c.name)]).toEqual([label, ref.map((c) => c.name)]);
  let worst = 0;
  ours.forEach((c, k) => {
    expect(c.variables).toEqual(ref[k].variables);
    worst = Math.max(worst, maxAbsDiff(c.purity, ref[k].purity), Math.abs(c.coverage - ref[k].coverage));
  });
  expect(worst).toBeLessThan(1e-6);
  return worst;
}

describe('susie() vs susieR 0.12.35 on N3finemapping (refs/susie)', () => {
  const X = readTsv(sharedPath('data', 'susie_n3finemapping', 'X.tsv.gz'));
  const Y = readTsv(sharedPath('data', 'susie_n3finemapping', 'Y.tsv.gz'));
  const n = X.rows.length;
  const names = X.header;
  const p = names.length;
  const runs = [
    { tag: 'y1_L10_default', y: 0, opts: {} },
    { tag: 'y2_L10_default', y: 1, opts: {} },
    { tag: 'y1_L10_fixedprior_0.2', y: 0, opts: { estimatePriorVariance: false, scaledPriorVariance: 0.2 } },
    { tag: 'y2_L10_fixedprior_0.2', y: 1, opts: { estimatePriorVariance: false, scaledPriorVariance: 0.2 } },
  ];
  test.each(runs)('$tag: PIPs, credible sets, purity, iterations and convergence', ({ tag, y, opts }) => {
    expect([n, p]).toEqual([574, 1001]);
    const x = new Float64Array(p * n);
    X.rows.forEach((r, i) => r.forEach((v, j) => (x[j * n + i] = Number(v))));
    const yv = Float64Array.from(Y.rows, (r) => Number(r[y]));
    const r = fineMapIndividual(x, p, n, yv, { L: 10, ...opts });
    const f = r.fit;
    const ref = (what: string) => readTsv(sharedPath('refs', 'susie', `${tag}.${what}`));
    const scalars = Object.fromEntries(ref('scalars.tsv').rows.map(([k, v]) => [k, num(v)]));
    const pipRef = ref('pip.tsv.gz').rows.map((row) => Number(row[1]));
    const dPip = maxAbsDiff(f.pip, pipRef);
    expect(dPip).toBeLessThan(1e-4);
    expect(Math.abs(f.niter - scalars.niter)).toBeLessThanOrEqual(1);
    expect(f.converged).toBe(scalars.converged === 1);
    const cs = ref('cs.tsv').rows.map((row) => ({
      name: row[0],
      coverage: Number(row[2]),
      purity: [Number(row[4]), Number(row[5]), Number(row[6])],
      variables: row[7].split(','),
    }));
    const dCs = expectSameSets(ourSets(f, names), cs, tag);
    // the rest of the fit, for the record (and bounded loosely)
    const matrix = (what: string) => ref(what).rows.flatMap((row) => row.slice(1).map(Number));
    const dAlpha = maxAbsDiff(f.alpha, matrix('alpha.tsv.gz'));
    const dLbf = maxAbsDiff(f.lbfVariable, matrix('lbf_variable.tsv.gz'));
    const effects = ref('effects.tsv').rows;
    const dV = maxAbsDiff(
      f.V,
      effects.map((e) => Number(e[1])),
    );
    const coef = ref('coef.tsv.gz')
      .rows.slice(1)
      .map((row) => Number(row[1]));
    const dCoef = maxAbsDiff(r.posteriorMean, coef);
    const dSigma = Math.abs(f.sigma2 - scalars.sigma2) / scalars.sigma2;
    const dElbo = Math.abs(f.elbo.at(-1)! - scalars.elbo_final) / Math.abs(scalars.elbo_final);
    expect(dAlpha).toBeLessThan(1e-4);
    expect(dCoef).toBeLessThan(1e-4);
    expect(dSigma).toBeLessThan(1e-6);
    expect(dElbo).toBeLessThan(1e-6);
    console.log(
      `${tag}: max |ΔPIP| ${dPip.toExponential(2)}, |Δα| ${dAlpha.toExponential(2)}, |Δlbf| ${dLbf.toExponential(2)}, |ΔV| ${dV.toExponential(2)}, |Δcoef| ${dCoef.toExponential(2)}, rel Δσ² ${dSigma.toExponential(2)}, rel ΔELBO ${dElbo.toExponential(2)}, CS coverage/purity ${dCs.toExponential(2)}; niter ${f.niter} (R ${scalars.niter}), ${f.sets.filter((c) => c.pure).length} CS`,
    );
  });
});

describe('susie_rss() vs susieR 0.12.35 on coloc test data D1–D4', () => {
  const dir = tempDir('qtlflow-rss-');
  const D = sharedPath('data', 'coloc');
  beforeAll(() => {
    requireSusieR();
    runR(
      dir,
      'rss.R',
      `suppressMessages(library(susieR))
args <- commandArgs(trailingOnly = TRUE); D <- args[1]; out <- args[2]
meta <- read.table(file.path(D, "coloc_test_data_meta.tsv"), header = TRUE, sep = "\\t")
f17 <- function(x) sprintf("%.17g", x)
for (ds in c("D1", "D2", "D3", "D4")) {
  d <- read.table(gzfile(file.path(D, paste0("coloc_test_data_", ds, ".tsv.gz"))), header = TRUE, sep = "\\t")
  ldf <- if (ds %in% c("D1", "D2")) "coloc_test_data_LD_D1_D2.tsv.gz" else "coloc_test_data_LD_D3_D4.tsv.gz"
  LD <- as.matrix(read.table(gzfile(file.path(D, ldf)), header = TRUE, sep = "\\t", row.names = 1, check.names = FALSE))
  fit <- susie_rss(z = d$beta / sqrt(d$varbeta), R = LD[d$snp, d$snp], n = meta$N[meta$dataset == ds], max_iter = 100)
  writeLines(f17(fit$pip), file.path(out, paste0(ds, ".pip")))
  write.table(matrix(f17(fit$lbf_variable), nrow(fit$lbf_variable)), file.path(out, paste0(ds, ".lbf")), row.names = FALSE, col.names = FALSE, quote = FALSE)
  cs <- c(paste(fit$niter, fit$converged))
  for (k in seq_along(fit$sets$cs)) cs <- c(cs, paste(names(fit$sets$cs)[k], f17(fit$sets$coverage[k]), f17(fit$sets$purity[k, 1]), f17(fit$sets$purity[k, 2]), f17(fit$sets$purity[k, 3]), paste(fit$sets$cs[[k]], collapse = ",")))
  writeLines(cs, file.path(out, paste0(ds, ".cs")))
}
`,
      [D, dir],
    );
  });
  test.each(['D1', 'D2', 'D3', 'D4'])('%s: PIPs, log BFs, credible sets and purity', (ds) => {
    const d = readTsv(join(D, `coloc_test_data_${ds}.tsv.gz`));
    const ld = readTsv(
      join(D, ds < 'D3' ? 'coloc_test_data_LD_D1_D2.tsv.gz' : 'coloc_test_data_LD_D3_D4.tsv.gz'),
    );
    const p = d.rows.length;
    // the LD files list the SNPs in the datasets' order
    expect(ld.rows.map((r) => r[0])).toEqual(d.rows.map((r) => r[0]));
    const R = new Float64Array(p * p);
    ld.rows.forEach((row, i) => row.slice(1).forEach((v, j) => (R[i * p + j] = Number(v))));
    const z = d.rows.map((r) => Number(r[2]) / Math.sqrt(Number(r[3])));
    const { fit } = susieRss(z, R, 1000);
    const read = (ext: string) => readTsv(join(dir, `${ds}.${ext}`));
    const pipR = [read('pip').header, ...read('pip').rows].map((r) => Number(r[0]));
    const lbfText = spawnSync('cat', [join(dir, `${ds}.lbf`)], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n');
    const lbfR = lbfText.flatMap((l) => l.split(' ').map(Number));
    const csLines = spawnSync('cat', [join(dir, `${ds}.cs`)], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n');
    const [niter, conv] = csLines[0].split(' ');
    const dPip = maxAbsDiff(fit.pip, pipR);
    const dLbf = maxAbsDiff(fit.lbfVariable, lbfR);
    expect(dPip).toBeLessThan(1e-4);
    expect(dLbf).toBeLessThan(1e-4);
    expect(Math.abs(fit.niter - Number(niter))).toBeLessThanOrEqual(1);
    expect(fit.converged).toBe(conv === 'TRUE');
    const ref = parseRefSets(csLines.slice(1));
    const names = Array.from({ length: p }, (_, j) => String(j + 1));
    const dCs = expectSameSets(ourSets(fit, names), ref, ds);
    console.log(
      `susie_rss ${ds}: max |ΔPIP| ${dPip.toExponential(2)}, |Δlbf| ${dLbf.toExponential(2)}, CS coverage/purity ${dCs.toExponential(2)}; niter ${fit.niter} (R ${niter}), ${ref.length} CS`,
    );
  });
});

describe('finemap CLI on Geuvadis chr22 vs susieR on the same residualized data', () => {
  const dir = tempDir('qtlflow-finemap-geu-');
  const vcf = sharedPath('data', 'geuvadis_chr22', '1kg_phase1_chr22_seqarray_geuvadis330.vcf.gz');
  const phen = sharedPath('refs', 'cis_sparse', 'phenotypes.bed.gz');
  const cov = sharedPath('refs', 'cis_sparse', 'covariates.txt.gz');
  // the four most significant FastQTL eGenes, and one gene further down the list
  const perm = readTsv(sharedPath('refs', 'cis_sparse', 'fastqtl.permute.qvalue_default.txt.gz'));
  const qcol = perm.header.indexOf('qval');
  const byQ = perm.rows.slice().sort((a, b) => Number(a[qcol]) - Number(b[qcol]));
  const genes = [...byQ.slice(0, 4), byQ[40]].map((r) => r[0]);
  test('PIPs within 1e-4, the same credible sets with the same purity, iterations and convergence', async () => {
    requireSusieR();
    requireTool('bcftools', ['--version'], 'bcftools');
    const r = runCli([
      'finemap',
      '--genotypes',
      vcf,
      '--phenotypes',
      phen,
      '--covariates',
      cov,
      '--phenotype-ids',
      ...genes,
      '--out',
      join(dir, 'fm'),
      '--quiet',
    ]);
    expect([r.code, r.stderr]).toEqual([
      0,
      expect.stringMatching(/monomorphic variants in the windows were left out/),
    ]);
    // genotypes of each window as bcftools sees them, in the phenotype file's sample order
    const bed = readTsv(phen);
    const samples = bed.header.slice(4);
    writeFileSync(join(dir, 'samples.txt'), samples.join('\n') + '\n');
    for (const g of genes) {
      const row = bed.rows.find((x) => x[3] === g)!;
      const tss = Number(row[1]) + 1;
      const [lo, hi] = [Math.max(1, tss - 1e6), tss + 1e6];
      // the window by POS, as finemap (and FastQTL) define it; -r alone would add indels reaching into it
      const q = spawnSync(
        'bash',
        [
          '-c',
          `bcftools view -S ${join(dir, 'samples.txt')} -r 22:${lo}-${hi} -i 'POS>=${lo} && POS<=${hi}' ${vcf} | bcftools query -f '%POS[\\t%GT]\\n' > ${join(dir, `${g}.gt`)}`,
        ],
        { encoding: 'utf8' },
      );
      expect(q.status).toBe(0);
    }
    const out = runR(
      dir,
      'geu.R',
      `suppressMessages(library(susieR))
args <- commandArgs(trailingOnly = TRUE); dir <- args[1]; genes <- strsplit(args[2], ",")[[1]]
bed <- read.table(gzfile(args[3]), header = TRUE, sep = "\\t", comment.char = "", check.names = FALSE)
cv <- read.table(gzfile(args[4]), header = TRUE, sep = "\\t", check.names = FALSE, row.names = 1)
samples <- colnames(bed)[-(1:4)]
C <- t(as.matrix(cv[, samples]))
f17 <- function(x) sprintf("%.17g", x)
for (g in genes) {
  gt <- read.table(file.path(dir, paste0(g, ".gt")), sep = "\\t", colClasses = "character")
  pos <- as.integer(gt[, 1])
  X <- apply(as.matrix(gt[, -1]), 2, function(v) sapply(strsplit(v, "[|/]"), function(a) sum(as.integer(a))))
  X <- t(matrix(X, nrow = nrow(gt)))
  keep <- apply(X, 2, var) > 0
  X <- X[, keep, drop = FALSE]; pos <- pos[keep]
  y <- as.numeric(bed[bed[, 4] == g, samples])
  yres <- residuals(lm(y ~ C))
  Xres <- residuals(lm(X ~ C))
  fit <- susie(Xres, yres, L = 10)
  writeLines(paste(pos, f17(fit$pip)), file.path(dir, paste0(g, ".pip")))
  cs <- paste(fit$niter, fit$converged)
  for (k in seq_along(fit$sets$cs)) cs <- c(cs, paste(names(fit$sets$cs)[k], f17(fit$sets$coverage[k]), f17(fit$sets$purity[k, 1]), f17(fit$sets$purity[k, 2]), f17(fit$sets$purity[k, 3]), paste(pos[fit$sets$cs[[k]]], collapse = ",")))
  writeLines(cs, file.path(dir, paste0(g, ".cs")))
}
cat("ok\\n")
`,
      [dir, genes.join(','), phen, cov],
    );
    expect(out.trim()).toBe('ok');
    const pipT = await openParquet(join(dir, 'fm.susie_pip.parquet'));
    expect(pipT.meta.schema).toBe('susie_pip/2');
    const ids = toStrings(await pipT.column('phenotype_id'));
    const pos = toInt32(await pipT.column('pos'));
    const pip = toFloat64(await pipT.column('pip'));
    const niterCol = toInt32(await pipT.column('niter'));
    const conv = (await pipT.column('converged')) as unknown as boolean[];
    const csT = await openParquet(join(dir, 'fm.susie_cs.parquet'));
    const cs = {
      id: toStrings(await csT.column('phenotype_id')),
      effect: toInt32(await csT.column('cs_id')),
      rank: toInt32(await csT.column('cs_rank')),
      variants: toStrings(await csT.column('variants')),
      coverage: toFloat64(await csT.column('coverage')),
      purity: [
        toFloat64(await csT.column('min_abs_corr')),
        toFloat64(await csT.column('mean_abs_corr')),
        toFloat64(await csT.column('median_abs_corr')),
      ],
    };
    let worstPip = 0;
    let sets = 0;
    for (const g of genes) {
      const rows = ids.flatMap((x, i) => (x === g ? [i] : []));
      const ref = spawnSync('cat', [join(dir, `${g}.pip`)], { encoding: 'utf8' })
        .stdout.trim()
        .split('\n')
        .map((l) => l.split(' ').map(Number));
      expect(rows.map((i) => pos[i])).toEqual(ref.map((x) => x[0]));
      const d = maxAbsDiff(
        rows.map((i) => pip[i]),
        ref.map((x) => x[1]),
      );
      expect(d).toBeLessThan(1e-4);
      worstPip = Math.max(worstPip, d);
      const csLines = spawnSync('cat', [join(dir, `${g}.cs`)], { encoding: 'utf8' })
        .stdout.trim()
        .split('\n');
      const [niter, c] = csLines[0].split(' ');
      expect(Math.abs(niterCol[rows[0]] - Number(niter))).toBeLessThanOrEqual(1);
      expect(conv[rows[0]]).toBe(c === 'TRUE');
      const idToPos = new Map<string, number>();
      const vids = toStrings(await pipT.columnRange('variant_id', rows[0], rows[rows.length - 1] + 1));
      vids.forEach((v, k) => idToPos.set(v, pos[rows[k]]));
      const ours = cs.id
        .flatMap((x, k) => (x === g && cs.rank[k] > 0 ? [k] : []))
        .sort((a, b) => cs.rank[a] - cs.rank[b])
        .map((k) => ({
          name: `L${cs.effect[k]}`,
          coverage: cs.coverage[k],
          purity: cs.purity.map((col) => col[k]),
          variables: cs.variants[k].split(',').map((v) => String(idToPos.get(v))),
        }));
      const ref2 = parseRefSets(csLines.slice(1));
      expectSameSets(ours, ref2, g);
      sets += ours.length;
    }
    console.log(
      `finemap CLI on ${genes.length} Geuvadis eGenes vs susieR: max |ΔPIP| ${worstPip.toExponential(2)}; ${sets} credible sets identical`,
    );
  });
});
