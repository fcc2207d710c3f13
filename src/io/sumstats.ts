/**
 * GWAS (or any association) summary statistics as text: TSV, CSV or whitespace-separated, plain or gzip/bgzip,
 * one header line (a leading `#` is dropped). Columns are found by the names given with the mapping flags
 * (`--snp-col`, `--beta-col`, …) or else by the usual names (GWAS Catalog harmonised format, PLINK, METAL,
 * coloc, tensorQTL), case-insensitively. Missing values (`NA`, `.`, empty, `nan`) drop the row (counted);
 * anything else that is not a number is an error naming the line and column.
 */
import { InputError } from './errors.js';
import { qnorm } from '../stats/normal.js';
import { readLines } from './text.js';

export const SUMSTATS_FIELDS = [
  'snp',
  'chr',
  'pos',
  'effectAllele',
  'otherAllele',
  'beta',
  'se',
  'varbeta',
  'z',
  'p',
  'maf',
  'eaf',
  'n',
] as const;
export type SumstatsField = (typeof SUMSTATS_FIELDS)[number];

/** The CLI flag of each field (`--<flag>`). */
export const SUMSTATS_FLAGS: Record<SumstatsField, string> = {
  snp: 'snp-col',
  chr: 'chr-col',
  pos: 'pos-col',
  effectAllele: 'effect-allele-col',
  otherAllele: 'other-allele-col',
  beta: 'beta-col',
  se: 'se-col',
  varbeta: 'varbeta-col',
  z: 'z-col',
  p: 'p-col',
  maf: 'maf-col',
  eaf: 'eaf-col',
  n: 'n-col',
};

/** Names recognised without a flag (compared lower-case). */
const ALIASES: Record<SumstatsField, string[]> = {
  snp: ['snp', 'rsid', 'rs_id', 'snp_id', 'variant_id', 'markername', 'marker', 'id', 'variant', 'snpid'],
  chr: ['chr', 'chrom', 'chromosome', '#chrom', 'chr_name', 'chromosome_name'],
  pos: ['pos', 'position', 'bp', 'base_pair_location', 'pos_b37', 'pos_b38', 'start'],
  effectAllele: ['effect_allele', 'ea', 'a1', 'alt', 'allele1', 'tested_allele', 'alt_allele'],
  otherAllele: ['other_allele', 'oa', 'nea', 'a2', 'ref', 'allele2', 'ref_allele', 'non_effect_allele'],
  beta: ['beta', 'b', 'effect', 'slope', 'log_or', 'logor'],
  se: ['se', 'standard_error', 'stderr', 'se_beta', 'slope_se', 'sebeta'],
  varbeta: ['varbeta', 'var_beta', 'variance'],
  z: ['z', 'zscore', 'z_score', 'z_stat'],
  p: ['p', 'pval', 'p_value', 'pvalue', 'p-value', 'p_nominal', 'pval_nominal', 'p.value'],
  maf: ['maf', 'minor_allele_frequency'],
  eaf: ['eaf', 'effect_allele_frequency', 'af', 'freq', 'freq1', 'a1freq', 'alt_freq', 'frq'],
  n: ['n', 'sample_size', 'n_total', 'neff', 'n_samples'],
};

export type SumstatsMapping = Partial<Record<SumstatsField, string>>;

export interface Sumstats {
  file: string;
  /** The header name used for each field found. */
  columns: SumstatsMapping;
  /** 1-based source line of each row. */
  line: Int32Array;
  id: string[];
  chr?: string[];
  pos?: Int32Array;
  effectAllele?: string[];
  otherAllele?: string[];
  beta?: Float64Array;
  se?: Float64Array;
  varbeta?: Float64Array;
  z?: Float64Array;
  p?: Float64Array;
  /** Minor allele frequency (from a MAF column, or min(EAF, 1 − EAF)). */
  maf?: Float64Array;
  /** Effect-allele frequency, when the file has one. */
  eaf?: Float64Array;
  n?: Float64Array;
  /** Rows dropped for a missing value in a column the analysis uses. */
  droppedMissing: number;
  firstDroppedLine?: number;
  /** Rows skipped by the caller's filter. */
  skipped: number;
}

/** What the analysis needs from the file. */
export type SumstatsUse = 'abf' | 'rss';

const MISSING = new Set(['', 'na', 'nan', '.', 'null', 'none', '-nan', 'inf', '-inf']);

function splitter(header: string): (line: string) => string[] {
  if (header.includes('\t')) return (l) => l.split('\t');
  if (header.includes(',')) return (l) => l.split(',');
  return (l) => l.trim().split(/\s+/);
}

