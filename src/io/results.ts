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
const bool = (name: string): ColumnSpec => ({ name, type: 'bool' });

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

/**
 * SuSiE per-variable table: one row per phenotype (or GWAS locus) × variant of its window, with the marginal
 * statistics, the PIP, the posterior effect, the fit's convergence, and α and the log BF of every single effect
 * (`alpha_1…alpha_L`, `lbf_1…lbf_L`: what coloc-SuSiE needs). The number of effect columns is the run's L.
 */
export function susiePipSpec(L: number): ResultSpec {
  const effects: ColumnSpec[] = [];
  for (let l = 1; l <= L; l++) effects.push(f64(`alpha_${l}`));
  for (let l = 1; l <= L; l++) effects.push(f64(`lbf_${l}`));
  return {
    schema: 'susie_pip/2',
    columns: [
      str('phenotype_id', true),
      str('variant_id'),
      str('chr'),
      int('pos'),
      str('ref'),
      str('alt'),
      f64('af'),
      f64('slope'),
      f64('slope_se'),
      f64('pip'),
      int('cs_id'),
      f64('posterior_mean'),
      f64('posterior_sd'),
      bool('converged'),
      int('niter'),
      ...effects,
    ],
  };
}

export const SUSIE_PIP: ResultSpec = susiePipSpec(10);

/** SuSiE credible sets: every set that passes susieR's prior-variance and duplicate filters, pure or not. */
export const SUSIE_CS: ResultSpec = {
  schema: 'susie_cs/2',
  columns: [
    str('phenotype_id', true),
    int('cs_id'),
    int('cs_rank'),
    bool('pure'),
    int('size'),
    str('variants'),
    str('lead_variant'),
    f64('lead_pip'),
    f64('coverage'),
    f64('min_abs_corr'),
    f64('mean_abs_corr'),
    f64('median_abs_corr'),
    f64('lbf'),
    f64('prior_variance'),
  ],
};

/** coloc posteriors: one row per pair of traits (abf), or per pair of credible-set signals (susie). */
export const COLOC_SUMMARY: ResultSpec = {
  schema: 'coloc/2',
  columns: [
    str('locus_id', true),
    str('trait2'),
    str('method'),
    int('idx1'),
    int('idx2'),
    str('hit1'),
    str('hit2'),
    int('nsnps'),
    f64('PP.H0'),
    f64('PP.H1'),
    f64('PP.H2'),
    f64('PP.H3'),
    f64('PP.H4'),
    f64('p1'),
    f64('p2'),
    f64('p12'),
  ],
};

/** coloc per-SNP results of every row of the summary table. */
export const COLOC_SNP: ResultSpec = {
  schema: 'coloc_snp/2',
  columns: [
    str('locus_id', true),
    str('trait2'),
    int('idx1'),
    int('idx2'),
    str('snp'),
    str('snp2'),
    str('chr'),
    int('pos'),
    bool('allele_flip'),
    f64('lABF_1'),
    f64('lABF_2'),
    f64('SNP.PP.H4'),
  ],
};

/**
 * cis interaction pairs (tensorQTL map_nominal with interaction_df): p ~ g + i + g·i + covariates for every cis
 * pair. One interaction term: `b_i`, `b_gi` …; several: `b_<name>`, `b_g-<name>` … as tensorQTL names them.
 */
export function cisInteractionSpec(terms: string[]): ResultSpec {
  const one = terms.length === 1;
  const effect = (label: string): ColumnSpec[] => [
    f64(`pval_${label}`),
    f64(`b_${label}`),
    f64(`b_${label}_se`),
  ];
  return {
    schema: 'cis_interaction/1',
    columns: [
      str('phenotype_id', true),
      str('variant_id'),
      int('start_distance'),
      f64('af'),
      int('ma_samples'),
      int('ma_count'),
      ...effect('g'),
      ...(one ? effect('i') : terms.flatMap((t) => effect(t))),
      ...(one ? effect('gi') : terms.flatMap((t) => effect(`g-${t}`))),
    ],
  };
}

/** Variant × gene annotations (`annotate`); its columns depend on the VEP fields (docs/outputs.md). */
export const VARIANT_ANNOTATION_SCHEMA = 'variant_annotation/1';

/** Rare-variant tests, one row per gene × test (× weight for burden). */
export const RARE: ResultSpec = {
  schema: 'rare/1',
  columns: [
    str('phenotype_id', true),
    str('chr'),
    int('tss'),
    str('test'),
    str('weights'),
    str('agg'),
    int('num_var'),
    int('num_carriers'),
    int('mac'),
    f64('beta'),
    f64('beta_se'),
    f64('stat'),
    f64('pval'),
    f64('pval_lrt'),
    str('pval_method'),
    str('variants'),
  ],
};

