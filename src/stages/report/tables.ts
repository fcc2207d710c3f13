/**
 * Readers of the per-phenotype result tables the report summarizes: the cis permutation and independent
 * tables (one row per phenotype / signal: small, read whole), SuSiE PIPs and credible sets (streamed by row
 * group: they can hold every variant of every fine-mapped locus) and coloc tables.
 */
import { InputError } from '../../io/errors.js';
import { openParquet, toFloat64, toInt32, toStrings } from '../../io/parquet.js';

export interface LeadRow {
  phenotypeId: string;
  variantId: string;
  startDistance: number;
  numVar: number;
  pvalNominal: number;
  slope: number;
  pvalBeta: number;
  qval: number;
  pvalNominalThreshold: number;
}

export interface PermutationTables {
  rows: LeadRow[];
  /** The producing run's parameters (table metadata), from the first table. */
  params?: Record<string, unknown>;
}

/** Reads and joins permutation tables; a phenotype in two of them is an error (two runs mixed up). */
export async function readPermutationTables(files: string[]): Promise<PermutationTables> {
  const rows: LeadRow[] = [];
  const from = new Map<string, string>();
  let params: Record<string, unknown> | undefined;
  for (const file of files) {
    const t = await openParquet(file);
    params ??= t.meta.params;
    const id = toStrings(await t.column('phenotype_id'));
    const variant = toStrings(await t.column('variant_id'));
    const dist = toInt32(await t.column('start_distance'));
    const numVar = toInt32(await t.column('num_var'));
    const pn = toFloat64(await t.column('pval_nominal'));
    const slope = toFloat64(await t.column('slope'));
    const pb = toFloat64(await t.column('pval_beta'));
    const q = toFloat64(await t.column('qval'));
    const thr = toFloat64(await t.column('pval_nominal_threshold'));
    for (let i = 0; i < id.length; i++) {
      const other = from.get(id[i]);
      if (other !== undefined)
        throw new InputError(`phenotype '${id[i]}' is also in the permutation table ${other}`, {
          file,
          line: i + 1,
          hint: 'Give the report one permutation table per run (cis-merge joins --chunk outputs)',
        });
      from.set(id[i], file);
      rows.push({
        phenotypeId: id[i],
        variantId: variant[i],
        startDistance: dist[i],
        numVar: numVar[i],
        pvalNominal: pn[i],
        slope: slope[i],
        pvalBeta: pb[i],
        qval: q[i],
        pvalNominalThreshold: thr[i],
      });
    }
  }
  return { rows, params };
}

export interface SignalRow {
  phenotypeId: string;
  variantId: string;
  startDistance: number;
  rank: number;
  pvalNominal: number;
}

export async function readIndependentTables(files: string[]): Promise<SignalRow[]> {
  const rows: SignalRow[] = [];
  for (const file of files) {
    const t = await openParquet(file);
    const id = toStrings(await t.column('phenotype_id'));
    const variant = toStrings(await t.column('variant_id'));
    const dist = toInt32(await t.column('start_distance'));
    const rank = toInt32(await t.column('rank'));
    const pn = toFloat64(await t.column('pval_nominal'));
    for (let i = 0; i < id.length; i++)
      rows.push({
        phenotypeId: id[i],
        variantId: variant[i],
        startDistance: dist[i],
        rank: rank[i],
        pvalNominal: pn[i],
      });
  }
  return rows;
}

export interface PipRow {
  variantId: string;
  pip: number;
  /** Credible set (≥ 1), or 0 / negative for a variant in none. */
  csId: number;
}

export interface FineMapping {
  /** Per fine-mapped phenotype: the largest PIP and its number of credible sets. */
  loci: Map<string, { maxPip: number; variants: number; credibleSets: Set<number> }>;
  /** `phenotype\tvariant` of every variant in a credible set. */
  inCredibleSet: Set<string>;
  /** Rows of the phenotypes asked for. */
  rows: Map<string, PipRow[]>;
  credibleSets: CredibleSetRow[];
}

export interface CredibleSetRow {
  phenotypeId: string;
  csId: number;
  variants: string[];
  coverage: number;
  minAbsCorr: number;
}