/** Resolves every field to a header column: flags first (must exist), then the usual names. */
export function resolveColumns(header: string[], mapping: SumstatsMapping, file: string): SumstatsMapping {
  const lower = header.map((h) => h.trim().toLowerCase());
  const out: SumstatsMapping = {};
  for (const f of SUMSTATS_FIELDS) {
    const given = mapping[f];
    if (given !== undefined) {
      const i = header.indexOf(given) >= 0 ? header.indexOf(given) : lower.indexOf(given.toLowerCase());
      if (i < 0)
        throw new InputError(`column '${given}' given by --${SUMSTATS_FLAGS[f]} is not in the header`, {
          file,
          line: 1,
          expected: `one of the header's columns: ${header.join(', ')}`,
        });
      out[f] = header[i];
      continue;
    }
    const i = ALIASES[f].map((a) => lower.indexOf(a)).find((k) => k >= 0);
    if (i !== undefined) out[f] = header[i];
  }
  return out;
}

/** The columns an analysis cannot do without, as a readable list of what is missing (empty when complete). */
export function missingColumns(c: SumstatsMapping, use: SumstatsUse): string[] {
  const missing: string[] = [];
  if (!c.snp && !(c.chr && c.pos)) missing.push('snp (or chr and pos)');
  const hasEstimate = c.beta && (c.se || c.varbeta);
  if (use === 'abf') {
    if (!hasEstimate && !(c.p && (c.maf || c.eaf)))
      missing.push(
        c.beta
          ? 'se (or varbeta) for the beta column'
          : c.p
            ? 'maf (or eaf) for the p-value column, or beta and se'
            : 'beta and se (or varbeta), or p and maf',
      );
  } else if (!hasEstimate && !c.z) {
    missing.push(c.beta ? 'se (or varbeta) for the beta column' : 'z, or beta and se (or varbeta)');
  }
  return missing;
}

function parseNumber(text: string, file: string, lineNo: number, column: string): number {
  const t = text.trim();
  if (MISSING.has(t.toLowerCase())) return NaN;
  const v = Number(t);
  if (!Number.isFinite(v) && !/^[+-]?(inf|infinity)$/i.test(t))
    throw new InputError(`'${t}' is not a number`, {
      file,
      line: lineNo,
      column,
      expected: 'a number, or NA / . / empty for a missing value',
    });
  return v;
}

export interface ReadSumstatsOptions {
  use: SumstatsUse;
  /** Keep only rows for which this returns true (called with the parsed identity fields). */
  keep?: (id: string, chr: string | undefined, pos: number) => boolean;
}

