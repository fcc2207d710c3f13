/**
 * The local runner (`qtlflow run`): its steps call each stage with the flags its Nextflow module passes (the
 * strict stage parser accepts them), params are checked against nextflow_schema.json, a second run resumes
 * from the records, and splitting cis into chunks gives the same merged outputs as one chunk.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateStageArgs } from '../../src/cli/parser.js';
import { openParquet } from '../../src/io/parquet.js';
import { buildSteps, resolveParams } from '../../src/runner/dag.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { REPO_ROOT, sharedPath } from '../helpers/shared.js';

/** Every optional branch on, so every module has a step. */
const allBranches = {
  counts: 'counts.tsv.gz',
  annotation: 'genes.gtf',
  genotypes: 'genotypes.vcf.gz',
  known_covariates: 'known.tsv',
  fragments: 'fragments.tsv.gz',
  cell_groups: 'groups.tsv',
  chrom_sizes: 'chrom.sizes',
  blacklist: 'blacklist.bed',
  finemap: true,
  gwas: 'gwas.tsv.gz',
  trans: true,
  rare: true,
  vep: 'vep.vcf.gz',
  gwas_n: 10000,
  maf_min: 0.01,
  cis_chunks: 3,
  h5ad: 'cells.h5ad',
  celltypes: 'B cells,T',
  donor_covariates: 'age,sex',
  sc_layer: 'counts',
  segment_genotypes: 'segment/genotypes',
  segment_quantifications: 'segment/quantifications.csv',
  segment_copynumber: 'segment/copynumber.csv',
  segment_segmentation: 'segment/segments.csv',
  segment_covariates: 'segment/covariates.csv',
  segment_modes: 'nominal,perm,finemap',
  segment_neg_control: true,
};

/** Flags of a module's script: those always passed, and those built in `def` lines (conditional). */
function moduleFlags(moduleDir: string): { always: Set<string>; conditional: Set<string> } {
  const text = readFileSync(join(REPO_ROOT, 'modules', moduleDir, 'main.nf'), 'utf8');
  const script = /script:([\s\S]*?)stub:/.exec(text)![1];
  const [defs, body] = script.split('"""');
  const flags = (s: string) => new Set([...s.matchAll(/(?<![\w-])--[a-z][\w-]*/gi)].map((m) => m[0]));
  return { always: flags(body), conditional: flags(defs) };
}

const moduleOf: Record<string, string> = { 'cis-merge': 'cis_merge' };

test('every step passes the flags of its module, and the stage parser accepts them', async () => {
  const steps = buildSteps(resolveParams(allBranches), '/results', 2);
  const stages = new Set(steps.map((s) => s.stage));
  expect([...stages].sort()).toEqual([
    'annotate',
    'cis',
    'cis-merge',
    'coloc',
    'coverage',
    'factors',
    'finemap',
    'import',
    'normalize',
    'pseudobulk',
    'rare',
    'report',
    'segment',
    'trans',
  ]);
  for (const s of steps) {
    expect([s.id, await validateStageArgs(s.stage, s.args)]).toEqual([s.id, undefined]);
    const { always, conditional } = moduleFlags(moduleOf[s.stage] ?? s.stage);
    const used = new Set(s.args.filter((a) => a.startsWith('--')));
    always.delete('--log-format'); // the runner keeps plain log lines in each step's log file
    for (const f of always) expect([s.id, f, used.has(f)]).toEqual([s.id, f, true]);
    for (const f of used) expect([s.id, f, always.has(f) || conditional.has(f)]).toEqual([s.id, f, true]);
  }
});

test('the single-cell branch: per cell type, labelled outputs, chunks merged per cell type, donor covariates as known', () => {
  const steps = buildSteps(resolveParams(allBranches), '/results', 2);
  const ids = steps.map((s) => s.id);
  for (const ct of ['B_cells', 'T'])
    for (const id of [
      `SC_NORMALIZE_${ct}`,
      `SC_FACTORS_${ct}`,
      `SC_MERGE_PERMUTE_${ct}`,
      `SC_MERGE_NOMINAL_${ct}`,
    ])
      expect(ids).toContain(id);
  const norm = steps.find((s) => s.id === 'SC_NORMALIZE_B_cells')!;
  expect(norm.args).toContain('/results/pseudobulk/pseudobulk/B_cells.counts.parquet');
  expect(norm.args).toContain('/results/sc_normalize/B_cells.phenotypes.parquet');
  const fac = steps.find((s) => s.id === 'SC_FACTORS_T')!;
  expect(fac.args.slice(fac.args.indexOf('--known'), fac.args.indexOf('--known') + 2)).toEqual([
    '--known',
    '/results/pseudobulk/pseudobulk/donor_covariates.tsv',
  ]);
  const merge = steps.find((s) => s.id === 'SC_MERGE_PERMUTE_T')!;
  expect(merge.after).toEqual(['SC_CIS_PERMUTE_T_1of3', 'SC_CIS_PERMUTE_T_2of3', 'SC_CIS_PERMUTE_T_3of3']);
  expect(merge.args).toContain('/results/sc_merge_permute/T.cis_permute');
  // the bulk branch keeps its unlabelled layout, and one IMPORT serves both
  expect(steps.find((s) => s.id === 'NORMALIZE')!.args).toContain('/results/normalize/phenotypes.parquet');
  expect(ids.filter((i) => i === 'IMPORT')).toHaveLength(1);
  expect(ids.filter((i) => i.startsWith('SEGMENT_'))).toEqual([
    'SEGMENT_nominal',
    'SEGMENT_perm',
    'SEGMENT_finemap',
  ]);
  expect(() => buildSteps(resolveParams({ ...allBranches, celltypes: null }), '/r', 2)).toThrow(/cell types/);
  expect(() => buildSteps(resolveParams({ h5ad: 'x.h5ad', celltypes: 'B' }), '/r', 2)).toThrow(
    /genotypes and annotation/,
  );
});

