/**
 * The `annotate` stage's logic: VEP entries (one per variant × allele × feature) turned into one row per
 * variant × gene, with typed columns and the weights the `rare` stage uses.
 *
 * - Consequences: VEP's Sequence Ontology terms, ranked by VEP's own severity order (the order of
 *   %OVERLAP_CONSEQUENCES in Ensembl's Constants.pm, most severe first); one boolean column per term present in
 *   the file.
 * - `--pick`: which transcript speaks for a variant × gene: `canonical` (CANONICAL=YES; the most severe one when
 *   the gene has no canonical transcript annotated), `most-severe` (the transcript with the most severe
 *   consequence, first listed on ties) or `first` (first listed). Every column of the row is that transcript's.
 * - Types: CANONICAL → boolean, STRAND → int (0 = missing), DISTANCE, CADD_*, allele frequencies (fields named
 *   …AF…), REVEL and the `_score`/`_rankscore` fields of dbNSFP → float64 (NaN = missing; for `&`-joined values
 *   from several co-located known variants the first value is taken); SIFT and PolyPhen `prediction(score)`
 *   → the prediction and a `SIFT_score`/`PolyPhen_score` column; every other field stays a string.
 * - Computed: `tss_distance` = variant position − gene TSS (1-based, not strand-aware, as cis `start_distance`),
 *   `tss_distance_exp` = exp(−1e−5·|tss_distance|), `maf_beta` = the Beta(1, 25) density at the genotype MAF
 *   (SKAT's default weight; Wu et al. 2011).
 */
import betaPdf from '@stdlib/stats-base-dists-beta-pdf';
import { InputError } from '../../io/errors.js';

/** VEP's consequence terms, most severe first, with their IMPACT. */
export const SO_TERMS: readonly [string, string][] = [
  ['transcript_ablation', 'HIGH'],
  ['splice_acceptor_variant', 'HIGH'],
  ['splice_donor_variant', 'HIGH'],
  ['stop_gained', 'HIGH'],
  ['frameshift_variant', 'HIGH'],
  ['stop_lost', 'HIGH'],
  ['start_lost', 'HIGH'],
  ['transcript_amplification', 'HIGH'],
  ['feature_elongation', 'HIGH'],
  ['feature_truncation', 'HIGH'],
  ['inframe_insertion', 'MODERATE'],
  ['inframe_deletion', 'MODERATE'],
  ['missense_variant', 'MODERATE'],
  ['protein_altering_variant', 'MODERATE'],
  ['splice_donor_5th_base_variant', 'LOW'],
  ['splice_region_variant', 'LOW'],
  ['splice_donor_region_variant', 'LOW'],
  ['splice_polypyrimidine_tract_variant', 'LOW'],
  ['incomplete_terminal_codon_variant', 'LOW'],
  ['start_retained_variant', 'LOW'],
  ['stop_retained_variant', 'LOW'],
  ['synonymous_variant', 'LOW'],
  ['coding_sequence_variant', 'MODIFIER'],
  ['mature_miRNA_variant', 'MODIFIER'],
  ['5_prime_UTR_variant', 'MODIFIER'],
  ['3_prime_UTR_variant', 'MODIFIER'],
  ['non_coding_transcript_exon_variant', 'MODIFIER'],
  ['intron_variant', 'MODIFIER'],
  ['NMD_transcript_variant', 'MODIFIER'],
  ['non_coding_transcript_variant', 'MODIFIER'],
  ['coding_transcript_variant', 'MODIFIER'],
  ['upstream_gene_variant', 'MODIFIER'],
  ['downstream_gene_variant', 'MODIFIER'],
  ['TFBS_ablation', 'MODERATE'],
  ['TFBS_amplification', 'MODIFIER'],
  ['TF_binding_site_variant', 'MODIFIER'],
  ['regulatory_region_ablation', 'MODERATE'],
  ['regulatory_region_amplification', 'MODIFIER'],
  ['regulatory_region_variant', 'MODIFIER'],
  ['intergenic_variant', 'MODIFIER'],
  ['sequence_variant', 'MODIFIER'],
];

const SEVERITY = new Map(SO_TERMS.map(([t], i) => [t, i]));

/** The terms of a Consequence value (`&`-joined). */
export function consequenceTerms(value: string): string[] {
  return value ? value.split('&') : [];
}

/** Rank of the most severe term of a Consequence value (lower is more severe; unknown terms rank last). */
export function severityRank(value: string): number {
  let best = SO_TERMS.length;
  for (const t of consequenceTerms(value)) best = Math.min(best, SEVERITY.get(t) ?? SO_TERMS.length);
  return best;
}

/** The most severe term of a Consequence value ('' when empty). */
export function mostSevere(value: string): string {
  let best = '';
  let rank = Infinity;
  for (const t of consequenceTerms(value)) {
    const r = SEVERITY.get(t) ?? SO_TERMS.length;
    if (r < rank) {
      rank = r;
      best = t;
    }
  }
  return best;
}

/** Terms present, in VEP's severity order (terms VEP does not list go last, alphabetically). */
export function orderTerms(terms: Iterable<string>): string[] {
  return [...new Set(terms)].sort(
    (a, b) =>
      (SEVERITY.get(a) ?? SO_TERMS.length) - (SEVERITY.get(b) ?? SO_TERMS.length) ||
      (a < b ? -1 : a > b ? 1 : 0),
  );
}

export type FieldType = 'float' | 'int' | 'bool' | 'prediction' | 'string';

