/**
 * Matching the same variant across files: by chromosome and position with the alleles compared (the two
 * files may list them in either order, and on either strand), or by identifier. `matchVariants` pairs the rows
 * of two variant lists and says, for each pair, whether the second file's alleles are swapped (its effect
 * sign must be flipped to speak of the first file's ALT allele).
 */
import { InputError } from './errors.js';
import { canonicalChrom } from './genome.js';

export interface VariantList {
  id: string[];
  chr?: string[];
  pos?: ArrayLike<number>;
  /** Reference / other allele and ALT / effect allele (upper case). */
  ref?: string[];
  alt?: string[];
}

export type AlleleMatch = 'same' | 'swap' | 'strand' | 'strand_swap' | 'mismatch';

const COMPLEMENT: Record<string, string> = { A: 'T', T: 'A', C: 'G', G: 'C' };

function complement(a: string): string | undefined {
  let out = '';
  for (const c of a) {
    const m = COMPLEMENT[c];
    if (!m) return undefined;
    out += m;
  }
  return out;
}

/** A/T and C/G SNPs: the strand cannot be told from the alleles. */
export function isPalindromic(ref: string, alt: string): boolean {
  return ref.length === 1 && alt.length === 1 && complement(ref) === alt;
}

/** How (ref2, alt2) relates to (ref1, alt1). Palindromic pairs are taken as listed (same or swap). */
export function alleleMatch(ref1: string, alt1: string, ref2: string, alt2: string): AlleleMatch {
  if (ref1 === ref2 && alt1 === alt2) return 'same';
  if (ref1 === alt2 && alt1 === ref2) return 'swap';
  const cr = complement(ref2);
  const ca = complement(alt2);
  if (cr === undefined || ca === undefined) return 'mismatch';
  if (ref1 === cr && alt1 === ca) return 'strand';
  if (ref1 === ca && alt1 === cr) return 'strand_swap';
  return 'mismatch';
}

export function hasPositions(v: VariantList): boolean {
  return v.chr !== undefined && v.pos !== undefined;
}

export function hasAlleles(v: VariantList): boolean {
  return hasPositions(v) && v.ref !== undefined && v.alt !== undefined;
}

/** The identity of row i for duplicate checks: chr:pos:alleles (in sorted order) when known, else the ID. */
export function variantKey(v: VariantList, i: number, by: 'position' | 'id'): string {
  if (by === 'id') return v.id[i];
  const base = `${canonicalChrom(v.chr![i])}:${v.pos![i]}`;
  if (!v.ref || !v.alt) return base;
  const [a, b] = [v.ref[i], v.alt[i]].sort();
  return `${base}:${a}:${b}`;
}

/**
 * Fails on the first variant listed twice (same ID, or same position and alleles), naming both rows: coloc
 * and susie_rss both need each SNP once.
 */
export function checkDuplicates(
  v: VariantList,
  by: 'position' | 'id',
  where: { file: string; rowLabel?: (i: number) => { line?: number; what?: string } },
): void {
  const seen = new Map<string, number>();
  for (let i = 0; i < v.id.length; i++) {
    const key = variantKey(v, i, by);
    const first = seen.get(key);
    if (first !== undefined) {
      const a = where.rowLabel?.(first);
      const b = where.rowLabel?.(i);
      throw new InputError(
        `duplicate SNP ${key === v.id[i] ? `'${key}'` : `${v.id[i]} (${key})`}: listed ${a?.line ? `on line ${a.line}` : `in row ${first + 1}`} and ${b?.line ? `line ${b.line}` : `row ${i + 1}`}${b?.what ? ` (${b.what})` : ''}`,
        {
          file: where.file,
          line: b?.line,
          expected: 'each SNP once',
          hint: 'Remove the repeated rows (e.g. keep one per SNP), or split multi-allelic sites into distinct IDs',
        },
      );
    }
    seen.set(key, i);
  }
}

export interface VariantMatch {
  /** Row in list 1 and list 2 of each matched pair, in list-1 order. */
  i1: Int32Array;
  i2: Int32Array;
  /** List 2's alleles are swapped relative to list 1 (flip its effect sign). */
  flip: boolean[];
  counts: {
    same: number;
    swap: number;
    strand: number;
    strandSwap: number;
    palindromic: number;
    alleleMismatch: number;
  };
  by: 'position' | 'id';
}

/**
 * Pairs the variants of two lists: by position and alleles when both lists have them (`by` = 'position'), by
 * ID otherwise. Rows of list 2 at a position whose alleles fit none of the four orientations are not matched
 * (counted as allele mismatches). With IDs, alleles are compared when both lists have them, for the flip.
 */
export function matchVariants(a: VariantList, b: VariantList, by: 'position' | 'id'): VariantMatch {
  const counts = { same: 0, swap: 0, strand: 0, strandSwap: 0, palindromic: 0, alleleMismatch: 0 };
  const i1: number[] = [];
  const i2: number[] = [];
  const flip: boolean[] = [];
  const alleles = hasAlleles(a) && hasAlleles(b);
  const index = new Map<string, number[]>();
  const keyOf = (v: VariantList, i: number) =>
    by === 'id' ? v.id[i] : `${canonicalChrom(v.chr![i])}:${v.pos![i]}`;
  for (let j = 0; j < b.id.length; j++) {
    const k = keyOf(b, j);
    const list = index.get(k);
    if (list) list.push(j);
    else index.set(k, [j]);
  }
  for (let i = 0; i < a.id.length; i++) {
    const cands = index.get(keyOf(a, i));
    if (!cands) continue;
    if (!alleles) {
      i1.push(i);
      i2.push(cands[0]);
      flip.push(false);
      counts.same++;
      continue;
    }
    let found = false;
    for (const j of cands) {
      const m = alleleMatch(a.ref![i], a.alt![i], b.ref![j], b.alt![j]);
      if (m === 'mismatch') continue;
      i1.push(i);
      i2.push(j);
      flip.push(m === 'swap' || m === 'strand_swap');
      if (m === 'same') counts.same++;
      else if (m === 'swap') counts.swap++;
      else if (m === 'strand') counts.strand++;
      else counts.strandSwap++;
      if (isPalindromic(a.ref![i], a.alt![i])) counts.palindromic++;
      found = true;
      break;
    }
    if (!found) counts.alleleMismatch++;
  }
  return { i1: Int32Array.from(i1), i2: Int32Array.from(i2), flip, counts, by };
}
