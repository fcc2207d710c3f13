/**
 * Column specifications of the tall result tables (ARCHITECTURE.md §4). Names follow tensorQTL's outputs so
 * downstream code keeps working; docs/outputs.md documents every column. Stages write them with
 * `ParquetTableWriter(path, SPEC.columns, { schema: SPEC.schema, params })`.
 */
import type { ColumnSpec } from './parquet.js';

export interface ResultSpec {
  schema: string;
  columns: ColumnSpec[];
}

const str = (name: string, statistics = false): ColumnSpec => ({ name, type: 'string', statistics });
const int = (name: string): ColumnSpec => ({ name, type: 'int32', statistics: false });
const f64 = (name: string): ColumnSpec => ({ name, type: 'float64' });

export const CIS_NOMINAL: ResultSpec = {
  schema: 'cis_nominal/1',
  columns: [
    str('phenotype_id', true),
    str('variant_id'),
    int('start_distance'),
    f64('af'),
    int('ma_samples'),
    int('ma_count'),
    f64('pval_nominal'),
    f64('slope'),
    f64('slope_se'),
  ],
};

export const CIS_PERMUTATION: ResultSpec = {
  schema: 'cis_permutation/1',
  columns: [
    str('phenotype_id', true),
    int('num_var'),
    f64('beta_shape1'),
    f64('beta_shape2'),
    f64('true_df'),
    f64('pval_true_df'),
    str('variant_id'),
    int('start_distance'),
    f64('af'),
    int('ma_samples'),
    int('ma_count'),
    f64('pval_nominal'),
    f64('slope'),
    f64('slope_se'),
    f64('pval_perm'),
    f64('pval_beta'),
    f64('qval'),
    f64('pval_nominal_threshold'),
  ],
};

/** Conditionally independent signals: the permutation columns (no qval/threshold) + `rank` (tensorQTL). */
export const CIS_INDEPENDENT: ResultSpec = {
  schema: 'cis_independent/1',
  columns: [
    ...CIS_PERMUTATION.columns.filter((c) => c.name !== 'qval' && c.name !== 'pval_nominal_threshold'),
    int('rank'),
  ],
};

export const SUSIE_PIP: ResultSpec = {
  schema: 'susie_pip/1',
  columns: [str('phenotype_id', true), str('variant_id'), f64('pip'), int('cs_id')],
};

export const SUSIE_CS: ResultSpec = {
  schema: 'susie_cs/1',
  columns: [
    str('phenotype_id', true),
    int('cs_id'),
    str('variants'),
    f64('coverage'),
    f64('min_abs_corr'),
    f64('mean_abs_corr'),
    f64('median_abs_corr'),
  ],
};

export const COLOC_SUMMARY: ResultSpec = {
  schema: 'coloc/1',
  columns: [
    str('locus_id', true),
    int('nsnps'),
    f64('PP.H0'),
    f64('PP.H1'),
    f64('PP.H2'),
    f64('PP.H3'),
    f64('PP.H4'),
  ],
};

export const COLOC_SNP: ResultSpec = {
  schema: 'coloc_snp/1',
  columns: [str('locus_id', true), str('snp'), f64('lABF_1'), f64('lABF_2'), f64('SNP.PP.H4')],
};

export const RESULT_SPECS = [
  CIS_NOMINAL,
  CIS_PERMUTATION,
  CIS_INDEPENDENT,
  SUSIE_PIP,
  SUSIE_CS,
  COLOC_SUMMARY,
  COLOC_SNP,
];