export async function readSumstats(
  file: string,
  mapping: SumstatsMapping,
  options: ReadSumstatsOptions,
): Promise<Sumstats> {
  let split: ((l: string) => string[]) | undefined;
  let header: string[] = [];
  let cols: SumstatsMapping = {};
  let idx: Partial<Record<SumstatsField, number>> = {};
  const rows: Record<string, (string | number)[]> = {};
  const line: number[] = [];
  let dropped = 0;
  let firstDropped: number | undefined;
  let skipped = 0;
  let numericFields: SumstatsField[] = [];
  let required: SumstatsField[] = [];
  for await (const { lineNo, text } of readLines(file)) {
    if (!split) {
      if (text.trim() === '') continue;
      split = splitter(text);
      header = split(text.replace(/^#+/, '')).map((h) => h.trim());
      cols = resolveColumns(header, mapping, file);
      const missing = missingColumns(cols, options.use);
      if (missing.length)
        throw new InputError(`missing required columns: ${missing.join('; ')}`, {
          file,
          line: lineNo,
          expected: `a header naming them (found: ${header.join(', ')})`,
          hint: `Name the columns with ${SUMSTATS_FIELDS.map((f) => `--${SUMSTATS_FLAGS[f]}`).join(', ')}`,
        });
      for (const f of SUMSTATS_FIELDS) if (cols[f]) idx[f] = header.indexOf(cols[f]!);
      idx = Object.fromEntries(Object.entries(idx).filter(([, v]) => v !== undefined && v >= 0));
      numericFields = (['pos', 'beta', 'se', 'varbeta', 'z', 'p', 'maf', 'eaf', 'n'] as const).filter(
        (f) => idx[f] !== undefined,
      );
      // the fields whose missing value makes a row unusable for the analysis
      const est = cols.beta && (cols.se || cols.varbeta);
      required =
        options.use === 'rss'
          ? est
            ? ['beta', cols.se ? 'se' : 'varbeta']
            : ['z']
          : est
            ? ['beta', cols.se ? 'se' : 'varbeta']
            : ['p', cols.maf ? 'maf' : 'eaf'];
      if (!cols.snp) required.push('pos');
      for (const f of Object.keys(idx)) rows[f] = [];
      continue;
    }
    if (text.trim() === '') continue;
    const f = split(text);
    if (f.length < header.length)
      throw new InputError(`row has ${f.length} fields, the header ${header.length}`, {
        file,
        line: lineNo,
        expected: `${header.length} fields separated as the header`,
      });
    const get = (k: SumstatsField) => f[idx[k]!];
    const parsed: Partial<Record<SumstatsField, number>> = {};
    for (const k of numericFields) parsed[k] = parseNumber(get(k), file, lineNo, cols[k]!);
    const chr = idx.chr !== undefined ? get('chr').trim() : undefined;
    const id =
      idx.snp !== undefined ? get('snp').trim() : `${chr}:${Number.isNaN(parsed.pos!) ? '' : parsed.pos}`;
    if (options.keep && !options.keep(id, chr, parsed.pos ?? NaN)) {
      skipped++;
      continue;
    }
    if (required.some((k) => Number.isNaN(parsed[k]!)) || id === '' || MISSING.has(id.toLowerCase())) {
      dropped++;
      firstDropped ??= lineNo;
      continue;
    }
    line.push(lineNo);
    for (const k of Object.keys(idx) as SumstatsField[])
      rows[k].push(parsed[k] !== undefined ? parsed[k]! : get(k).trim());
  }
  if (!split) throw new InputError('summary statistics file is empty', { file, expected: 'a header line' });
  const num = (k: SumstatsField) => (rows[k] ? Float64Array.from(rows[k] as number[]) : undefined);
  const strs = (k: SumstatsField, upper = false) =>
    rows[k] ? (rows[k] as string[]).map((s) => (upper ? s.toUpperCase() : s)) : undefined;
  const eaf = num('eaf');
  let maf = num('maf');
  if (!maf && eaf) maf = eaf.map((v) => Math.min(v, 1 - v));
  const chr = strs('chr');
  const pos = rows.pos ? Int32Array.from(rows.pos as number[]) : undefined;
  const id = rows.snp ? (rows.snp as string[]) : chr!.map((c, i) => `${c}:${pos![i]}`);
  return {
    file,
    columns: cols,
    line: Int32Array.from(line),
    id,
    chr,
    pos,
    effectAllele: strs('effectAllele', true),
    otherAllele: strs('otherAllele', true),
    beta: num('beta'),
    se: num('se'),
    varbeta: num('varbeta'),
    z: num('z'),
    p: num('p'),
    maf,
    eaf,
    n: num('n'),
    droppedMissing: dropped,
    firstDroppedLine: firstDropped,
    skipped,
  };
}

/**
 * Whether a column given as varbeta holds standard errors instead (a common mix-up that coloc cannot see). Two
 * scale-free checks, used when the file allows them: with p-values (or z), |β|/√v reproduces |z| for a variance
 * but |β|/v does for an SE; with allele frequencies, 1/v grows like MAF·(1 − MAF) for a variance (log–log slope
 * 1) but like its square root for an SE (slope ½). Returns the evidence when the column looks like SEs.
 */
export function varbetaLooksLikeSe(s: Sumstats): string | undefined {
  const v = s.varbeta;
  if (!v || !s.beta) return undefined;
  const beta = s.beta;
  const zRef = s.z
    ? Float64Array.from(s.z, Math.abs)
    : s.p
      ? Float64Array.from(s.p, (p) => (p > 0 && p < 1 ? -qnormHalf(p) : NaN))
      : undefined;
  if (zRef) {
    const asVar: number[] = [];
    const asSe: number[] = [];
    for (let i = 0; i < v.length; i++) {
      if (!(v[i] > 0) || beta[i] === 0 || !(zRef[i] > 0.5)) continue;
      asVar.push(Math.abs(Math.log(Math.abs(beta[i]) / Math.sqrt(v[i]) / zRef[i])));
      asSe.push(Math.abs(Math.log(Math.abs(beta[i]) / v[i] / zRef[i])));
    }
    if (asVar.length >= 5) {
      const mv = medianOf(asVar);
      const ms = medianOf(asSe);
      if (ms < mv && mv > Math.log(1.5))
        return `|beta|/sqrt(varbeta) is off the z-scores of the ${s.p && !s.z ? 'p-values' : 'z column'} by a median factor ${Math.exp(mv).toPrecision(3)}, |beta|/varbeta by ${Math.exp(ms).toPrecision(3)}`;
      return undefined;
    }
  }
  if (s.maf) {
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 0; i < v.length; i++) {
      const f = s.maf[i];
      if (!(v[i] > 0) || !(f > 0 && f < 1)) continue;
      xs.push(Math.log(f * (1 - f)));
      ys.push(-Math.log(v[i]));
    }
    if (xs.length < 10) return undefined;
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    let sxy = 0;
    let sxx = 0;
    for (let i = 0; i < xs.length; i++) {
      sxy += (xs[i] - mx) * (ys[i] - my);
      sxx += (xs[i] - mx) ** 2;
    }
    if (Math.sqrt(sxx / xs.length) < 0.2) return undefined; // too little spread in MAF to tell
    const slope = sxy / sxx;
    if (Math.abs(slope - 0.5) < Math.abs(slope - 1))
      return `log(1/varbeta) rises with log(MAF·(1 − MAF)) at slope ${slope.toFixed(2)} (a variance gives 1, a standard error ½)`;
  }
  return undefined;
}

function medianOf(x: number[]): number {
  const s = x.slice().sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** Φ⁻¹(p/2): the negative z of a two-sided p-value. */
function qnormHalf(p: number): number {
  return qnorm(p / 2);
}
