/**
 * What the report is given: every file is recognised by its content, never its name: a Parquet file by its
 * `qtlflow.schema` metadata (the result contracts of src/io/results.ts), a JSON file by its `stage` field (a
 * run summary) or, for the normalize report (`normalize --report`), by its per-sample fields. A named file the
 * report cannot place is an InputError naming it. Folders are searched for `*.parquet` and `*.json`; there,
 * files that are not results (stage inputs, other JSON) are passed over and listed.
 */
import { closeSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { COUNTS_SCHEMA, COVARIATES_SCHEMA, PHENOTYPES_SCHEMA } from '../../io/contracts.js';
import { InputError } from '../../io/errors.js';
import { GENOTYPES_SCHEMA } from '../../io/genotypes/parquet.js';
import { openParquet } from '../../io/parquet.js';
import {
  CIS_INDEPENDENT,
  CIS_NOMINAL,
  CIS_PERMUTATION,
  COLOC_SNP,
  COLOC_SUMMARY,
  SUSIE_CS,
  SUSIE_PIP,
} from '../../io/results.js';
import { requireFile } from '../../io/text.js';
import type { SampleQcReport } from '../normalize/index.js';

export type TableKind =
  'cis_nominal' | 'cis_permutation' | 'cis_independent' | 'susie_pip' | 'susie_cs' | 'coloc' | 'coloc_snp';

const TABLE_KINDS: Record<string, TableKind> = {
  [CIS_NOMINAL.schema]: 'cis_nominal',
  [CIS_PERMUTATION.schema]: 'cis_permutation',
  [CIS_INDEPENDENT.schema]: 'cis_independent',
  [SUSIE_PIP.schema]: 'susie_pip',
  [SUSIE_CS.schema]: 'susie_cs',
  [COLOC_SUMMARY.schema]: 'coloc',
  [COLOC_SNP.schema]: 'coloc_snp',
};

/** Contracts of stage inputs: not results, but they sit in results folders; the report passes over them there. */
const INPUT_SCHEMAS = new Set([PHENOTYPES_SCHEMA, COUNTS_SCHEMA, COVARIATES_SCHEMA, GENOTYPES_SCHEMA]);

/** A stage's run summary (`OUT.summary.json`, src/cli/framework.ts). */
export interface RunSummary {
  stage: string;
  elapsed_seconds?: number;
  peak_rss_mb?: number;
  params?: Record<string, unknown>;
  [key: string]: unknown;
}

/** The per-sample report of `normalize --report` (docs/outputs.md). */
export interface NormalizeReport {
  genes?: Record<string, number>;
  reference_sample?: string | null;
  samples: { sample: string; lib_size: number; norm_factor: number; effective_lib_size?: number }[];
  sample_qc?: SampleQcReport;
}

export interface InputFile {
  file: string;
  kind: TableKind | 'run_summary' | 'normalize_report';
  /** Parquet contract, or the summary's stage. */
  detail: string;
}

export interface ReportInputs {
  tables: Record<TableKind, string[]>;
  summaries: { file: string; summary: RunSummary }[];
  normalizeReports: { file: string; report: NormalizeReport }[];
  files: InputFile[];
  /** Files found in folders and passed over (stage inputs such as phenotypes or genotype Parquet). */
  skipped: { file: string; reason: string }[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isNormalizeReport(v: Record<string, unknown>): boolean {
  const s = v.samples;
  return (
    Array.isArray(s) &&
    s.length > 0 &&
    isObject(s[0]) &&
    typeof s[0].lib_size === 'number' &&
    typeof s[0].norm_factor === 'number'
  );
}

function expandFolder(dir: string, out: { file: string; fromFolder: boolean }[]): void {
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue; // hidden files and the temporaries of running stages
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) expandFolder(p, out);
    else if (/\.(parquet|json)$/i.test(name)) out.push({ file: p, fromFolder: true });
  }
}

function magic(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(4);
    return b.toString('latin1', 0, readSync(fd, b, 0, 4, 0));
  } finally {
    closeSync(fd);
  }
}

const KNOWN = `a qtlflow result table (qtlflow.schema one of ${Object.keys(TABLE_KINDS).join(', ')}), a run summary (*.summary.json with a "stage" field) or a normalize --report JSON`;

/** Classifies the report's inputs; `exclude` are paths never to read (the report's own outputs). */
export async function classifyInputs(paths: string[], exclude: string[] = []): Promise<ReportInputs> {
  const candidates: { file: string; fromFolder: boolean }[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new InputError('input does not exist', { file: p });
    }
    if (st.isDirectory()) expandFolder(p, candidates);
    else candidates.push({ file: p, fromFolder: false });
  }
  const skip = new Set(exclude.map((p) => resolve(p)));
  const result: ReportInputs = {
    tables: {
      cis_nominal: [],
      cis_permutation: [],
      cis_independent: [],
      susie_pip: [],
      susie_cs: [],
      coloc: [],
      coloc_snp: [],
    },
    summaries: [],
    normalizeReports: [],
    files: [],
    skipped: [],
  };
  const seen = new Set<string>();
  for (const { file, fromFolder } of candidates) {
    const key = resolve(file);
    if (seen.has(key) || skip.has(key)) continue;
    seen.add(key);
    requireFile(file, 'report input');
    if (magic(file) === 'PAR1') {
      const schema = (await openParquet(file)).meta.schema;
      const kind = schema ? TABLE_KINDS[schema] : undefined;
      if (kind) {
        result.tables[kind].push(file);
        result.files.push({ file, kind, detail: schema! });
      } else if (fromFolder) {
        result.skipped.push({
          file,
          reason:
            schema && INPUT_SCHEMAS.has(schema)
              ? `${schema} (a stage input)`
              : `unknown schema '${schema ?? 'none'}'`,
        });
      } else {
        throw new InputError(`Parquet file of unknown schema '${schema ?? 'none'}' for the report`, {
          file,
          expected: KNOWN,
          hint:
            schema === PHENOTYPES_SCHEMA || schema === GENOTYPES_SCHEMA
              ? `Pass it with --${schema === PHENOTYPES_SCHEMA ? 'phenotypes' : 'genotypes'}`
              : 'Leave it out of the report inputs',
        });
      }
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new InputError(`neither Parquet nor JSON (${(e as Error).message})`, { file, expected: KNOWN });
    }
    if (isObject(json) && typeof json.stage === 'string') {
      result.summaries.push({ file, summary: json as RunSummary });
      result.files.push({ file, kind: 'run_summary', detail: json.stage });
    } else if (isObject(json) && isNormalizeReport(json)) {
      result.normalizeReports.push({ file, report: json as unknown as NormalizeReport });
      result.files.push({ file, kind: 'normalize_report', detail: 'normalize --report' });
    } else if (fromFolder) {
      result.skipped.push({ file, reason: 'JSON that is not a run summary or normalize report' });
    } else {
      throw new InputError('JSON of unknown kind for the report', {
        file,
        expected: KNOWN,
        hint: 'A run summary has a "stage" field; a normalize report has "samples" with lib_size and norm_factor',
      });
    }
  }
  return result;
}