/** How a CSQ field is typed in the output (see the module comment). */
export function fieldType(name: string): FieldType {
  if (name === 'CANONICAL') return 'bool';
  if (name === 'STRAND') return 'int';
  if (name === 'SIFT' || name === 'PolyPhen') return 'prediction';
  if (name === 'ALLELE_NUM' || name === 'Allele' || /_POPS$/.test(name)) return 'string';
  if (
    name === 'DISTANCE' ||
    name === 'REVEL' ||
    /^CADD_(RAW|PHRED)$/.test(name) ||
    /(^|[_.])AF($|_)/.test(name) ||
    /_(score|rankscore)$/i.test(name)
  )
    return 'float';
  return 'string';
}

/** A numeric CSQ value: '' → NaN; `&`-joined → the first value that is not '' or '.'. */
export function parseNumber(v: string): number {
  if (v === '') return NaN;
  const first = v.includes('&') ? (v.split('&').find((x) => x !== '' && x !== '.') ?? '') : v;
  if (first === '' || first === '.') return NaN;
  const x = Number(first);
  return Number.isFinite(x) ? x : NaN;
}

/** SIFT / PolyPhen `prediction(score)`, or only one of the two (VEP's --sift p|s|b). */
export function parsePrediction(v: string): { pred: string; score: number } {
  if (v === '') return { pred: '', score: NaN };
  const m = /^([^()]*)\(([^()]*)\)$/.exec(v);
  if (m) return { pred: m[1], score: m[2] === '' ? NaN : Number(m[2]) };
  const x = Number(v);
  return Number.isFinite(x) ? { pred: '', score: x } : { pred: v, score: NaN };
}

/** SKAT's default variant weight: the Beta(1, 25) density at the minor allele frequency. */
export function mafBeta(maf: number, a1 = 1, a2 = 25): number {
  if (!(maf >= 0)) return NaN;
  return betaPdf(maf, a1, a2);
}

export type PickRule = 'canonical' | 'most-severe' | 'first';

export interface EntryIndex {
  consequence: number;
  gene: number;
  canonical: number;
}

/** The entry that speaks for one variant × gene (indices into `entries`). */
export function pickEntry(entries: string[][], idx: EntryIndex, rule: PickRule): number {
  if (rule === 'first' || entries.length === 1) return 0;
  if (rule === 'canonical' && idx.canonical >= 0) {
    const c = entries.findIndex((e) => e[idx.canonical] === 'YES');
    if (c >= 0) return c;
  }
  let best = 0;
  let rank = Infinity;
  entries.forEach((e, i) => {
    const r = severityRank(e[idx.consequence]);
    if (r < rank) {
      rank = r;
      best = i;
    }
  });
  return best;
}

/** Groups the entries of one allele by gene (entries without a gene are counted, not returned). */
export function entriesByGene(
  entries: string[][],
  geneIdx: number,
): { genes: Map<string, string[][]>; noGene: number } {
  const genes = new Map<string, string[][]>();
  let noGene = 0;
  for (const e of entries) {
    const g = e[geneIdx];
    if (!g) {
      noGene++;
      continue;
    }
    const list = genes.get(g);
    if (list) list.push(e);
    else genes.set(g, [e]);
  }
  return { genes, noGene };
}

/** Minimal representation of a biallelic variant: common trailing, then leading bases trimmed (≥ 1 left). */
export function normalizeAlleles(
  pos: number,
  ref: string,
  alt: string,
): { pos: number; ref: string; alt: string } {
  let r = ref;
  let a = alt;
  while (r.length > 1 && a.length > 1 && r[r.length - 1] === a[a.length - 1]) {
    r = r.slice(0, -1);
    a = a.slice(0, -1);
  }
  let p = pos;
  while (r.length > 1 && a.length > 1 && r[0] === a[0]) {
    r = r.slice(1);
    a = a.slice(1);
    p++;
  }
  return { pos: p, ref: r, alt: a };
}

/** Key of a VCF-style variant for matching: canonical chromosome, then the minimal representation. */
export function vcfKey(chr: string, pos: number, ref: string, alt: string): string {
  const n = normalizeAlleles(pos, ref.toUpperCase(), alt.toUpperCase());
  return `${chr}:${n.pos}:${n.ref}:${n.alt}`;
}

/**
 * Key of a variant as VEP's tab output locates it: Location start and the allele in VEP notation (first base
 * dropped when shared, '-' for none). An insertion is located at its anchor base (VEP prints `pos-pos+1`).
 */
export function vepTabKey(chr: string, pos: number, ref: string, alt: string): string {
  const r = ref.toUpperCase();
  const a = alt.toUpperCase();
  if (r.length > 0 && a.length > 0 && r[0] === a[0]) {
    const ra = r.slice(1);
    const aa = a.slice(1) || '-';
    return `${chr}:${ra === '' ? pos : pos + 1}:${aa}`;
  }
  return `${chr}:${pos}:${a}`;
}

/** Checks that the fields a stage needs are present. */
export function requireFields(fields: string[], names: string[], file: string): void {
  const missing = names.filter((n) => !fields.includes(n));
  if (missing.length)
    throw new InputError(`VEP output lacks the field(s) ${missing.join(', ')}`, {
      file,
      expected: `the VEP fields ${names.join(', ')} (present: ${fields.slice(0, 8).join(', ')}, …)`,
      hint: 'Run VEP with at least --symbol (Gene) and the default fields',
    });
}
