/**
 * A seeded tumour cohort in SegmentQTL's input formats, for the segment stage's tests and benchmark:
 * allele-specific log-ratio dosages per chromosome, expression, gene copy number, covariates and copy-number
 * segments. Truths are planted and returned:
 * - allele-specific eQTLs: y += β·d of one variant for some genes (d = REFlr − ALTlr);
 * - breakpoint artefacts: in "event" samples one arm of a chromosome beyond a breakpoint gains an allelic imbalance
 *   (d shifted for every variant there) and the event also moves the expression of the genes just before the
 *   breakpoint (a trans effect their own copy number does not carry). Gene and variant are then on different
 *   segments in exactly the event samples, so an unsegmented analysis links those genes to the variants across the
 *   breakpoint, and the segment filter removes that.
 * With `effects: false` nothing is planted (a null cohort for calibration).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from './random.js';

export interface SegmentSimOptions {
  samples: number;
  /** Chromosomes with genes; genotypes are also written for the next one (negative control). */
  chromosomes: number;
  genesPerChromosome: number;
  variantsPerChromosome: number;
  chromosomeLength: number;
  seed: number;
  effects: boolean;
  /** Fraction of genotype entries missing (NaN). */
  missing: number;
  /** Event samples' fraction (breakpoint artefacts). */
  eventFraction: number;
  /**
   * Seed of the samples' draws (genotypes, noise, events); the structure (positions, allele frequencies, genes, causal
   * variants) comes from `seed`. Another sample seed gives an independent cohort of the same design (validation).
   */
  sampleSeed?: number;
  /** Sample ID prefix. */
  samplePrefix: string;
}

export const SEGMENT_SIM_DEFAULTS: SegmentSimOptions = {
  samples: 120,
  chromosomes: 2,
  genesPerChromosome: 20,
  variantsPerChromosome: 400,
  chromosomeLength: 10_000_000,
  seed: 20240601,
  effects: true,
  missing: 0.02,
  eventFraction: 0.4,
  samplePrefix: 'T',
};

export interface SegmentSimTruth {
  samples: string[];
  /** gene → causal variant ID. */
  causal: Record<string, string>;
  /** Genes whose expression the breakpoint event moves. */
  spurious: string[];
  /** Per chromosome with an event: the breakpoint range. */
  breakpoints: Record<string, [number, number]>;
  files: {
    genotypes: string;
    quantifications: string;
    covariates: string;
    copynumber: string;
    segmentation: string;
  };
}

const fmt = (x: number): string => (Number.isFinite(x) ? x.toPrecision(10) : '');

