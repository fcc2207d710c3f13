/**
 * The local runner's single-cell branch end to end on real genotypes: an .h5ad written by Debian's python3-anndata
 * (cells of 80 GEUVADIS donors in two cell types, counts drawn around each donor's measured chr22 expression) →
 * PSEUDOBULK → per cell type SC_NORMALIZE → SC_FACTORS (with the donors' sex from obs as a known covariate) →
 * SC_CIS_PERMUTE in two chunks → SC_MERGE_PERMUTE, as pipeline.nf wires it; then the SEGMENT branch on a simulated
 * SegmentQTL cohort in the same run.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simulateSegmentCohort } from '../../src/runner/simulate-segment.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { readColumns, sharedPath } from '../helpers/shared.js';
import { describeWithTool, hasPythonModules, python } from '../helpers/tools.js';

const dir = tempDir('qtlflow-run-sc-');

const WRITE = String.raw`
import sys, gzip, json, numpy as np, pandas as pd, scipy.sparse as sp, anndata as ad
bed, out = sys.argv[1], sys.argv[2]
rows = [l.rstrip("\n").split("\t") for l in gzip.open(bed, "rt")]
header, rows = rows[0], [r for r in rows[1:] if 49_300_000 <= int(r[1]) <= 51_200_000]
donors = header[6:86]
genes = [r[3] for r in rows]
level = np.array([[float(x) for x in r[6:86]] for r in rows])         # genes × donors
rng = np.random.default_rng(3)
X, donor, ctype = [], [], []
for j, d in enumerate(donors):
    for t, n, scale in (("B", 25, 1.0), ("T", 15, 0.6)):
        mu = 2.0 * scale * np.exp(level[:, j] / 2)
        X.append(rng.poisson(mu[None, :], (n, len(genes))))
        donor += [d] * n; ctype += [t] * n
X = sp.csr_matrix(np.vstack(X).astype(np.float32))
sex = {d: ("F" if i % 3 else "M") for i, d in enumerate(donors)}
obs = pd.DataFrame({"donor_id": pd.Categorical(donor), "cell_type": pd.Categorical(ctype),
                    "sex": pd.Categorical([sex[d] for d in donor])}, index=[f"c{i}" for i in range(len(donor))])
ad.AnnData(X=X, obs=obs, var=pd.DataFrame(index=genes)).write_h5ad(out)
print(json.dumps({"genes": len(genes), "donors": len(donors)}))
`;

describeWithTool(hasPythonModules('anndata'), 'Debian python3-anndata')(
  'qtlflow run: single-cell and segment branches',
  () => {
    test('h5ad → pseudobulk → normalize → factors → cis per cell type, and SEGMENT, in one run', () => {
      const h5ad = join(dir, 'cells.h5ad');
      const made = python<{ genes: number; donors: number }>(WRITE, [
        sharedPath('data/geuvadis_chr22/qtltools_genes.50percent.chr22.bed.gz'),
        h5ad,
      ]);
      expect(made.genes).toBeGreaterThan(20);
      const seg = simulateSegmentCohort(join(dir, 'segment'), {
        chromosomes: 1,
        genesPerChromosome: 6,
      }).files;
      const params = join(dir, 'params.yaml');
      writeFileSync(
        params,
        [
          `h5ad: ${h5ad}`,
          'celltypes: B,T',
          'donor_covariates: sex',
          'min_cells: 5',
          `genotypes: ${sharedPath('data/geuvadis_chr22/1kg_phase3_chr22_50.24-51.24Mb_geuvadis358.vcf.gz')}`,
          `annotation: ${sharedPath('data/geuvadis_chr22/qtltools_gencode.v19.annotation.chr22.gtf.gz')}`,
          'cis_chunks: 2',
          'cis_permutations: 50',
          'cis_nominal: false',
          'factors_k: 2',
          'genotype_pcs: 2',
          `segment_genotypes: ${seg.genotypes}`,
          `segment_quantifications: ${seg.quantifications}`,
          `segment_copynumber: ${seg.copynumber}`,
          `segment_segmentation: ${seg.segmentation}`,
          `segment_covariates: ${seg.covariates}`,
          'segment_modes: nominal,perm',
          'segment_permutations: 100',
          '',
        ].join('\n'),
      );
      const out = join(dir, 'out');
      const r = runCli(['run', '--config', params, '--outdir', out, '--quiet']);
      expect([r.code, r.stderr]).toEqual([0, '']);
      const summary = JSON.parse(readFileSync(join(out, 'run.summary.json'), 'utf8'));
      // PSEUDOBULK, IMPORT, per type NORMALIZE + FACTORS + 2 chunks + merge, SEGMENT × 2
      expect(summary.ran).toBe(2 + 2 * 5 + 2);
      return Promise.all(
        ['B', 'T'].map(async (ct) => {
          const counts = await readColumns(join(out, 'pseudobulk', 'pseudobulk', `${ct}.counts.parquet`), [
            'phenotype_id',
          ]);
          expect(counts.t.columnNames.length - 1).toBe(made.donors);
          const cov = await readColumns(join(out, 'sc_factors', `${ct}.covariates.parquet`), ['sample_id']);
          expect(cov.t.columnNames).toContain('sex_M');
          const { o, t } = await readColumns(
            join(out, 'sc_merge_permute', `${ct}.cis_permute.cis_qtl.parquet`),
            ['phenotype_id', 'pval_beta'],
          );
          const pheno = await readColumns(join(out, 'sc_normalize', `${ct}.phenotypes.parquet`), [
            'phenotype_id',
          ]);
          expect(t.numRows).toBe(pheno.t.numRows);
          expect(t.numRows).toBeGreaterThan(10);
          // expression drawn around the donors' measured levels keeps some of their cis-eQTLs
          expect((o.pval_beta as Float64Array).filter((p) => p < 0.01).length).toBeGreaterThan(0);
          for (const f of ['segment_nominal.segment_nominal.parquet', 'segment_perm.segment_perm.parquet'])
            expect((await readColumns(join(out, 'segment', f), ['phenotype'])).t.numRows).toBeGreaterThan(0);
        }),
      );
    }, 600_000);
  },
);
