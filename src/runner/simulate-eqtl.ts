/**
 * A cohort for cis-QTL mapping with hidden confounders, to show what the `factors` stage buys: genotypes with
 * LD (haplotypes copied along each chromosome, a few ancestral groups with shifted allele frequencies),
 * genes with positions on the same chromosomes, planted causal cis-eQTLs of varying effect, and hidden factors
 * (batch-like sample effects of decaying strength) that act on every gene, plus gene-specific noise of varying
 * size. Phenotypes come out on the normalized scale (what `normalize --int` gives), ready for `factors` and
 * `cis`. Deterministic for a seed (the demo's ./random.ts generator).
 */
import { compareChrom } from '../io/genome.js';
import { Rng } from './random.js';

export interface EqtlCohortOptions {
  samples: number;
  genes: number;
  /** Variants per chromosome. */
  variantsPerChromosome: number;
  chromosomes: number;
  /** Hidden factors and the variance share of the strongest one in a typical gene (they decay geometrically). */
  hiddenFactors: number;
  factorDecay: number;
  /** Fraction of genes with a causal cis-eQTL. */
  eqtlFraction: number;
  /** Gene-specific noise SD, log-uniform between these bounds (genes differ in how noisy they are). */
  noiseSd: [number, number];
  seed: number;
}

export const DEFAULT_EQTL_COHORT: EqtlCohortOptions = {
  samples: 300,
  genes: 600,
  variantsPerChromosome: 3000,
  chromosomes: 2,
  hiddenFactors: 10,
  factorDecay: 0.75,
  eqtlFraction: 0.4,
  noiseSd: [0.3, 3],
  seed: 20261201,
};

export interface EqtlCohort {
  samples: string[];
  /** Variants, sorted by chromosome and position. */
  variants: { chr: string[]; pos: Int32Array; id: string[]; ref: string[]; alt: string[] };
  /** Variants × samples ALT dosages (0, 1, 2), variant-major. */
  dosages: Float32Array;
  genes: { id: string[]; chr: string[]; start: Int32Array; end: Int32Array; strand: string[] };
  /** Genes × samples phenotypes, row-major. */
  phenotypes: Float64Array;
  truth: {
    /** Samples × hiddenFactors, row-major. */
    factors: Float64Array;
    /** Per gene: index of the causal variant (−1 for none) and its standardized effect. */
    causalVariant: Int32Array;
    effect: Float64Array;
    /** Per sample: ancestral group. */
    group: Int32Array;
  };
}