export function simulateSegmentCohort(dir: string, opts: Partial<SegmentSimOptions> = {}): SegmentSimTruth {
  const o = { ...SEGMENT_SIM_DEFAULTS, ...opts };
  const rng = new Rng(o.seed);
  const srng = new Rng(o.sampleSeed ?? o.seed + 1);
  const n = o.samples;
  const samples = Array.from({ length: n }, (_, i) => `${o.samplePrefix}${String(i + 1).padStart(3, '0')}`);
  const gdir = join(dir, 'genotypes');
  mkdirSync(gdir, { recursive: true });
  const causal: Record<string, string> = {};
  const spurious: string[] = [];
  const breakpoints: Record<string, [number, number]> = {};
  const quant: string[] = [['chr', 'start', 'end', 'gene_id', ...samples].join(',')];
  const cn: string[] = [['gene_id', ...samples].join(',')];
  const seg: string[] = ['sample,chr,startpos,endpos'];
  const age = Float64Array.from(samples, () => 50 + 10 * srng.normal());
  const purity = Float64Array.from(samples, () => 0.4 + 0.5 * srng.uniform());
  const L = o.chromosomeLength;
  for (let c = 1; c <= o.chromosomes + 1; c++) {
    const chr = `chr${c}`;
    const V = o.variantsPerChromosome;
    const pos = Int32Array.from({ length: V }, () => 1 + Math.floor(rng.uniform() * (L - 1))).sort();
    for (let v = 1; v < V; v++) if (pos[v] <= pos[v - 1]) pos[v] = pos[v - 1] + 1;
    const ids = Array.from(pos, (p) => `${chr}:${p}:A:G`);
    // germline genotypes (ref/alt allele counts) and the measured log-ratio dosages
    const refc = new Float64Array(V * n);
    for (let v = 0; v < V; v++) {
      const af = 0.1 + 0.4 * rng.uniform();
      for (let i = 0; i < n; i++)
        refc[v * n + i] = 2 - ((srng.uniform() < af ? 1 : 0) + (srng.uniform() < af ? 1 : 0));
    }
    const alt = new Float64Array(V * n);
    const ref = new Float64Array(V * n);
    for (let k = 0; k < V * n; k++) {
      ref[k] = (refc[k] - 1) * 0.8 + 0.1 * srng.normal();
      alt[k] = (1 - refc[k]) * 0.8 + 0.1 * srng.normal();
    }
    // a breakpoint in the middle of chromosomes with genes: event samples have two segments
    const hasEvent = o.effects && c <= o.chromosomes;
    const bpLo = Math.floor(L * 0.5);
    const bpHi = bpLo + 50_000;
    const event = Uint8Array.from(samples, () => (hasEvent && srng.uniform() < o.eventFraction ? 1 : 0));
    if (hasEvent) breakpoints[chr] = [bpLo, bpHi];
    for (let i = 0; i < n; i++) {
      if (c > o.chromosomes) continue;
      if (event[i]) {
        const bp = bpLo + Math.floor(srng.uniform() * (bpHi - bpLo));
        seg.push(`${samples[i]},${chr},1,${bp}`, `${samples[i]},${chr},${bp + 1},${L}`);
        // allelic imbalance beyond the breakpoint: every variant there reads more REF than ALT
        for (let v = 0; v < V; v++)
          if (pos[v] > bp) {
            ref[v * n + i] += 0.6;
            alt[v * n + i] -= 0.6;
          }
      } else seg.push(`${samples[i]},${chr},1,${L}`);
    }
    for (let k = 0; k < V * n; k++)
      if (srng.uniform() < o.missing) {
        ref[k] = NaN;
        alt[k] = NaN;
      }
    const header = ['ID', ...samples].join(',');
    const rows = (m: Float64Array) =>
      [
        header,
        ...ids.map((id, v) => [id, ...Array.from(m.subarray(v * n, (v + 1) * n), fmt)].join(',')),
      ].join('\n') + '\n';
    writeFileSync(join(gdir, `${chr}_ALTlr.csv`), rows(alt));
    writeFileSync(join(gdir, `${chr}_REFlr.csv`), rows(ref));
    if (c > o.chromosomes) continue;
    // genes: evenly spread, the two closest below the breakpoint are the artefact genes
    for (let g = 0; g < o.genesPerChromosome; g++) {
      const start = Math.floor(((g + 0.5) / o.genesPerChromosome) * L);
      const end = start + 20_000;
      const id = `G${c}_${String(g + 1).padStart(3, '0')}`;
      const cnv = Float64Array.from(samples, () => 0.3 * srng.normal());
      const y = Float64Array.from(samples, (_, i) => 0.8 * cnv[i] + 0.02 * (age[i] - 50) + srng.normal());
      if (o.effects) {
        const below = start < bpLo && bpLo - end < 1_000_000;
        if (below && spurious.filter((s) => s.startsWith(`G${c}_`)).length < 2 && bpLo - end < 600_000) {
          spurious.push(id);
          for (let i = 0; i < n; i++) y[i] += 2 * event[i];
        } else if (g % 4 === 1) {
          // a causal variant inside the gene's ±200 kb
          const near = Array.from(pos.keys()).filter(
            (v) => Math.abs(pos[v] - start) < 200_000 && (pos[v] < bpLo || start > bpHi),
          );
          if (near.length) {
            const v = near[Math.floor(rng.uniform() * near.length)];
            causal[id] = ids[v];
            for (let i = 0; i < n; i++) {
              const d = ref[v * n + i] - alt[v * n + i];
              if (Number.isFinite(d)) y[i] += 0.5 * d;
            }
          }
        }
      }
      quant.push([chr, start, end, id, ...Array.from(y, fmt)].join(','));
      cn.push([id, ...Array.from(cnv, fmt)].join(','));
    }
  }
  const files = {
    genotypes: gdir,
    quantifications: join(dir, 'quantifications.csv'),
    covariates: join(dir, 'covariates.csv'),
    copynumber: join(dir, 'copynumber.csv'),
    segmentation: join(dir, 'segments.csv'),
  };
  writeFileSync(files.quantifications, quant.join('\n') + '\n');
  writeFileSync(files.copynumber, cn.join('\n') + '\n');
  writeFileSync(files.segmentation, seg.join('\n') + '\n');
  // SegmentQTL's covariates layout: a header of sample IDs, then name,values…
  writeFileSync(
    files.covariates,
    [
      samples.join(','),
      ['age', ...Array.from(age, fmt)].join(','),
      ['purity', ...Array.from(purity, fmt)].join(','),
    ].join('\n') + '\n',
  );
  return { samples, causal, spurious, breakpoints, files };
}
