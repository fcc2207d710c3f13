/**
 * Expression PCA against R's `prcomp` (Debian r-base-core; .ci/run installs it) on the normalized Geuvadis
 * expression of refs/tmm_int: R reads the reference inverse-normal-transformed TMM-CPM
 * (qtltools_chr22.int.tsv.gz, the 258 genes its expression mask passes); qtlflow normalizes the same raw BED
 * itself (`normalize --int --min-tpm 0`, the README's filter without the TPM part) and runs
 * `factors --method pca`. Eigenvalues (prcomp sdev²) agree within 1e-8 relative and the PC scores (prcomp `x`)
 * are equal up to sign, centred and scaled. R is required: without it the test fails (it does not skip).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCovariates } from '../../src/io/contracts.js';
import { openParquet, toFloat64, toStrings } from '../../src/io/parquet.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { readTsv, sharedPath } from '../helpers/shared.js';

const K = 40;
const dir = tempDir('qtlflow-factors-prcomp-');
const rscript = spawnSync('Rscript', ['--version'], { encoding: 'utf8' });
if (rscript.status !== 0)
  throw new Error(
    'Rscript is not on PATH: install r-base-core (apt-get install r-base-core), as .ci/run does',
  );

const R_SCRIPT = `
args <- commandArgs(trailingOnly = TRUE)
m <- read.table(gzfile(args[1]), header = TRUE, sep = "\\t", check.names = FALSE, row.names = 1)
mask <- read.table(args[2], header = TRUE, sep = "\\t")
m <- as.matrix(m[mask$gene_id[mask$pass == 1], ])
k <- as.integer(args[4])
for (sc in c(FALSE, TRUE)) {
  p <- prcomp(t(m), center = TRUE, scale. = sc)
  tag <- if (sc) "scaled" else "centred"
  write.table(data.frame(variance = sprintf("%.17g", p$sdev[1:k]^2)), file.path(args[3], paste0(tag, ".sdev2.tsv")),
              sep = "\\t", quote = FALSE, row.names = FALSE)
  x <- p$x[, 1:k]
  out <- data.frame(sample = rownames(x), apply(x, 2, function(v) sprintf("%.17g", v)), check.names = FALSE)
  write.table(out, file.path(args[3], paste0(tag, ".x.tsv")), sep = "\\t", quote = FALSE, row.names = FALSE)
}
cat(nrow(m), ncol(m), "\\n")
`;

interface Ours {
  variances: Float64Array;
  scores: Map<string, Float64Array>;
}

async function runOurs(scale: boolean): Promise<Ours> {
  const out = join(dir, `${scale ? 'scaled' : 'centred'}.parquet`);
  const r = runCli([
    'factors',
    '--phenotypes',
    join(dir, 'phenotypes.parquet'),
    '--method',
    'pca',
    '--k',
    String(K),
    ...(scale ? ['--scale'] : []),
    '--out',
    out,
    '--quiet',
  ]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const cov = await readCovariates(out);
  const t = await openParquet(out.replace(/\.parquet$/, '.factors.parquet'));
  const names = toStrings(await t.column('covariate'));
  expect(names).toEqual(Array.from({ length: K }, (_, i) => `expression_PC${i + 1}`));
  const scores = new Map<string, Float64Array>();
  cov.sampleIds.forEach((s, i) => scores.set(s, cov.values.slice(i * K, (i + 1) * K)));
  return { variances: toFloat64(await t.column('variance')), scores };
}

function readR(tag: string): { variances: number[]; scores: Map<string, number[]> } {
  const v = readTsv(join(dir, `${tag}.sdev2.tsv`)).rows.map((r) => Number(r[0]));
  const x = readTsv(join(dir, `${tag}.x.tsv`));
  return { variances: v, scores: new Map(x.rows.map((r) => [r[0], r.slice(1).map(Number)])) };
}

beforeAll(() => {
  const norm = runCli([
    'normalize',
    '--input',
    sharedPath('data', 'geuvadis_chr22', 'qtltools_genes.50percent.chr22.bed.gz'),
    '--out',
    join(dir, 'phenotypes.parquet'),
    '--int',
    '--min-tpm',
    '0',
    '--quiet',
  ]);
  expect(norm.code).toBe(0);
  writeFileSync(join(dir, 'prcomp.R'), R_SCRIPT);
  const r = spawnSync(
    'Rscript',
    [
      join(dir, 'prcomp.R'),
      sharedPath('refs', 'tmm_int', 'qtltools_chr22.int.tsv.gz'),
      sharedPath('refs', 'tmm_int', 'qtltools_chr22.expression_mask.tsv'),
      dir,
      String(K),
    ],
    { encoding: 'utf8' },
  );
  expect(r.stderr).toBe('');
  expect(r.stdout.trim()).toBe('258 358');
});

describe.each([false, true])('prcomp(scale. = %s)', (scale) => {
  test(`the first ${K} eigenvalues agree within 1e-8 relative and the scores are equal up to sign`, async () => {
    const ours = await runOurs(scale);
    const ref = readR(scale ? 'scaled' : 'centred');
    let maxRel = 0;
    for (let c = 0; c < K; c++) {
      const rel = Math.abs(ours.variances[c] - ref.variances[c]) / ref.variances[c];
      maxRel = Math.max(maxRel, rel);
    }
    expect(ours.scores.size).toBe(358);
    let maxScoreDiff = 0;
    for (let c = 0; c < K; c++) {
      let dot = 0;
      let scale0 = 0;
      for (const [s, x] of ref.scores) {
        dot += x[c] * ours.scores.get(s)![c];
        scale0 = Math.max(scale0, Math.abs(x[c]));
      }
      const sign = Math.sign(dot);
      for (const [s, x] of ref.scores)
        maxScoreDiff = Math.max(maxScoreDiff, Math.abs(sign * ours.scores.get(s)![c] - x[c]) / scale0);
    }
    console.log(
      `prcomp scale.=${scale}: ${K} eigenvalues, max relative difference ${maxRel.toExponential(2)}; ` +
        `scores up to sign, max |Δ| / max |x| ${maxScoreDiff.toExponential(2)}`,
    );
    expect(maxRel).toBeLessThanOrEqual(1e-8);
    expect(maxScoreDiff).toBeLessThanOrEqual(1e-10);
  });
});
