/**
 * Gene positions from a GTF (gene records) or a BED (`chr start end id [score strand]`), as the TSS
 * in BED semantics: for + strand genes start = TSS−1, end = TSS (TSS = GTF start), for − strand the
 * GTF end; the convention of GTEx's eqtl_prepare_expression.py and QTLtools phenotype BEDs.
 */
import { InputError } from './errors.js';
import { readLines } from './text.js';

export interface GenePosition {
  chr: string;
  /** 0-based TSS. */
  start: number;
  end: number;
  strand: string;
  name?: string;
}

export type GeneAnnotation = Map<string, GenePosition>;

/** Removes an Ensembl version suffix (ENSG00000123.4 → ENSG00000123). */
export function stripVersion(id: string): string {
  return id.replace(/\.\d+$/, '');
}

function gtfAttribute(attrs: string, key: string): string | undefined {
  const m = new RegExp(`(?:^|;)\\s*${key}\\s+"([^"]*)"`).exec(attrs);
  return m ? m[1] : undefined;
}

export async function readGeneAnnotation(file: string): Promise<GeneAnnotation> {
  const out: GeneAnnotation = new Map();
  let kind: 'gtf' | 'bed' | undefined;
  for await (const { lineNo, text } of readLines(file)) {
    if (text.length === 0 || text.startsWith('#') || text.startsWith('track') || text.startsWith('browser'))
      continue;
    const f = text.split('\t');
    kind ??= f.length >= 9 && /gene_id\s+"/.test(f[8]) ? 'gtf' : 'bed';
    if (kind === 'gtf') {
      if (f.length < 9)
        throw new InputError(`GTF line has ${f.length} fields`, {
          file,
          line: lineNo,
          expected: '9 tab-separated fields',
        });
      if (f[2] !== 'gene') continue;
      const id = gtfAttribute(f[8], 'gene_id');
      if (!id) throw new InputError('gene record without gene_id', { file, line: lineNo, column: 9 });
      const s = Number(f[3]);
      const e = Number(f[4]);
      if (!Number.isInteger(s) || !Number.isInteger(e) || s < 1 || e < s) {
        throw new InputError(`invalid gene coordinates ${f[3]}-${f[4]}`, {
          file,
          line: lineNo,
          expected: '1-based start ≤ end',
        });
      }
      const strand = f[6];
      if (strand !== '+' && strand !== '-')
        throw new InputError(`invalid strand '${strand}'`, {
          file,
          line: lineNo,
          column: 7,
          expected: "'+' or '-'",
        });
      const tss = strand === '+' ? s : e;
      out.set(id, { chr: f[0], start: tss - 1, end: tss, strand, name: gtfAttribute(f[8], 'gene_name') });
    } else {
      if (f.length < 4)
        throw new InputError(`BED line has ${f.length} fields`, {
          file,
          line: lineNo,
          expected: 'chr, start, end, id [, score, strand]',
        });
      const s = Number(f[1]);
      const e = Number(f[2]);
      if (!Number.isInteger(s) || !Number.isInteger(e) || s < 0 || e < s) {
        throw new InputError(`invalid coordinates ${f[1]}-${f[2]}`, {
          file,
          line: lineNo,
          expected: '0-based start ≤ end',
        });
      }
      const strand = f[5] === '-' ? '-' : '+';
      const tss = strand === '+' ? s : e - 1;
      out.set(f[3], { chr: f[0], start: tss, end: tss + 1, strand });
    }
  }
  if (out.size === 0)
    throw new InputError('no gene records found', {
      file,
      expected: "GTF lines with feature 'gene', or BED lines",
    });
  return out;
}

/** Looks up a gene, falling back to the version-less Ensembl ID on either side. */
export function lookupGene(
  annotation: GeneAnnotation,
  id: string,
  versionless?: Map<string, GenePosition>,
): GenePosition | undefined {
  const direct = annotation.get(id);
  if (direct) return direct;
  if (!versionless) return undefined;
  return versionless.get(stripVersion(id));
}

export function versionlessIndex(annotation: GeneAnnotation): Map<string, GenePosition> {
  const m = new Map<string, GenePosition>();
  for (const [id, pos] of annotation) m.set(stripVersion(id), pos);
  return m;
}
