/**
 * segment --mode finemap: the elastic net against R glmnet (Debian r-cran-glmnet) on one gene of a simulated cohort
 * with missing genotype entries. R rebuilds the design itself from the CSV inputs (d = REFlr − ALTlr over the cis
 * window, SegmentQTL's coverage filter, standardised on observed entries, missing → 0; copy number and covariates
 * unpenalised through `penalty.factor = 0`) and fits at the same α and λ. SegmentQTL's objective is glmnet's times
 * n, glmnet rescales penalty factors to sum to the number of columns (λ_glmnet = λ / n · p / (p + q)), and it
 * applies λ on a unit-SD y, so for α < 1 the R side maps (α, λ) to glmnet's on y / SD(y) (written out in the script).
 * Coefficients agree within 1e-4 at the CV-selected λ and at a smaller λ with many variables in; then validation
 * of the discovery model on a second cohort runs and reports its metrics.
 */
import { join } from 'node:path';
import { simulateSegmentCohort } from '../../src/runner/simulate-segment.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { readColumns } from '../helpers/shared.js';
import { segmentInputArgs } from '../helpers/segment.js';
import { requireTool, runR } from '../helpers/peers.js';

const dir = tempDir('qtlflow-segment-glmnet-');
const truth = simulateSegmentCohort(join(dir, 'cohort'), {
  genesPerChromosome: 20,
  eventFraction: 0,
  missing: 0.05,
});
const F = truth.files;
const GENE = Object.keys(truth.causal)[0];
const WINDOW = 300_000;

function finemap(out: string, extra: string[]): string {
  const r = runCli([
    'segment',
    '--mode',
    'finemap',
    ...segmentInputArgs(F),
    '--window',
    String(WINDOW),
    '--phenotype-ids',
    GENE,
    '--resamples',
    '50',
    '--out',
    join(dir, out),
    '--quiet',
    ...extra,
  ]);
  expect([r.code, r.stderr]).toEqual([0, '']);
  return `${join(dir, out)}.segment_finemap.parquet`;
}

const GLMNET = String.raw`
suppressMessages(library(glmnet))
a <- commandArgs(TRUE)
gdir <- a[1]; gene <- a[3]; window <- as.numeric(a[7]); lam <- as.numeric(a[8]); alpha <- as.numeric(a[9])
quan <- read.csv(a[2], check.names = FALSE)
cn <- read.csv(a[5], check.names = FALSE, row.names = 1)
cv <- read.csv(a[4], check.names = FALSE, header = FALSE)
samples <- colnames(quan)[-(1:4)]
ids <- as.character(unlist(cv[1, ]))[seq_len(ncol(cv) - 1)]  # header row: the sample IDs
covs <- apply(as.matrix(cv[-1, -1]), 1, as.numeric); rownames(covs) <- ids; colnames(covs) <- cv[-1, 1]
row <- quan[quan$gene_id == gene, ]
chr <- row$chr
alt <- read.csv(file.path(gdir, paste0(chr, "_ALTlr.csv")), check.names = FALSE, row.names = 1)[, samples]
ref <- read.csv(file.path(gdir, paste0(chr, "_REFlr.csv")), check.names = FALSE, row.names = 1)[, samples]
pos <- as.numeric(sapply(strsplit(rownames(alt), ":"), function(z) z[2]))
w <- pos >= row$start - window & pos <= row$end + window
y <- as.numeric(row[, samples])
n <- length(y)
d <- as.matrix(ref[w, ]) - as.matrix(alt[w, ])
keep <- c(); D <- c()
for (v in seq_len(nrow(d))) {
  x <- d[v, ]; o <- !is.na(x)
  m <- mean(x[o]); s <- sqrt(mean((x[o] - m)^2))
  if (sum(o) < max(30, floor(0.6 * n)) || s < 1e-10) next
  z <- ifelse(o, (x - m) / s, 0)
  keep <- c(keep, rownames(d)[v]); D <- cbind(D, z)
}
X <- cbind(as.numeric(cn[gene, samples]), covs[samples, ])
p <- ncol(D); q <- ncol(X)
# glmnet scales y to unit SD inside and applies λ to both penalty parts on that scale; with y already at unit
# (population) SD that scaling is the identity, and our problem in b = σ·b' has lasso weight λα/σ and ridge weight
# λ(1 − α) on b', i.e. glmnet's α' and λ' below
sy <- sqrt(mean((y - mean(y))^2))
ag <- (alpha / sy) / (alpha / sy + 1 - alpha)
lg <- lam / n * (alpha / sy + 1 - alpha) * p / (p + q)
fit <- glmnet(cbind(D, X), y / sy, alpha = ag, lambda = lg, penalty.factor = c(rep(1, p), rep(0, q)),
              standardize = FALSE, thresh = 1e-20, maxit = 1e8)
b <- sy * as.numeric(coef(fit))[2:(p + 1)]
cat(paste(keep, format(b, digits = 17), sep = "\t"), sep = "\n")
`;

