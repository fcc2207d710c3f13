/**
 * Ensembl VEP output, in its two text forms, as one stream of annotated variants:
 * - VCF with `INFO/CSQ`: the field list comes from the CSQ header line (`… Format: Allele|Consequence|…`);
 *   each record's CSQ holds one `|`-separated entry per allele × feature, comma-separated; entries map to
 *   the record's ALT alleles through ALLELE_NUM when VEP wrote it (`--allele_number`), else through the
 *   Allele field in VEP's allele notation (see `vepAlleles`).
 * - tab-delimited (`--tab`, or the default 14-column format whose Extra column holds `KEY=VALUE;…`):
 *   `## …` header lines (including `## Column descriptions:`), then the `#Uploaded_variation Location Allele
 *   …` column header; one line per allele × feature, consecutive for a variant. Empty values are `-`.
 * Values are kept as strings here (empty for VEP's `-` or an empty field); the annotate stage types them.
 */
import { InputError } from './errors.js';
import { readLines } from './text.js';

export type VepFormat = 'vcf' | 'tab';

export interface VepVariant {
  /** 1-based line of the record (VCF) or of its first line (tab). */
  line: number;
  chr: string;
  /** VCF: POS. Tab: the start of Location (VEP coordinates). */
  pos: number;
  /** VCF REF; tab: '' (VEP's tab output has no reference allele). */
  ref: string;
  /** VCF ALT alleles; tab: the distinct Allele values, in order of appearance (VEP notation). */
  alts: string[];
  /** VCF ID or tab Uploaded_variation. */
  id: string;
  /** For each ALT allele, the entries (one string per field) that annotate it. */
  entries: string[][][];
}

export interface VepHeader {
  format: VepFormat;
  /** Field names of an entry (CSQ Format fields; tab: every column after Uploaded_variation/Location/Allele and the split Extra keys). */
  fields: string[];
  /** VEP version from `##VEP="v110"` or `## ENSEMBL VARIANT EFFECT PREDICTOR v110`, when present. */
  version?: string;
}

/** Alleles in VEP's notation: the first base is dropped when REF and every ALT share it; empty → '-'. */
export function vepAlleles(ref: string, alts: string[]): string[] {
  const first = ref[0];
  const strip = ref.length > 0 && alts.every((a) => a.length > 0 && a[0] === first && !a.startsWith('<'));
  return alts.map((a) => (strip ? a.slice(1) || '-' : a));
}

/** Detects the format from the first non-empty line. */
async function sniff(file: string): Promise<VepFormat> {
  for await (const { text } of readLines(file)) {
    if (!text) continue;
    if (text.startsWith('##fileformat=VCF')) return 'vcf';
    if (text.startsWith('## ') || text.startsWith('#Uploaded_variation')) return 'tab';
    break;
  }
  throw new InputError('not Ensembl VEP output', {
    file,
    line: 1,
    expected:
      "a VEP VCF (starting '##fileformat=VCF', with an INFO/CSQ header) or VEP tab output ('## ENSEMBL VARIANT EFFECT PREDICTOR …' / '#Uploaded_variation …')",
  });
}

