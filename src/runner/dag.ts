/**
 * The pipeline's DAG as the local runner executes it: the same processes as pipeline.nf (names and aliases),
 * the same stage command lines as the modules' `script:` blocks, and the same published layout
 * (`OUTDIR/<process name in lower case>/…`, as nextflow.config's publishDir). Parameters are the Nextflow
 * params (snake_case), with the defaults and types of nextflow_schema.json, so one params file serves both
 * `nextflow run pipeline.nf -params-file P` and `qtlflow run --config P`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../io/errors.js';
import { cellTypeFileName } from '../stages/pseudobulk/index.js';

export type Params = Record<string, string | number | boolean | null>;

export interface Step {
  /** Unique within the run, e.g. `CIS_PERMUTE_3of7`. */
  id: string;
  /** The Nextflow process (alias) this step is an instance of. */
  process: string;
  stage: string;
  args: string[];
  /** Files read (for resume: a step re-runs when one of them changed). */
  inputs: string[];
  /** The stage's run summary: written last, it marks the step complete and lists the step's outputs. */
  summary: string;
  /** Steps whose outputs this one reads. */
  after: string[];
}

interface SchemaProperty {
  type: 'string' | 'integer' | 'number' | 'boolean';
  default?: unknown;
  enum?: unknown[];
}

/** The package folder (holds nextflow_schema.json), found from src/, dist/src/ or dist/bin/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'nextflow_schema.json')) && existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('nextflow_schema.json not found beside the qtlflow package');
}

export function schemaProperties(): Record<string, SchemaProperty> {
  const schema = JSON.parse(readFileSync(join(packageRoot(), 'nextflow_schema.json'), 'utf8')) as {
    $defs: Record<string, { properties: Record<string, SchemaProperty> }>;
  };
  const out: Record<string, SchemaProperty> = {};
  for (const d of Object.values(schema.$defs)) Object.assign(out, d.properties);
  return out;
}

/** The user's params over the schema defaults, each checked against its declared type. */
export function resolveParams(user: Record<string, unknown>, file?: string): Params {
  const props = schemaProperties();
  const out: Params = {};
  for (const [k, p] of Object.entries(props)) out[k] = (p.default as Params[string]) ?? null;
  for (const [k, given] of Object.entries(user)) {
    const p = props[k];
    // a string parameter may be given as a number (`factors_k: 10`), as Nextflow takes it
    const v = p?.type === 'string' && typeof given === 'number' ? String(given) : given;
    if (!p)
      throw new InputError(`unknown parameter '${k}'`, {
        file,
        hint: `Parameters are those of nextflow_schema.json (snake_case), e.g. ${Object.keys(props).slice(0, 6).join(', ')}`,
      });
    const ok =
      v === null ||
      (p.type === 'string' && typeof v === 'string') ||
      (p.type === 'boolean' && typeof v === 'boolean') ||
      (p.type === 'number' && typeof v === 'number' && Number.isFinite(v)) ||
      (p.type === 'integer' && typeof v === 'number' && Number.isInteger(v));
    if (!ok)
      throw new InputError(
        `parameter '${k}' must be ${p.type === 'integer' ? 'an integer' : `a ${p.type}`}`,
        {
          file,
          expected: `${p.type}, not ${JSON.stringify(v)}`,
        },
      );
    if (p.enum && v !== null && !p.enum.includes(v))
      throw new InputError(`parameter '${k}' must be one of ${p.enum.join(', ')}`, { file });
    out[k] = v as Params[string];
  }
  return out;
}

const str = (v: Params[string]): string => String(v);

