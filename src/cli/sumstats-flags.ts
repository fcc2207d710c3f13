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

export function withSumstatsColumns<T>(y: Argv<T>): Argv<T & SumstatsFlagArgs> {
  let out = y as Argv<T & SumstatsFlagArgs>;
  for (const f of SUMSTATS_FIELDS)
    out = out.option(SUMSTATS_FLAGS[f], {
      type: 'string',
      describe: `Summary-statistics column: ${DESCRIBE[f]}`,
    }) as Argv<T & SumstatsFlagArgs>;
  return out;
}

export function sumstatsMapping(a: object): SumstatsMapping {
  const m: SumstatsMapping = {};
  const args = a as Record<string, unknown>;
  for (const f of SUMSTATS_FIELDS) {
    const v = args[SUMSTATS_FLAGS[f]];
    if (typeof v === 'string') m[f] = v;
  }
  return m;
}