export function simulateEqtlCohort(o: EqtlCohortOptions = DEFAULT_EQTL_COHORT): EqtlCohort {
  const rng = new Rng(o.seed);
  const N = o.samples;
  const samples = Array.from({ length: N }, (_, j) => `SIM${String(j + 1).padStart(4, '0')}`);
  const groups = 3;
  const group = Int32Array.from({ length: N }, (_, j) => j % groups);

  // genotypes: per chromosome, haplotypes follow a copying chain (LD decays with distance in variants)
  const M = o.variantsPerChromosome * o.chromosomes;
  const chr: string[] = [];
  const pos = new Int32Array(M);
  const id: string[] = [];
  const ref: string[] = [];
  const alt: string[] = [];
  const dosages = new Float32Array(M * N);
  const hap = new Uint8Array(2 * N);
  const bases = ['A', 'C', 'G', 'T'];
  let v = 0;
  for (let c = 1; c <= o.chromosomes; c++) {
    let p = 1_000_000;
    for (let i = 0; i < o.variantsPerChromosome; i++, v++) {
      p += 200 + Math.floor(rng.uniform() * 1600);
      chr.push(`chr${c}`);
      pos[v] = p;
      id.push(`chr${c}_${p}`);
      const r = Math.floor(rng.uniform() * 4);
      ref.push(bases[r]);
      alt.push(bases[(r + 1 + Math.floor(rng.uniform() * 3)) % 4]);
      const base = 0.05 + 0.45 * rng.uniform();
      const freq = Array.from({ length: groups }, () =>
        Math.min(0.95, Math.max(0.02, base + 0.08 * rng.normal())),
      );
      const keep = i === 0 ? 0 : 0.9; // probability a haplotype keeps its allele from the previous variant
      for (let h = 0; h < 2 * N; h++) {
        if (!(rng.uniform() < keep)) hap[h] = rng.uniform() < freq[group[h >> 1]] ? 1 : 0;
      }
      for (let j = 0; j < N; j++) dosages[v * N + j] = hap[2 * j] + hap[2 * j + 1];
    }
  }

  // genes on the same chromosomes, TSS inside the genotyped span
  const G = o.genes;
  const gChr: string[] = [];
  const gStart = new Int32Array(G);
  const strand: string[] = [];
  const causal = new Int32Array(G).fill(-1);
  const effect = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    const c = g % o.chromosomes;
    const lo = c * o.variantsPerChromosome;
    const hi = lo + o.variantsPerChromosome - 1;
    const anchor = lo + Math.floor(rng.uniform() * (hi - lo + 1));
    gChr.push(chr[anchor]);
    gStart[g] = pos[anchor] + Math.floor(rng.uniform() * 200);
    strand.push(rng.uniform() < 0.5 ? '+' : '-');
    if (rng.uniform() < o.eqtlFraction) {
      // a causal variant within ±100 kb (≈ ±100 variants) of the TSS, polymorphic enough to be testable
      for (let tries = 0; tries < 50; tries++) {
        const cand = Math.min(hi, Math.max(lo, anchor + Math.round((rng.uniform() - 0.5) * 200)));
        let s = 0;
        for (let j = 0; j < N; j++) s += dosages[cand * N + j];
        const af = s / (2 * N);
        if (af > 0.05 && af < 0.95) {
          causal[g] = cand;
          effect[g] = (rng.uniform() < 0.5 ? -1 : 1) * (0.15 + 0.35 * rng.uniform());
          break;
        }
      }
    }
  }
  const order = Array.from({ length: G }, (_, g) => g).sort(
    (a, b) => compareChrom(gChr[a], gChr[b]) || gStart[a] - gStart[b] || a - b,
  );

  // phenotypes: hidden factors of decaying strength + cis-eQTL + gene-specific noise
  const K = o.hiddenFactors;
  const factors = Float64Array.from({ length: N * K }, () => rng.normal());
  const y = new Float64Array(G * N);
  const genes = {
    id: [] as string[],
    chr: [] as string[],
    start: new Int32Array(G),
    end: new Int32Array(G),
    strand: [] as string[],
  };
  const causalOut = new Int32Array(G);
  const effectOut = new Float64Array(G);
  order.forEach((g, row) => {
    genes.id.push(`ENSGSIM${String(g + 1).padStart(5, '0')}`);
    genes.chr.push(gChr[g]);
    genes.start[row] = gStart[g];
    genes.end[row] = gStart[g] + 1;
    genes.strand.push(strand[g]);
    causalOut[row] = causal[g];
    effectOut[row] = effect[g];
    const loadings = Array.from({ length: K }, (_, k) => rng.normal() * 0.9 * Math.pow(o.factorDecay, k));
    const noiseSd = o.noiseSd[0] * Math.pow(o.noiseSd[1] / o.noiseSd[0], rng.uniform()); // log-uniform
    let gm = 0;
    let gs = 0;
    if (causal[g] >= 0) {
      for (let j = 0; j < N; j++) gm += dosages[causal[g] * N + j];
      gm /= N;
      for (let j = 0; j < N; j++) gs += (dosages[causal[g] * N + j] - gm) ** 2;
      gs = Math.sqrt(gs / N);
    }
    for (let j = 0; j < N; j++) {
      let val = noiseSd * rng.normal();
      for (let k = 0; k < K; k++) val += loadings[k] * factors[j * K + k];
      if (causal[g] >= 0) val += (effect[g] * (dosages[causal[g] * N + j] - gm)) / gs;
      y[row * N + j] = val;
    }
  });
  return {
    samples,
    variants: { chr, pos, id, ref, alt },
    dosages,
    genes,
    phenotypes: y,
    truth: { factors, causalVariant: causalOut, effect: effectOut, group },
  };
}
