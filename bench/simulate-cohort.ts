/**
 * The simulated cohort of the cis benchmarks: one chromosome `chr1` of `length` bases with founder-mosaic LD
 * (simulate-genotypes.ts) as a bgzipped VCF + .tbi, and phenotype BEDs (bgzipped + .tbi) of null phenotypes at
 * evenly spread TSSs: the work per phenotype does not depend on the values. Both FastQTL and qtlflow read them.
 */
import { join } from 'node:path';
import { writeIndexedBed } from '../src/io/tabix.js';
import { Rng } from '../src/runner/random.js';
import { simulatedSampleIds, writeSimulatedVcf } from '../src/runner/simulate-genotypes.js';

export interface SimulatedCohort {
  vcf: string;
  ids: string[];
  length: number;
  /** Writes a phenotype BED of `genes` phenotypes; returns its path. */
  phenotypes(genes: number): string;
}

export function simulateCohort(
  dir: string,
  samples: number,
  variants: number,
  length = 100_000_000,
): SimulatedCohort {
  const vcf = join(dir, 'genotypes.vcf.gz');
  writeSimulatedVcf(
    vcf,
    `${vcf}.tbi`,
    { samples, chromosomes: [{ name: 'chr1', length, variants }], seed: 1 },
    { level: 1 },
  );
  const ids = simulatedSampleIds(samples);
  return {
    vcf,
    ids,
    length,
    phenotypes(genes: number): string {
      const rng = new Rng(genes);
      const lines = [['#chr', 'start', 'end', 'phenotype_id', ...ids].join('\t')];
      for (let g = 0; g < genes; g++) {
        const tss = Math.floor(1_000_000 + ((length - 2_000_000) * (g + 0.5)) / genes);
        lines.push(['chr1', tss - 1, tss, `P${g + 1}`, ...ids.map(() => rng.normal().toFixed(4))].join('\t'));
      }
      const bed = join(dir, `phenotypes${genes}.bed.gz`);
      writeIndexedBed(bed, `${bed}.tbi`, lines);
      return bed;
    },
  };
}
