/** `qtlflow import`: VCF / PLINK (and genotype Parquet) → genotype Parquet, with regions, filters and samples. */
import type { Argv, CommandModule } from 'yargs';
import { InputError } from '../../io/errors.js';
import {
  openGenotypes,
  parseRegion,
  maf,
  snp,
  biallelic,
  maxMissing,
  and,
  all,
} from '../../io/genotypes/index.js';
import type { Filter } from '../../io/genotypes/index.js';
import { GenotypeParquetWriter } from '../../io/genotypes/parquet.js';
import { readLines } from '../../io/text.js';
import { importBlocks } from '../../stages/import/index.js';
import { runStage, stageParams, withCommonOptions } from '../framework.js';
import type { CommonArgs, StageContext } from '../framework.js';

export interface ImportArgs extends CommonArgs {
  genotypes: string;
  region?: string[];
  'maf-min'?: number;
  'snps-only': boolean;
  'biallelic-only': boolean;
  'max-missing'?: number;
  samples?: string;
  'bgen-sample'?: string;
  'haploid-as-diploid': boolean;
  out: string;
}

function builder(y: Argv): Argv<ImportArgs> {
  return withCommonOptions(
    y
      .option('genotypes', {
        type: 'string',
        demandOption: true,
        describe:
          'VCF(.gz) with .tbi/.csi for regions, PLINK .bed (with .bim/.fam), BGEN (.bgi for regions), or genotype Parquet',
      })
      .option('region', {
        type: 'string',
        array: true,
        describe: 'chr:start-end (1-based, inclusive); repeatable',
      })
      .option('maf-min', {
        type: 'number',
        describe: 'Keep variants with minor allele frequency ≥ X (over the output samples)',
      })
      .option('snps-only', {
        type: 'boolean',
        default: false,
        describe: 'Keep single-nucleotide variants only',
      })
      .option('biallelic-only', {
        type: 'boolean',
        default: false,
        describe: 'Keep variants with one ALT allele only',
      })
      .option('max-missing', { type: 'number', describe: 'Keep variants with a missing-call rate ≤ X' })
      .option('bgen-sample', {
        type: 'string',
        describe: 'Oxford .sample file for a BGEN without sample IDs (default: FILE.sample beside it)',
      })
      .option('haploid-as-diploid', {
        type: 'boolean',
        default: false,
        describe: 'Count haploid calls (X/Y in males) as 0/2, on the diploid scale, instead of 0/1',
      })
      .option('samples', {
        type: 'string',
        describe: 'File with the sample IDs to keep, one per line (output in that order)',
      })
      .option('out', { type: 'string', demandOption: true, describe: 'Output genotype Parquet' })
      .check((a) => {
        if (a['maf-min'] !== undefined && !(a['maf-min'] >= 0 && a['maf-min'] <= 0.5))
          throw new Error('--maf-min must be between 0 and 0.5');
        if (a['max-missing'] !== undefined && !(a['max-missing'] >= 0 && a['max-missing'] <= 1))
          throw new Error('--max-missing must be between 0 and 1');
        return true;
      }),
  ) as unknown as Argv<ImportArgs>;
}

async function readSampleList(file: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const { text } of readLines(file)) {
    const id = text.split(/\s+/)[0];
    if (id && !id.startsWith('#')) ids.push(id);
  }
  if (ids.length === 0)
    throw new InputError('the sample list is empty', { file, expected: 'one sample ID per line' });
  return ids;
}

export async function importStage(a: ImportArgs, ctx: StageContext): Promise<Record<string, unknown>> {
  const reader = await openGenotypes(a.genotypes, {
    bgenSample: a['bgen-sample'],
    haploidAsDiploid: a['haploid-as-diploid'],
  });
  const filters: Filter[] = [];
  if (a['maf-min'] !== undefined) filters.push(maf({ min: a['maf-min'] }));
  if (a['snps-only']) filters.push(snp());
  if (a['biallelic-only']) filters.push(biallelic());
  if (a['max-missing'] !== undefined) filters.push(maxMissing(a['max-missing']));
  const samples = a.samples ? await readSampleList(a.samples) : undefined;
  const fileSamples = await reader.samples();
  const outSamples = samples ?? fileSamples;
  ctx.log.info(
    `${a.genotypes}: ${reader.format}, ${fileSamples.length} samples${samples ? `; keeping ${samples.length}` : ''}`,
  );
  const writer = new GenotypeParquetWriter(ctx.outputs.claim(a.out), outSamples, stageParams(a), a.genotypes);
  const perChr = new Map<string, number>();
  try {
    const blocks = importBlocks(reader, {
      regions: (a.region ?? []).map(parseRegion),
      filter: filters.length ? and(...filters) : all(),
      samples,
      samplesFile: a.samples,
    });
    for await (const block of blocks) {
      writer.write(block);
      for (const c of block.variants.chr) perChr.set(c, (perChr.get(c) ?? 0) + 1);
    }
  } finally {
    writer.close();
    await reader.close();
  }
  ctx.log.info(`${writer.variants} variants × ${outSamples.length} samples written`);
  return {
    format: reader.format,
    samples: outSamples.length,
    variants: writer.variants,
    variants_per_chromosome: Object.fromEntries(perChr),
  };
}

export const importCommand: CommandModule<object, ImportArgs> = {
  command: 'import',
  describe:
    'Import genotypes (VCF, PLINK) into genotype Parquet, with regions, variant filters and a sample subset',
  builder,
  handler: async (argv) => {
    process.exitCode = await runStage('import', argv, (ctx) => importStage(argv, ctx));
  },
};