test('params are checked against nextflow_schema.json', () => {
  expect(() => resolveParams({ cis_windw: 5 }, 'p.yaml')).toThrow(/unknown parameter 'cis_windw'/);
  expect(() => resolveParams({ cis_chunks: 2.5 }, 'p.yaml')).toThrow(/'cis_chunks' must be an integer/);
  expect(() => resolveParams({ coverage_normalization: 'TPM' })).toThrow(/must be one of RPKM/);
  expect(resolveParams({}).cis_permutations).toBe(1000);
});

describe('running the DAG on real data', () => {
  const dir = tempDir();
  const params = (chunks: number) => {
    const p = join(dir, `params${chunks}.yaml`);
    writeFileSync(
      p,
      [
        `counts: ${sharedPath('data/geuvadis_chr22/qtltools_genes.50percent.chr22.bed.gz')}`,
        `genotypes: ${sharedPath('data/geuvadis_chr22/1kg_phase3_chr22_50.24-51.24Mb_geuvadis358.vcf.gz')}`,
        `cis_chunks: ${chunks}`,
        'cis_permutations: 100',
        'factors_k: 5',
        '',
      ].join('\n'),
    );
    return p;
  };

  test('chunked and unchunked runs give the same merged tables; a second run is resumed', async () => {
    const one = runCli(['run', '--config', params(1), '--outdir', join(dir, 'one'), '--quiet']);
    expect([one.code, one.stderr]).toEqual([0, '']);
    const four = runCli(['run', '--config', params(4), '--outdir', join(dir, 'four'), '--quiet']);
    expect([four.code, four.stderr]).toEqual([0, '']);
    for (const f of [
      'merge_permute/cis_permute.cis_qtl.parquet',
      'merge_independent/cis_independent.cis_independent_qtl.parquet',
      'merge_nominal/cis_nominal.cis_qtl_pairs.22.parquet',
    ]) {
      const a = await openParquet(join(dir, 'one', f));
      const b = await openParquet(join(dir, 'four', f));
      expect([f, a.numRows > 0]).toEqual([f, true]);
      for (const c of a.columnNames)
        expect([f, c, Array.from((await b.column(c)) as ArrayLike<unknown>)]).toEqual([
          f,
          c,
          Array.from((await a.column(c)) as ArrayLike<unknown>),
        ]);
    }
    const s = JSON.parse(readFileSync(join(dir, 'four', 'run.summary.json'), 'utf8'));
    expect(s.ran).toBe(3 + 3 * 4 + 3 + 1); // normalize, import, factors; 3 × 4 chunks; 3 merges; report
    const again = runCli(['run', '--config', params(4), '--outdir', join(dir, 'four'), '--quiet']);
    expect(again.code).toBe(0);
    const s2 = JSON.parse(readFileSync(join(dir, 'four', 'run.summary.json'), 'utf8'));
    expect([s2.ran, s2.cached]).toEqual([0, s.ran]);
  }, 600_000);

  test('a failing step stops the run with exit 2 and names the step and its log', () => {
    const p = join(dir, 'bad.yaml');
    writeFileSync(p, `counts: ${join(dir, 'missing.tsv')}\n`);
    const r = runCli(['run', '--config', p, '--outdir', join(dir, 'bad')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /step NORMALIZE \(qtlflow normalize\) failed with exit code 2; log: .*NORMALIZE\.log/,
    );
    expect(r.stderr).toMatch(/missing\.tsv/);
  });

  test('an unknown parameter in the params file: exit 2 naming it and the file', () => {
    const p = join(dir, 'typo.yaml');
    writeFileSync(p, 'countz: x.tsv\n');
    const r = runCli(['run', '--config', p, '--outdir', join(dir, 'typo')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/typo\.yaml: unknown parameter 'countz'/);
  });
});