/** A variant is in a credible set when its `cs_id` is ≥ 1 (SuSiE numbers credible sets from 1). */
export function inSet(csId: number): boolean {
  return csId >= 1;
}

async function* pipGroups(file: string) {
  const t = await openParquet(file);
  for (const { rowStart, rowEnd } of t.rowGroups)
    yield {
      id: toStrings(await t.columnRange('phenotype_id', rowStart, rowEnd)),
      variant: toStrings(await t.columnRange('variant_id', rowStart, rowEnd)),
      pip: toFloat64(await t.columnRange('pip', rowStart, rowEnd)),
      cs: toInt32(await t.columnRange('cs_id', rowStart, rowEnd)),
    };
}

/**
 * Reads SuSiE outputs in two streamed passes: every locus's largest PIP and credible-set membership, then the
 * rows of the loci `choose` picks for plots.
 */
export async function readFineMapping(
  pipFiles: string[],
  csFiles: string[],
  choose: (loci: FineMapping['loci']) => string[],
): Promise<FineMapping> {
  const loci: FineMapping['loci'] = new Map();
  const inCredibleSet = new Set<string>();
  for (const file of pipFiles)
    for await (const g of pipGroups(file))
      for (let i = 0; i < g.id.length; i++) {
        if (!(g.pip[i] >= 0 && g.pip[i] <= 1))
          throw new InputError(`pip ${g.pip[i]} is not a probability`, {
            file,
            column: 'pip',
            hint: `phenotype ${g.id[i]}, variant ${g.variant[i]}`,
          });
        let l = loci.get(g.id[i]);
        if (!l) loci.set(g.id[i], (l = { maxPip: 0, variants: 0, credibleSets: new Set() }));
        l.variants++;
        l.maxPip = Math.max(l.maxPip, g.pip[i]);
        if (inSet(g.cs[i])) {
          l.credibleSets.add(g.cs[i]);
          inCredibleSet.add(`${g.id[i]}\t${g.variant[i]}`);
        }
      }
  const credibleSets: CredibleSetRow[] = [];
  for (const file of csFiles) {
    const t = await openParquet(file);
    const id = toStrings(await t.column('phenotype_id'));
    const cs = toInt32(await t.column('cs_id'));
    const variants = toStrings(await t.column('variants'));
    const coverage = toFloat64(await t.column('coverage'));
    const minAbsCorr = toFloat64(await t.column('min_abs_corr'));
    for (let i = 0; i < id.length; i++) {
      const members = variants[i].split(/[,;\s]+/).filter(Boolean);
      credibleSets.push({
        phenotypeId: id[i],
        csId: cs[i],
        variants: members,
        coverage: coverage[i],
        minAbsCorr: minAbsCorr[i],
      });
      for (const v of members) inCredibleSet.add(`${id[i]}\t${v}`);
    }
  }
  const wanted = new Set(choose(loci));
  const rows = new Map<string, PipRow[]>();
  if (wanted.size)
    for (const file of pipFiles)
      for await (const g of pipGroups(file))
        for (let i = 0; i < g.id.length; i++) {
          if (!wanted.has(g.id[i])) continue;
          let r = rows.get(g.id[i]);
          if (!r) rows.set(g.id[i], (r = []));
          r.push({ variantId: g.variant[i], pip: g.pip[i], csId: g.cs[i] });
        }
  return { loci, inCredibleSet, rows, credibleSets };
}

export interface ColocRow {
  locusId: string;
  nsnps: number;
  pp: [number, number, number, number, number];
}

export async function readColocTables(files: string[]): Promise<ColocRow[]> {
  const rows: ColocRow[] = [];
  for (const file of files) {
    const t = await openParquet(file);
    const id = toStrings(await t.column('locus_id'));
    const nsnps = toInt32(await t.column('nsnps'));
    const h = await Promise.all([0, 1, 2, 3, 4].map(async (k) => toFloat64(await t.column(`PP.H${k}`))));
    for (let i = 0; i < id.length; i++)
      rows.push({
        locusId: id[i],
        nsnps: nsnps[i],
        pp: [h[0][i], h[1][i], h[2][i], h[3][i], h[4][i]],
      });
  }
  return rows;
}
