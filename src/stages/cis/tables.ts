/**
 * The cis result tables as columns (contracts in src/io/results.ts), and the run-wide significance step of
 * the permutation table: q-values (Storey, as R qvalue) or Benjamini–Hochberg on pval_beta, and FastQTL's
 * per-phenotype nominal p-value thresholds. Significance needs every phenotype, so a `--chunk` run leaves
 * it to `cis-merge`.
 */
import type { ColumnData } from '../../io/parquet.js';
import { benjaminiHochberg, estimatePi0, nominalThresholds, qvalues } from '../../stats/qvalue.js';
import type { IndependentRow, PermutationRow } from './index.js';

export interface SignificanceOptions {
  fdr: number;
  method: 'qvalue' | 'bh';
  /** Fixed λ for π0; default the qvalue smoother. */
  lambda?: number;
}

export interface Significance {
  qval: Float64Array;
  thresholds: Float64Array;
  /** The pval_beta threshold at the FDR (GTEx's min-p threshold), null when no phenotype is significant. */
  pThreshold: number | null;
  significant: number;
  /** A note for the log when the estimate had to fall back. */
  warning?: string;
  /** π0 and how it was estimated (qvalue method). */
  pi0?: { pi0: number; method: string; lambda: number | number[]; pi0_lambda: number[] };
}

export function significance(rows: PermutationRow[], o: SignificanceOptions): Significance {
  const pBeta = rows.map((r) => r.pvalBeta);
  let qval: Float64Array;
  let pi0: Significance['pi0'];
  if (o.method === 'bh') qval = benjaminiHochberg(pBeta);
  else {
    const est = estimatePi0(pBeta, o.lambda);
    qval = qvalues(pBeta, est.pi0);
    pi0 = { pi0: est.pi0, method: est.method, lambda: est.lambda, pi0_lambda: est.pi0Lambda };
  }
  const thr = nominalThresholds(
    pBeta,
    qval,
    rows.map((r) => r.shape1),
    rows.map((r) => r.shape2),
    o.fdr,
  );
  return {
    warning:
      pi0?.method === 'fallback'
        ? `π0 could not be estimated from ${rows.length} p-values (R qvalue stops here): π0 = 1 used, i.e. Benjamini–Hochberg q-values`
        : undefined,
    qval,
    thresholds: thr ? thr.thresholds : new Float64Array(rows.length).fill(NaN),
    pThreshold: thr?.pThreshold ?? null,
    significant: qval.filter((q) => q <= o.fdr).length,
    pi0,
  };
}

function permutationColumns(rows: PermutationRow[]): ColumnData[] {
  const col = <T>(f: (r: PermutationRow) => T) => rows.map(f);
  return [
    col((r) => r.phenotypeId),
    Int32Array.from(col((r) => r.numVar)),
    Float64Array.from(col((r) => r.shape1)),
    Float64Array.from(col((r) => r.shape2)),
    Float64Array.from(col((r) => r.trueDf)),
    Float64Array.from(col((r) => r.pvalTrueDf)),
    col((r) => r.variantId),
    Int32Array.from(col((r) => r.startDistance)),
    Float64Array.from(col((r) => r.af)),
    Int32Array.from(col((r) => r.maSamples)),
    Int32Array.from(col((r) => r.maCount)),
    Float64Array.from(col((r) => r.pvalNominal)),
    Float64Array.from(col((r) => r.slope)),
    Float64Array.from(col((r) => r.slopeSe)),
    Float64Array.from(col((r) => r.pvalPerm)),
    Float64Array.from(col((r) => r.pvalBeta)),
  ];
}

/** Columns of the cis_permutation table; qval and the thresholds NaN when not computed (chunks). */
export function permutationTable(rows: PermutationRow[], sig?: Significance): ColumnData[] {
  const nan = () => new Float64Array(rows.length).fill(NaN);
  return [...permutationColumns(rows), sig?.qval ?? nan(), sig?.thresholds ?? nan()];
}

/** Columns of the cis_independent table. */
export function independentTable(rows: IndependentRow[]): ColumnData[] {
  return [...permutationColumns(rows), Int32Array.from(rows.map((r) => r.rank))];
}

/** Rows of a cis_permutation table read back (for cis-merge and independent mode). */
export function permutationRowsFrom(cols: Record<string, ArrayLike<unknown>>): PermutationRow[] {
  const n = cols.phenotype_id.length;
  const num = (name: string, i: number) => Number(cols[name][i]);
  const out: PermutationRow[] = [];
  for (let i = 0; i < n; i++)
    out.push({
      phenotypeId: String(cols.phenotype_id[i]),
      numVar: num('num_var', i),
      shape1: num('beta_shape1', i),
      shape2: num('beta_shape2', i),
      trueDf: num('true_df', i),
      pvalTrueDf: num('pval_true_df', i),
      variantId: String(cols.variant_id[i]),
      startDistance: num('start_distance', i),
      af: num('af', i),
      maSamples: num('ma_samples', i),
      maCount: num('ma_count', i),
      pvalNominal: num('pval_nominal', i),
      slope: num('slope', i),
      slopeSe: num('slope_se', i),
      pvalPerm: num('pval_perm', i),
      pvalBeta: num('pval_beta', i),
    });
  return out;
}