function csqFields(line: string, file: string, lineNo: number): string[] {
  const m = /Format:\s*([^"]*)"/.exec(line) ?? /Format:\s*(.*)>$/.exec(line);
  if (!m)
    throw new InputError('the CSQ header line has no field list', {
      file,
      line: lineNo,
      expected: 'Description="… Format: Allele|Consequence|…"',
    });
  return m[1].trim().split('|');
}

/**
 * Streams the variants of a VEP file. `onHeader` is called once with the field list before the first variant.
 * Every malformed record is an InputError naming the line and column.
 */
export async function* readVep(file: string, onHeader?: (h: VepHeader) => void): AsyncGenerator<VepVariant> {
  const format = await sniff(file);
  if (format === 'vcf') yield* readVepVcf(file, onHeader);
  else yield* readVepTab(file, onHeader);
}

async function* readVepVcf(file: string, onHeader?: (h: VepHeader) => void): AsyncGenerator<VepVariant> {
  let fields: string[] | undefined;
  let version: string | undefined;
  let alleleNum = -1;
  let alleleIdx = -1;
  let headerDone = false;
  for await (const { lineNo, text } of readLines(file)) {
    if (text.startsWith('##')) {
      if (text.startsWith('##INFO=<ID=CSQ,')) fields = csqFields(text, file, lineNo);
      const v = /^##VEP="?(v?[\w.]+)/.exec(text);
      if (v) version = v[1];
      continue;
    }
    if (text.startsWith('#')) {
      if (!fields)
        throw new InputError('no ##INFO=<ID=CSQ,…> header line: this VCF was not annotated by VEP', {
          file,
          line: lineNo,
          hint: 'Run VEP with --vcf (the CSQ field), or give VEP tab output',
        });
      alleleNum = fields.indexOf('ALLELE_NUM');
      alleleIdx = fields.indexOf('Allele');
      onHeader?.({ format: 'vcf', fields, version });
      headerDone = true;
      continue;
    }
    if (!text) continue;
    if (!headerDone || !fields)
      throw new InputError('record before the #CHROM header line', { file, line: lineNo });
    const f = text.split('\t');
    if (f.length < 8)
      throw new InputError(`VCF record has ${f.length} fields`, {
        file,
        line: lineNo,
        expected: 'at least 8 tab-separated fields (CHROM … INFO)',
      });
    const pos = Number(f[1]);
    if (!Number.isInteger(pos) || pos < 1)
      throw new InputError(`invalid POS '${f[1]}'`, { file, line: lineNo, column: 'POS' });
    const ref = f[3].toUpperCase();
    const alts = f[4].toUpperCase().split(',');
    const entries: string[][][] = alts.map(() => []);
    const csq = f[7].split(';').find((kv) => kv.startsWith('CSQ='));
    if (csq) {
      const vepAlts = vepAlleles(ref, alts);
      for (const e of csq.slice(4).split(',')) {
        const values = e.split('|');
        if (values.length !== fields.length)
          throw new InputError(
            `CSQ entry has ${values.length} fields, the header declares ${fields.length}`,
            {
              file,
              line: lineNo,
              column: 'INFO/CSQ',
              expected: `${fields.length} '|'-separated values per entry`,
            },
          );
        let a = -1;
        if (alleleNum >= 0 && values[alleleNum] !== '') {
          a = Number(values[alleleNum]) - 1;
          if (!(Number.isInteger(a) && a >= 0 && a < alts.length))
            throw new InputError(`ALLELE_NUM '${values[alleleNum]}' is not an ALT allele of the record`, {
              file,
              line: lineNo,
              column: 'INFO/CSQ',
              expected: `1…${alts.length}`,
            });
        } else if (alleleIdx >= 0) {
          const allele = values[alleleIdx].toUpperCase();
          a = vepAlts.indexOf(allele);
          if (a < 0) a = alts.indexOf(allele);
        }
        if (a < 0)
          throw new InputError(`CSQ allele '${values[alleleIdx] ?? ''}' matches no ALT allele (${f[4]})`, {
            file,
            line: lineNo,
            column: 'INFO/CSQ',
          });
        entries[a].push(values.map(decodeVcfValue));
      }
    }
    yield { line: lineNo, chr: f[0], pos, ref, alts, id: f[2], entries };
  }
  if (!headerDone) throw new InputError('no #CHROM header line', { file });
}

/** VEP percent-encodes ',', ';', '=', '|' and spaces inside CSQ values of a VCF. */
function decodeVcfValue(v: string): string {
  return v.includes('%')
    ? v.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
    : v;
}

const TAB_FIXED = ['Uploaded_variation', 'Location', 'Allele'];

async function* readVepTab(file: string, onHeader?: (h: VepHeader) => void): AsyncGenerator<VepVariant> {
  let version: string | undefined;
  let columns: string[] | undefined;
  let extraCol = -1;
  // the field list: the columns after the fixed three (Extra replaced by the keys declared in the column
  // descriptions, or met in the data)
  let fields: string[] = [];
  const described: string[] = [];
  let inDescriptions = false;
  let current: VepVariant | undefined;
  let alleleOf = new Map<string, number>();
  const pending: VepVariant[] = [];

  const fieldIndex = new Map<string, number>();
  const parseLocation = (loc: string, lineNo: number): [string, number] => {
    const m = /^(.+):(\d+)(?:-(\d+))?$/.exec(loc);
    if (!m)
      throw new InputError(`invalid Location '${loc}'`, {
        file,
        line: lineNo,
        column: 'Location',
        expected: 'chr:start or chr:start-end',
      });
    return [m[1], Number(m[2])];
  };
  for await (const { lineNo, text } of readLines(file)) {
    if (text.startsWith('##')) {
      const v = /ENSEMBL VARIANT EFFECT PREDICTOR (v?[\w.]+)/.exec(text);
      if (v) version = v[1];
      if (/^## Column descriptions/.test(text)) inDescriptions = true;
      else if (inDescriptions) {
        const d = /^## (\S+) : /.exec(text);
        if (d) described.push(d[1]);
      }
      continue;
    }
    if (text.startsWith('#')) {
      columns = text.slice(1).split('\t');
      for (const [i, name] of TAB_FIXED.entries())
        if (columns[i] !== name)
          throw new InputError(`VEP tab header column ${i + 1} is '${columns[i] ?? ''}'`, {
            file,
            line: lineNo,
            expected: `'${name}' (columns #Uploaded_variation, Location, Allele, …)`,
          });
      extraCol = columns.indexOf('Extra');
      fields = ['Allele', ...columns.slice(3).filter((c) => c !== 'Extra')];
      if (extraCol >= 0)
        for (const d of described) if (!columns.includes(d) && !fields.includes(d)) fields.push(d);
      fields.forEach((n, i) => fieldIndex.set(n, i));
      onHeader?.({ format: 'tab', fields, version });
      continue;
    }
    if (!text) continue;
    if (!columns)
      throw new InputError('data line before the #Uploaded_variation header line', { file, line: lineNo });
    const f = text.split('\t');
    if (f.length !== columns.length)
      throw new InputError(`line has ${f.length} columns, the header has ${columns.length}`, {
        file,
        line: lineNo,
        expected: `${columns.length} tab-separated values`,
      });
    const values = new Array<string>(fields.length).fill('');
    const missing = (v: string) => (v === '-' ? '' : v);
    values[0] = missing(f[2]);
    for (let c = 3; c < columns.length; c++) {
      if (c === extraCol) continue;
      values[fieldIndex.get(columns[c])!] = missing(f[c]);
    }
    if (extraCol >= 0 && f[extraCol] !== '-' && f[extraCol] !== '') {
      for (const kv of f[extraCol].split(';')) {
        const eq = kv.indexOf('=');
        const key = eq < 0 ? kv : kv.slice(0, eq);
        const val = eq < 0 ? '1' : kv.slice(eq + 1);
        const idx = fieldIndex.get(key);
        if (idx === undefined)
          throw new InputError(`Extra key '${key}' is not declared in the column descriptions`, {
            file,
            line: lineNo,
            column: 'Extra',
            hint: 'Keep the "## Column descriptions:" header lines VEP writes; they declare every Extra key',
          });
        values[idx] = val;
      }
    }
    const [chr, pos] = parseLocation(f[1], lineNo);
    if (!current || current.id !== f[0] || current.chr !== chr || current.pos !== pos) {
      if (current) pending.push(current);
      current = { line: lineNo, chr, pos, ref: '', alts: [], id: f[0], entries: [] };
      alleleOf = new Map();
    }
    const allele = values[0].toUpperCase() || '-';
    let a = alleleOf.get(allele);
    if (a === undefined) {
      a = current.alts.length;
      alleleOf.set(allele, a);
      current.alts.push(allele);
      current.entries.push([]);
    }
    current.entries[a].push(values);
    while (pending.length) yield pending.shift()!;
  }
  if (!columns) throw new InputError('no #Uploaded_variation header line', { file });
  if (current) yield current;
}