/** trans pairs below the p threshold (tensorQTL map_trans). */
export const TRANS: ResultSpec = {
  schema: 'trans_pairs/1',
  columns: [
    str('variant_id', true),
    str('phenotype_id'),
    f64('pval'),
    f64('b'),
    f64('b_se'),
    f64('r2'),
    f64('af'),
    str('variant_chr'),
    int('variant_pos'),
    str('phenotype_chr'),
    int('phenotype_tss'),
  ],
};

/** Genome-wide permutation FDR for trans: each phenotype's top trans variant (tensorQTL map_permutations). */
export const TRANS_PERMUTATION: ResultSpec = {
  schema: 'trans_permutation/1',
  columns: [
    str('phenotype_id', true),
    int('num_var'),
    f64('beta_shape1'),
    f64('beta_shape2'),
    f64('true_df'),
    f64('pval_true_df'),
    str('variant_id'),
    f64('af'),
    f64('pval_nominal'),
    f64('b'),
    f64('b_se'),
    f64('pval_perm'),
    f64('pval_beta'),
    f64('qval'),
  ],
};

/**
 * `segment` (SegmentQTL's model): nominal pairs, with SegmentQTL's column names (its output table) after
 * `chr` and the variant's `pos`; the AIC columns only with `--record-aic` (`segmentNominalSpec(true)`).
 */
export function segmentNominalSpec(recordAic: boolean): ResultSpec {
  return {
    schema: 'segment_nominal/1',
    columns: [
      str('phenotype', true),
      str('variant'),
      str('chr', true),
      int('pos'),
      int('number_of_samples'),
      f64('beta_s'),
      f64('se_s'),
      f64('beta_d'),
      f64('se_d'),
      f64('t_stat_d'),
      f64('nominal_p'),
      f64('r2_alt'),
      ...(recordAic ? [f64('aic_null'), f64('aic_alt'), f64('delta_aic_alt_minus_null')] : []),
    ],
  };
}
export const SEGMENT_NOMINAL: ResultSpec = segmentNominalSpec(true);

/** `segment --mode perm`: the lead variant per gene with its permutation and beta-approximated p-values. */
export function segmentPermutationSpec(recordAic: boolean): ResultSpec {
  return {
    schema: 'segment_permutation/1',
    columns: [
      ...segmentNominalSpec(recordAic).columns,
      int('num_var'),
      int('num_perm'),
      f64('beta_shape1'),
      f64('beta_shape2'),
      f64('true_df'),
      f64('pval_true_df'),
      f64('pval_perm'),
      f64('p_adj'),
      f64('qval'),
    ],
  };
}
export const SEGMENT_PERMUTATION: ResultSpec = segmentPermutationSpec(true);

/** `segment --mode finemap`: one row per gene × kept variant (SegmentQTL's finemap table). */
export const SEGMENT_FINEMAP: ResultSpec = {
  schema: 'segment_finemap/1',
  columns: [
    str('phenotype', true),
    str('variant'),
    int('n_samples'),
    int('n_variants'),
    int('n_obs'),
    f64('mean_d'),
    f64('sd_d'),
    f64('stability_score'),
    bool('is_stable'),
    f64('mean_beta'),
    f64('sign_consistency'),
    f64('lambda_selected'),
    f64('beta_full'),
    f64('beta_full_raw'),
  ],
};

/** `segment --mode validate`: per gene, how the discovery model predicts an independent cohort. */
export const SEGMENT_VALIDATION: ResultSpec = {
  schema: 'segment_validation/1',
  columns: [
    str('phenotype', true),
    int('n_samples'),
    int('n_variants_used'),
    f64('rmse'),
    f64('mae'),
    f64('r2'),
    f64('r2_baseline'),
    f64('delta_r2'),
    f64('calibration_intercept'),
    f64('calibration_slope'),
    f64('rho'),
    f64('rho_pval'),
  ],
};

export const RESULT_SPECS = [
  CIS_NOMINAL,
  CIS_PERMUTATION,
  CIS_INDEPENDENT,
  SUSIE_PIP,
  SUSIE_CS,
  COLOC_SUMMARY,
  COLOC_SNP,
  RARE,
  TRANS,
  TRANS_PERMUTATION,
  cisInteractionSpec(['i']),
  SEGMENT_NOMINAL,
  SEGMENT_PERMUTATION,
  SEGMENT_FINEMAP,
  SEGMENT_VALIDATION,
];
