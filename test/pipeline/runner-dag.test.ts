/**
 * The local runner executes the DAG pipeline.nf declares: the same processes (aliases included) and the same
 * producer → consumer edges, with every optional branch switched on. The declared DAG comes from the static
 * checker's syntax trees (nf-check.ts); the runner's from its steps (src/runner/dag.ts).
 */
import { buildSteps, processGraph, resolveParams } from '../../src/runner/dag.js';
import { declaredDag } from './nf-check.js';

test('processes and edges of the runner equal those of pipeline.nf', () => {
  const steps = buildSteps(
    resolveParams({
      counts: 'counts.tsv.gz',
      annotation: 'genes.gtf',
      genotypes: 'genotypes.vcf.gz',
      known_covariates: 'known.tsv',
      fragments: 'fragments.tsv.gz',
      cell_groups: 'groups.tsv',
      chrom_sizes: 'chrom.sizes',
      finemap: true,
      gwas: 'gwas.tsv.gz',
      trans: true,
      rare: true,
      vep: 'vep.vcf.gz',
      h5ad: 'cells.h5ad',
      celltypes: 'B,T',
      donor_covariates: 'age,sex',
      segment_genotypes: 'segment',
      segment_quantifications: 'quant.csv',
      segment_copynumber: 'cn.csv',
      segment_segmentation: 'seg.csv',
      truth: 'truth.tsv',
      cis_chunks: 3,
    }),
    '/results',
    1,
  );
  const runner = processGraph(steps);
  const dag = declaredDag();
  const nodes = [...new Set(dag.nodes.map((n) => n.id))].sort();
  const edges = [
    ...new Set(
      dag.edges.filter((e) => 'from' in e && e.from).map((e) => `${(e as { from: string }).from} → ${e.to}`),
    ),
  ].sort();
  expect(runner.nodes).toEqual(nodes);
  expect(runner.edges.map(([a, b]) => `${a} → ${b}`)).toEqual(edges);
});
