/**
 * The demo cohort: a count matrix with the features real RNA-seq has and normalization must handle:
 * library sizes varying 25-fold, a composition shift (a block of genes 5× up in half the samples, which
 * TMM must correct and total-count scaling does not), NB over-dispersion, never-expressed genes,
 * and one failed library (a scrambled profile) for sample QC to catch. Genes sit on chromosomes 1–3 with
 * strands, so the output is a positioned phenotype BED.
 */
import { Rng } from './random.js';

export interface DemoOptions {
  samples: number;
  genes: number;
  seed: number;
}

export const DEFAULT_DEMO: DemoOptions = { samples: 120, genes: 1500, seed: 20261122 };

export interface DemoCohort {
  samples: string[];
  geneIds: string[];
  chr: string[];
  start: Int32Array;
  end: Int32Array;
  strand: string[];
  /** Genes × samples counts, row-major. */
  counts: Float64Array;
  truth: {
    /** Per sample: true composition factor (share of reads the up-regulated block takes, relative). */
    compositionFactor: number[];
    upregulatedGenes: string[];
    failedSample: string;
  };
}

export function simulateCohort(o: DemoOptions = DEFAULT_DEMO): DemoCohort {
  const rng = new Rng(o.seed);
  const nS = o.samples;
  const nG = o.genes;
  const samples = Array.from({ length: nS }, (_, j) => `DEMO${String(j + 1).padStart(4, '0')}`);
  const geneIds = Array.from({ length: nG }, (_, g) => `GENE${String(g + 1).padStart(5, '0')}`);
  const chr = geneIds.map((_, g) => `chr${1 + Math.floor((3 * g) / nG)}`);
  const start = new Int32Array(nG);
  const strand = geneIds.map(() => (rng.uniform() < 0.5 ? '+' : '-'));
  let pos = 1_000_000;
  for (let g = 0; g < nG; g++) {
    if (g > 0 && chr[g] !== chr[g - 1]) pos = 1_000_000;
    pos += 20_000 + Math.floor(rng.uniform() * 80_000);
    start[g] = pos;
  }
  const end = Int32Array.from(start, (s) => s + 1);
  const base = Float64Array.from({ length: nG }, () => Math.exp(1.8 * rng.normal()));
  const dispersion = Float64Array.from({ length: nG }, () => 0.05 + 0.4 * rng.uniform());
  const nUp = Math.floor(nG / 10);
  const upregulated = new Set(Array.from({ length: nUp }, (_, g) => g));
  // the last 2% of genes are never expressed
  for (let g = nG - Math.floor(nG / 50); g < nG; g++) base[g] = 0;
  const libTarget = Float64Array.from({ length: nS }, () =>
    Math.exp(Math.log(2e5) + rng.uniform() * Math.log(25)),
  );
  const shifted = (j: number): boolean => j >= nS / 2;
  const counts = new Float64Array(nG * nS);
  const compositionFactor: number[] = [];
  let baseTotal = 0;
  for (const b of base) baseTotal += b;
  for (let j = 0; j < nS; j++) {
    const abundance = Float64Array.from(base, (b, g) => (shifted(j) && upregulated.has(g) ? 5 * b : b));
    let total = 0;
    for (const a of abundance) total += a;
    compositionFactor.push(baseTotal / total);
    for (let g = 0; g < nG; g++) {
      const mu = (libTarget[j] * abundance[g]) / total;
      counts[g * nS + j] = mu > 0 ? rng.negativeBinomial(mu, dispersion[g]) : 0;
    }
  }
  // A failed library: sample 7's counts shuffled across genes.
  const failed = 6;
  const column = Array.from({ length: nG }, (_, g) => counts[g * nS + failed]);
  for (let g = nG - 1; g > 0; g--) {
    const k = Math.floor(rng.uniform() * (g + 1));
    [column[g], column[k]] = [column[k], column[g]];
  }
  column.forEach((v, g) => (counts[g * nS + failed] = v));
  return {
    samples,
    geneIds,
    chr,
    start,
    end,
    strand,
    counts,
    truth: {
      compositionFactor,
      upregulatedGenes: [...upregulated].map((g) => geneIds[g]),
      failedSample: samples[failed],
    },
  };
}

/** The cohort's counts as a QTLtools-style phenotype BED (`#chr start end gene length strand samples…`). */
export function cohortBed(c: DemoCohort): string {
  const nS = c.samples.length;
  const lines = [['#chr', 'start', 'end', 'gene', 'length', 'strand', ...c.samples].join('\t')];
  c.geneIds.forEach((id, g) => {
    const row = [c.chr[g], String(c.start[g]), String(c.end[g]), id, '2000', c.strand[g]];
    for (let j = 0; j < nS; j++) row.push(String(c.counts[g * nS + j]));
    lines.push(row.join('\t'));
  });
  return lines.join('\n') + '\n';
}
