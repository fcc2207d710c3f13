/**
 * The column-mapping flags of summary-statistics text inputs (`finemap --sumstats`, `coloc` datasets), one
 * per field of src/io/sumstats.ts (`--snp-col`, `--beta-col`, `--se-col`, `--p-col`, …).
 */
import type { Argv } from 'yargs';
import { SUMSTATS_FIELDS, SUMSTATS_FLAGS } from '../io/sumstats.js';
import type { SumstatsField, SumstatsMapping } from '../io/sumstats.js';

const DESCRIBE: Record<SumstatsField, string> = {
  snp: 'variant ID / rsID',
  chr: 'chromosome',
  pos: 'position (1-based)',
  effectAllele: 'effect (ALT) allele',
  otherAllele: 'other (REF) allele',
  beta: 'effect size of the effect allele',
  se: 'standard error of beta',
  varbeta: 'variance of beta (se²)',
  z: 'z-score',
  p: 'two-sided p-value',
  maf: 'minor allele frequency',
  eaf: 'effect allele frequency',
  n: 'sample size per SNP',
};

export type SumstatsFlagArgs = Partial<Record<`${string}-col`, string>>;

/**
 * Adds `--<field>-col` for every field; with `perDataset`, also `--<field>-col1` and `--<field>-col2`, which
 * override the shared flag for dataset 1 or 2 (coloc, when both datasets are text files with different names).
 */
export function withSumstatsColumns<T>(y: Argv<T>, perDataset = false): Argv<T & SumstatsFlagArgs> {
  let out = y as Argv<T & SumstatsFlagArgs>;
  for (const f of SUMSTATS_FIELDS) {
    out = out.option(SUMSTATS_FLAGS[f], {
      type: 'string',
      describe: `Summary-statistics column: ${DESCRIBE[f]}`,
    }) as Argv<T & SumstatsFlagArgs>;
    if (perDataset)
      for (const k of [1, 2])
        out = out.option(`${SUMSTATS_FLAGS[f]}${k}`, {
          type: 'string',
          describe: `As --${SUMSTATS_FLAGS[f]}, for dataset ${k} only`,
        }) as Argv<T & SumstatsFlagArgs>;
  }
  return out;
}

/** The column mapping of the flags; `k` picks dataset k's own flags over the shared ones. */
export function sumstatsMapping(a: object, k?: 1 | 2): SumstatsMapping {
  const m: SumstatsMapping = {};
  const args = a as Record<string, unknown>;
  for (const f of SUMSTATS_FIELDS) {
    const own = k !== undefined ? args[`${SUMSTATS_FLAGS[f]}${k}`] : undefined;
    const v = typeof own === 'string' ? own : args[SUMSTATS_FLAGS[f]];
    if (typeof v === 'string') m[f] = v;
  }
  return m;
}