/** Builds the steps for these params, in an order that runs every step after its inputs. */
export function buildSteps(p: Params, outdir: string, threads: number): Step[] {
  const steps: Step[] = [];
  const dir = (process: string) => join(outdir, process.toLowerCase());
  const common = ['--threads', String(threads)];
  if (!p.counts && !p.fragments && !p.h5ad && !p.segment_genotypes)
    throw new InputError(
      'nothing to run: give counts (the QTL branch), h5ad (single-cell), segment_genotypes (SegmentQTL) or fragments (coverage tracks)',
      {
        hint: 'Set counts (and genotypes for QTL mapping), h5ad, segment_* inputs, or fragments, cell_groups and chrom_sizes in the params file',
      },
    );

  /** NORMALIZE (or an alias) for one counts file; `label` prefixes its outputs ('' in the bulk branch). */
  const normalize = (process: string, id: string, label: string, counts: string, after: string[]) => {
    const out = join(dir(process), `${label}phenotypes.parquet`);
    steps.push({
      id,
      process,
      stage: 'normalize',
      args: [
        '--input',
        counts,
        ...(p.annotation ? ['--annotation', str(p.annotation)] : []),
        '--out',
        out,
        '--method',
        str(p.norm_method),
        ...(p.inverse_normal ? ['--int'] : []),
        '--min-count',
        str(p.min_count),
        '--min-tpm',
        str(p.min_tpm),
        '--min-sample-frac',
        str(p.min_sample_frac),
        '--report',
        join(dir(process), `${label}normalize.report.json`),
        ...common,
      ],
      inputs: [counts, ...(p.annotation ? [str(p.annotation)] : [])],
      summary: join(dir(process), `${label}phenotypes.summary.json`),
      after,
    });
    return out;
  };

  let genotypes: string | undefined;
  const importGenotypes = (): string => {
    if (genotypes) return genotypes;
    genotypes = join(dir('IMPORT'), 'genotypes.parquet');
    steps.push({
      id: 'IMPORT',
      process: 'IMPORT',
      stage: 'import',
      args: [
        '--genotypes',
        str(p.genotypes),
        ...(Number(p.maf_min) > 0 ? ['--maf-min', str(p.maf_min)] : []),
        '--out',
        genotypes,
        ...common,
      ],
      inputs: [str(p.genotypes)],
      summary: join(dir('IMPORT'), 'genotypes.summary.json'),
      after: [],
    });
    return genotypes;
  };

  /** FACTORS (or an alias): known covariates + genotype PCs + hidden factors as the cis covariates. */
  const factors = (
    process: string,
    id: string,
    label: string,
    phenotypes: string,
    known: string | undefined,
    after: string[],
  ) => {
    const out = join(dir(process), `${label}covariates.parquet`);
    steps.push({
      id,
      process,
      stage: 'factors',
      args: [
        '--phenotypes',
        phenotypes,
        '--genotypes',
        genotypes!,
        '--genotype-pcs',
        str(p.genotype_pcs),
        ...(known ? ['--known', known] : []),
        '--method',
        str(p.factors_method),
        '--k',
        str(p.factors_k),
        '--max-iter',
        str(p.peer_max_iter),
        '--seed',
        str(p.factors_seed),
        '--out',
        out,
        ...common,
      ],
      inputs: [phenotypes, genotypes!, ...(known ? [known] : [])],
      summary: join(dir(process), `${label}covariates.summary.json`),
      after,
    });
    return out;
  };

  const N = Number(p.cis_chunks);
  /** The --cis_chunks CIS tasks of one mode (process alias), for one label. */
  const cisChunks = (
    process: string,
    label: string,
    mode: string,
    phenotypes: string,
    covariates: string | undefined,
    extra: string[],
    after: string[],
    extraInputs: string[],
  ) => {
    const prefixes: string[] = [];
    const ids: string[] = [];
    for (let k = 1; k <= N; k++) {
      const prefix = join(dir(process), `${label}cis_${mode}_${k}of${N}`);
      prefixes.push(prefix);
      const id = `${process}_${label ? label.replace(/\.$/, '') + '_' : ''}${k}of${N}`;
      ids.push(id);
      steps.push({
        id,
        process,
        stage: 'cis',
        args: [
          '--genotypes',
          genotypes!,
          '--phenotypes',
          phenotypes,
          ...(covariates ? ['--covariates', covariates] : []),
          ...extra,
          '--mode',
          mode,
          '--chunk',
          `${k}/${N}`,
          '--window',
          str(p.cis_window),
          '--permutations',
          str(p.cis_permutations),
          '--seed',
          str(p.cis_seed),
          '--maf-min',
          str(p.maf_min),
          '--fdr',
          str(p.fdr),
          '--out',
          prefix,
          ...common,
        ],
        inputs: [genotypes!, phenotypes, ...(covariates ? [covariates] : []), ...extraInputs],
        summary: `${prefix}.summary.json`,
        after,
      });
    }
    return { prefixes, ids };
  };
  const merge = (
    process: string,
    id: string,
    label: string,
    chunks: { prefixes: string[]; ids: string[] },
  ) => {
    // named by mode, so that the merges' files never collide when collected (REPORT)
    const out = join(dir(process), `${label}cis_${process.replace(/^(SC_)?MERGE_/, '').toLowerCase()}`);
    steps.push({
      id,
      process,
      stage: 'cis-merge',
      args: ['--inputs', ...chunks.prefixes, '--out', out, '--fdr', str(p.fdr), ...common],
      inputs: chunks.prefixes.map((x) => `${x}.summary.json`),
      summary: `${out}.summary.json`,
      after: chunks.ids,
    });
  };

  if (p.counts) {
    const phenotypes = normalize('NORMALIZE', 'NORMALIZE', '', str(p.counts), []);

    if (p.genotypes) {
      importGenotypes();
      // the cis covariates: given, or made by FACTORS (known covariates + genotype PCs + hidden factors)
      let covariates = p.covariates ? str(p.covariates) : undefined;
      if (p.factors && !p.covariates)
        covariates = factors(
          'FACTORS',
          'FACTORS',
          '',
          phenotypes,
          p.known_covariates ? str(p.known_covariates) : undefined,
          ['NORMALIZE', 'IMPORT'],
        );
      const covInputs = covariates ? [covariates] : [];
      // what the stages that model phenotypes on genotypes (finemap, trans, rare) read first
      const mapped = [
        '--genotypes',
        genotypes!,
        '--phenotypes',
        phenotypes,
        ...(covariates ? ['--covariates', covariates] : []),
      ];
      const covAfter = p.factors && !p.covariates ? ['FACTORS'] : [];
      const after = ['NORMALIZE', 'IMPORT', ...covAfter];
      merge(
        'MERGE_PERMUTE',
        'MERGE_PERMUTE',
        '',
        cisChunks('CIS_PERMUTE', '', 'permute', phenotypes, covariates, [], after, []),
      );
      const permTable = join(dir('MERGE_PERMUTE'), 'cis_permute.cis_qtl.parquet');
      if (p.cis_independent)
        merge(
          'MERGE_INDEPENDENT',
          'MERGE_INDEPENDENT',
          '',
          cisChunks(
            'CIS_INDEPENDENT',
            '',
            'independent',
            phenotypes,
            covariates,
            ['--cis-results', permTable],
            [...after, 'MERGE_PERMUTE'],
            [permTable],
          ),
        );
      if (p.cis_nominal)
        merge(
          'MERGE_NOMINAL',
          'MERGE_NOMINAL',
          '',
          cisChunks('CIS_NOMINAL', '', 'nominal', phenotypes, covariates, [], after, []),
        );
      if (p.finemap) {
        const fm = join(dir('FINEMAP'), 'finemap');
        steps.push({
          id: 'FINEMAP',
          process: 'FINEMAP',
          stage: 'finemap',
          args: [
            ...mapped,
            '--cis',
            permTable,
            '--fdr',
            str(p.fdr),
            '--window',
            str(p.cis_window),
            '--L',
            str(p.finemap_L),
            '--coverage',
            str(p.finemap_coverage),
            '--min-abs-corr',
            str(p.finemap_min_abs_corr),
            '--out',
            fm,
            ...common,
          ],
          inputs: [genotypes!, phenotypes, permTable, ...covInputs],
          summary: `${fm}.summary.json`,
          after: [...after, 'MERGE_PERMUTE'],
        });
        if (p.gwas) {
          const co = join(dir('COLOC'), 'coloc');
          steps.push({
            id: 'COLOC',
            process: 'COLOC',
            stage: 'coloc',
            args: [
              '--dataset1',
              `${fm}.susie_pip.parquet`,
              '--dataset2',
              str(p.gwas),
              '--method',
              str(p.coloc_method),
              '--type2',
              str(p.gwas_type),
              ...(p.gwas_n ? ['--N2', str(p.gwas_n)] : []),
              '--genotypes',
              genotypes!,
              '--p1',
              str(p.coloc_p1),
              '--p2',
              str(p.coloc_p2),
              '--out',
              co,
              ...common,
            ],
            inputs: [`${fm}.susie_pip.parquet`, `${fm}.susie_cs.parquet`, str(p.gwas), genotypes!],
            summary: `${co}.summary.json`,
            after: ['FINEMAP', 'IMPORT'],
          });
        }
      }
      if (p.trans) {
        const prefix = join(dir('TRANS'), 'trans');
        steps.push({
          id: 'TRANS',
          process: 'TRANS',
          stage: 'trans',
          args: [
            ...mapped,
            '--pval-threshold',
            str(p.trans_pval_threshold),
            '--cis-exclude',
            str(p.trans_cis_exclude),
            '--maf-min',
            str(p.trans_maf_min),
            '--permutations',
            str(p.trans_permutations),
            '--out',
            prefix,
            ...common,
          ],
          inputs: [genotypes!, phenotypes, ...covInputs],
          summary: `${prefix}.summary.json`,
          after: ['NORMALIZE', 'IMPORT', ...covAfter],
        });
      }
      if (p.rare) {
        const annotations = join(dir('ANNOTATE'), 'annotations.parquet');
        if (p.vep)
          steps.push({
            id: 'ANNOTATE',
            process: 'ANNOTATE',
            stage: 'annotate',
            args: [
              '--vep',
              str(p.vep),
              '--genotypes',
              genotypes!,
              ...(p.annotation ? ['--genes', str(p.annotation)] : []),
              '--pick',
              str(p.annotate_pick),
              '--out',
              annotations,
              ...common,
            ],
            inputs: [str(p.vep), genotypes!, ...(p.annotation ? [str(p.annotation)] : [])],
            summary: join(dir('ANNOTATE'), 'annotations.summary.json'),
            after: ['IMPORT'],
          });
        const out = join(dir('RARE'), 'rare.parquet');
        steps.push({
          id: 'RARE',
          process: 'RARE',
          stage: 'rare',
          args: [
            ...mapped,
            ...(p.vep ? ['--annotations', annotations] : []),
            '--test',
            str(p.rare_test),
            '--maf-max',
            str(p.rare_maf_max),
            '--weights',
            str(p.rare_weights),
            '--agg',
            str(p.rare_agg),
            '--window',
            str(p.rare_window),
            '--out',
            out,
            ...common,
          ],
          inputs: [genotypes!, phenotypes, ...covInputs, ...(p.vep ? [annotations] : [])],
          summary: join(dir('RARE'), 'rare.summary.json'),
          after: ['NORMALIZE', 'IMPORT', ...covAfter, ...(p.vep ? ['ANNOTATE'] : [])],
        });
      }
      if (p.report) {
        // what pipeline.nf collects into REPORT: every result table and run summary of the QTL branch
        const results = [permTable, join(dir('MERGE_PERMUTE'), 'cis_permute.summary.json')];
        results.push(
          join(dir('NORMALIZE'), 'normalize.report.json'),
          join(dir('NORMALIZE'), 'phenotypes.summary.json'),
        );
        results.push(join(dir('IMPORT'), 'genotypes.summary.json'));
        if (p.cis_independent)
          results.push(join(dir('MERGE_INDEPENDENT'), 'cis_independent.cis_independent_qtl.parquet'));
        if (p.cis_nominal) results.push(dir('MERGE_NOMINAL')); // one table per chromosome: the folder
        if (p.finemap) {
          results.push(
            join(dir('FINEMAP'), 'finemap.susie_pip.parquet'),
            join(dir('FINEMAP'), 'finemap.susie_cs.parquet'),
          );
          if (p.gwas) results.push(join(dir('COLOC'), 'coloc.coloc.parquet'));
        }
        if (p.factors && !p.covariates) results.push(join(dir('FACTORS'), 'covariates.summary.json'));
        const html = join(dir('REPORT'), 'report.html');
        steps.push({
          id: 'REPORT',
          process: 'REPORT',
          stage: 'report',
          args: [
            '--out',
            html,
            '--phenotypes',
            phenotypes,
            '--genotypes',
            genotypes!,
            ...(p.truth ? ['--truth', str(p.truth)] : []),
            '--fdr',
            str(p.fdr),
            '--top-loci',
            str(p.report_top_loci),
            '--max-points',
            str(p.report_max_points),
            ...common,
            ...results,
          ],
          inputs: [
            ...results.filter((r) => r.endsWith('.parquet') || r.endsWith('.json')),
            ...(p.truth ? [str(p.truth)] : []),
          ],
          summary: join(dir('REPORT'), 'report.summary.json'),
          after: [
            'MERGE_PERMUTE',
            'NORMALIZE',
            'IMPORT',
            ...(p.cis_independent ? ['MERGE_INDEPENDENT'] : []),
            ...(p.cis_nominal ? ['MERGE_NOMINAL'] : []),
            ...(p.finemap ? ['FINEMAP'] : []),
            ...(p.finemap && p.gwas ? ['COLOC'] : []),
            ...(p.factors && !p.covariates ? ['FACTORS'] : []),
          ],
        });
      }
    } else if (p.finemap || p.gwas || p.trans || p.rare) {
      throw new InputError('finemap, gwas, trans and rare need genotypes', {
        hint: 'Set genotypes in the params file',
      });
    }
  }

  if (p.h5ad) {
    // single-cell branch: PSEUDOBULK, then per cell type SC_NORMALIZE → SC_FACTORS → SC_CIS_* (pipeline.nf's labels)
    if (!p.genotypes || !p.annotation)
      throw new InputError('h5ad needs genotypes and annotation', {
        hint: 'Set genotypes (the donors’ genotypes) and annotation (gene positions) in the params file',
      });
    if (!p.celltypes)
      throw new InputError('the local runner needs the cell types of the single-cell branch named', {
        hint: 'Set celltypes (comma-separated, as in the obs cell-type column); Nextflow finds them itself',
      });
    const cellTypes = str(p.celltypes)
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean);
    const pb = join(dir('PSEUDOBULK'), 'pseudobulk');
    steps.push({
      id: 'PSEUDOBULK',
      process: 'PSEUDOBULK',
      stage: 'pseudobulk',
      args: [
        '--h5ad',
        str(p.h5ad),
        '--donor-key',
        str(p.donor_key),
        '--celltype-key',
        str(p.celltype_key),
        ...(p.sc_layer ? ['--layer', str(p.sc_layer)] : []),
        '--celltypes',
        cellTypes.join(','),
        ...(p.donor_covariates ? ['--donor-covariates', str(p.donor_covariates)] : []),
        '--func',
        str(p.pseudobulk_func),
        '--min-cells',
        str(p.min_cells),
        '--min-donor-frac',
        str(p.min_donor_frac),
        '--out-dir',
        pb,
        ...common,
      ],
      inputs: [str(p.h5ad)],
      summary: join(pb, 'pseudobulk.summary.json'),
      after: [],
    });
    importGenotypes();
    const known = p.donor_covariates
      ? join(pb, 'donor_covariates.tsv')
      : p.known_covariates
        ? str(p.known_covariates)
        : undefined;
    for (const ct of cellTypes) {
      const name = cellTypeFileName(ct);
      const label = `${name}.`;
      const phenotypes = normalize(
        'SC_NORMALIZE',
        `SC_NORMALIZE_${name}`,
        label,
        join(pb, `${name}.counts.parquet`),
        ['PSEUDOBULK'],
      );
      const covariates = factors('SC_FACTORS', `SC_FACTORS_${name}`, label, phenotypes, known, [
        `SC_NORMALIZE_${name}`,
        'IMPORT',
        ...(p.donor_covariates ? ['PSEUDOBULK'] : []),
      ]);
      const after = [`SC_NORMALIZE_${name}`, 'IMPORT', `SC_FACTORS_${name}`];
      merge(
        'SC_MERGE_PERMUTE',
        `SC_MERGE_PERMUTE_${name}`,
        label,
        cisChunks('SC_CIS_PERMUTE', label, 'permute', phenotypes, covariates, [], after, []),
      );
      if (p.cis_nominal)
        merge(
          'SC_MERGE_NOMINAL',
          `SC_MERGE_NOMINAL_${name}`,
          label,
          cisChunks('SC_CIS_NOMINAL', label, 'nominal', phenotypes, covariates, [], after, []),
        );
    }
  }

  if (p.segment_genotypes) {
    if (!p.segment_quantifications || !p.segment_copynumber || !p.segment_segmentation)
      throw new InputError(
        'segment_genotypes needs segment_quantifications, segment_copynumber and segment_segmentation',
        {
          hint: 'Set the SegmentQTL inputs in the params file',
        },
      );
    for (const mode of str(p.segment_modes)
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean)) {
      const out = join(dir('SEGMENT'), `segment_${mode}`);
      const inputs = [
        str(p.segment_quantifications),
        str(p.segment_copynumber),
        str(p.segment_segmentation),
        ...(p.segment_covariates ? [str(p.segment_covariates)] : []),
      ];
      steps.push({
        id: `SEGMENT_${mode}`,
        process: 'SEGMENT',
        stage: 'segment',
        args: [
          '--mode',
          mode,
          '--genotypes',
          str(p.segment_genotypes),
          '--quantifications',
          str(p.segment_quantifications),
          '--copynumber',
          str(p.segment_copynumber),
          '--segmentation',
          str(p.segment_segmentation),
          ...(p.segment_covariates ? ['--covariates', str(p.segment_covariates)] : []),
          ...(p.segment_neg_control ? ['--neg-control'] : []),
          '--window',
          str(p.segment_window),
          '--permutations',
          str(p.segment_permutations),
          '--perm-method',
          str(p.segment_perm_method),
          '--seed',
          str(p.segment_seed),
          '--out',
          out,
          ...common,
        ],
        inputs,
        summary: `${out}.summary.json`,
        after: [],
      });
    }
  }

  if (p.fragments) {
    if (!p.cell_groups || !p.chrom_sizes)
      throw new InputError(
        'fragments need cell_groups (barcode<TAB>group) and chrom_sizes (UCSC chrom.sizes)',
      );
    const out = join(dir('COVERAGE'), 'coverage');
    steps.push({
      id: 'COVERAGE',
      process: 'COVERAGE',
      stage: 'coverage',
      args: [
        '--fragments',
        str(p.fragments),
        '--groups',
        str(p.cell_groups),
        '--chrom-sizes',
        str(p.chrom_sizes),
        ...(p.blacklist ? ['--blacklist', str(p.blacklist)] : []),
        '--out-dir',
        out,
        '--suffix',
        str(p.coverage_suffix),
        '--bin-size',
        str(p.coverage_bin_size),
        '--normalization',
        str(p.coverage_normalization),
        '--counting-strategy',
        str(p.coverage_counting_strategy),
        '--max-frag-length',
        str(p.coverage_max_frag_length),
        '--tempdir',
        out,
        ...common,
      ],
      inputs: [
        str(p.fragments),
        str(p.cell_groups),
        str(p.chrom_sizes),
        ...(p.blacklist ? [str(p.blacklist)] : []),
      ],
      summary: join(out, 'coverage.summary.json'),
      after: [],
    });
  }
  return steps;
}

/** The process-level DAG of the steps: nodes are processes, edges say whose outputs feed whom. */
export function processGraph(steps: Step[]): { nodes: string[]; edges: [string, string][] } {
  const processOf = new Map(steps.map((s) => [s.id, s.process]));
  const nodes = [...new Set(steps.map((s) => s.process))].sort();
  const edges = new Set<string>();
  for (const s of steps) for (const a of s.after) edges.add(`${processOf.get(a)}\t${s.process}`);
  return {
    nodes,
    edges: [...edges].sort().map((e) => e.split('\t') as [string, string]),
  };
}