function glmnet(lambda: number, alpha: number): Map<string, number> {
  const out = runR(dir, 'glmnet.R', GLMNET, [
    F.genotypes,
    F.quantifications,
    GENE,
    F.covariates,
    F.copynumber,
    '',
    String(WINDOW),
    String(lambda),
    String(alpha),
  ]);
  return new Map(
    out
      .trim()
      .split('\n')
      .map((l) => l.split('\t'))
      .map(([v, b]) => [v, Number(b)]),
  );
}

async function ours(path: string) {
  const { o } = await readColumns(path, ['variant', 'beta_full', 'lambda_selected', 'stability_score']);
  return {
    beta: new Map((o.variant as string[]).map((v, i) => [v, (o.beta_full as Float64Array)[i]])),
    lambda: (o.lambda_selected as Float64Array)[0],
    stability: o.stability_score as Float64Array,
  };
}

function compare(a: Map<string, number>, b: Map<string, number>): number {
  expect([...a.keys()]).toEqual([...b.keys()]);
  let worst = 0;
  for (const [v, x] of a) worst = Math.max(worst, Math.abs(x - b.get(v)!));
  return worst;
}

beforeAll(() => requireTool('Rscript', ['-e', 'library(glmnet)'], 'r-cran-glmnet'));

test('elastic-net coefficients equal glmnet at the same α and λ within 1e-4 (CV-selected and a small λ)', async () => {
  const cvRun = await ours(finemap('cv', []));
  expect(cvRun.beta.size).toBeGreaterThan(15);
  expect(cvRun.stability.every((s) => s >= 0 && s <= 1)).toBe(true);
  const r1 = glmnet(cvRun.lambda, 0.5);
  const d1 = compare(cvRun.beta, r1);
  const small = cvRun.lambda / 8;
  const fixed = await ours(finemap('small', ['--lambda', String(small)]));
  const r2 = glmnet(small, 0.5);
  const d2 = compare(fixed.beta, r2);
  const lasso = await ours(finemap('lasso', ['--lambda', String(small), '--alpha', '1']));
  const d3 = compare(lasso.beta, glmnet(small, 1));
  const nonzero = (m: Map<string, number>) => [...m.values()].filter((x) => x !== 0).length;
  console.log(
    `${GENE}, ${cvRun.beta.size} variants: max |Δβ| vs glmnet = ${d1.toExponential(2)} at the CV λ ${cvRun.lambda.toFixed(3)} ` +
      `(${nonzero(cvRun.beta)} non-zero), ${d2.toExponential(2)} at λ/8 (${nonzero(fixed.beta)} non-zero), ` +
      `${d3.toExponential(2)} for the lasso at λ/8 (${nonzero(lasso.beta)} non-zero)`,
  );
  expect(nonzero(cvRun.beta)).toBeGreaterThan(0);
  expect(nonzero(fixed.beta)).toBeGreaterThan(nonzero(cvRun.beta));
  expect(nonzero(fixed.beta)).toBeLessThan(fixed.beta.size + 1);
  for (const d of [d1, d2, d3]) expect(d).toBeLessThan(1e-4);
  // the causal variant is the most stable one
  const { o } = await readColumns(join(dir, 'cv.segment_finemap.parquet'), ['variant', 'stability_score']);
  const s = o.stability_score as Float64Array;
  expect((o.variant as string[])[s.indexOf(Math.max(...s))]).toBe(truth.causal[GENE]);
});

test('validate: the discovery model predicts an independent cohort of the same design', async () => {
  const discovery = finemap('disc', []);
  const val = simulateSegmentCohort(join(dir, 'validation'), {
    genesPerChromosome: 20,
    eventFraction: 0,
    missing: 0.05,
    sampleSeed: 99,
    samplePrefix: 'V',
  });
  expect(val.causal).toEqual(truth.causal);
  const V = val.files;
  const r = runCli([
    'segment',
    '--mode',
    'validate',
    ...segmentInputArgs(V),
    '--window',
    String(WINDOW),
    '--finemap-results',
    discovery,
    '--out',
    join(dir, 'val'),
    '--quiet',
  ]);
  expect([r.code, r.stderr]).toEqual([0, '']);
  const { o } = await readColumns(join(dir, 'val.segment_validation.parquet'), [
    'phenotype',
    'r2',
    'r2_baseline',
    'calibration_slope',
    'rho',
    'rho_pval',
  ]);
  expect(o.phenotype as string[]).toEqual([GENE]);
  const r2 = (o.r2 as Float64Array)[0];
  const base = (o.r2_baseline as Float64Array)[0];
  const rho = (o.rho as Float64Array)[0];
  console.log(
    `validate ${GENE} on an independent cohort: R² ${r2.toFixed(3)} vs covariates-only ${base.toFixed(3)}, calibration slope ${(o.calibration_slope as Float64Array)[0].toFixed(3)}, transfer slope ρ ${rho.toFixed(3)} (p ${(o.rho_pval as Float64Array)[0].toExponential(2)})`,
  );
  expect(r2).toBeGreaterThan(base + 0.05);
  expect(rho).toBeGreaterThan(0.5);
  expect((o.rho_pval as Float64Array)[0]).toBeLessThan(1e-4);
});
