/**
 * The demo cohort: a whole study simulated end to end, written in the real input formats, with the truth kept
 * so that a run can be scored against it.
 * - Genotypes with LD and a neutral-like allele-frequency spectrum (founder mosaics, simulate-genotypes.ts),
 *   as a bgzipped VCF with its .tbi.
 * - Genes with strands on the same chromosomes (GTF), and RNA-seq counts (gene × sample TSV): negative-binomial
 *   counts around a latent log-expression with library sizes varying 20-fold, hidden factors (batch-like
 * confounders the `factors` stage must find), a known covariate (sex) and planted causal cis-eQTLs: 30% of
 *   genes have one, a quarter of those a second, independent one.
 * - Known covariates (TSV), the planted truth (TSV), and a GWAS (TSV.gz) over two loci: one sharing an eQTL's
 *   causal variant (colocalization expected), one whose GWAS signal is a different variant near another eGene.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { VcfWriter } from '../io/vcf-writer.js';
import { normalTwoSidedP } from '../stats/normal.js';
import { Rng } from './random.js';
import { simulateHaplotypes, simulatedSampleIds } from './simulate-genotypes.js';

export interface DemoCohortOptions {
  samples: number;
  chromosomes: number;
  /** Length of each chromosome (bp). */
  chromosomeLength: number;
  variantsPerChromosome: number;
  genesPerChromosome: number;
  hiddenFactors: number;
  /**
   * Genes in the count matrix without a position in the GTF (and without eQTLs): they take part in the library
   * sizes and TMM factors, as the many unmapped genes of a real study do, but are not mapped. Without them the
   * few hundred mapped genes' eQTLs would move every sample's normalization factor (a composition effect that,
   * through the founder structure of the genotypes, leaks into every gene's association tests).
   */
  backgroundGenes?: number;
  seed: number;
}

export const DEFAULT_DEMO_COHORT: DemoCohortOptions = {
  samples: 200,
  chromosomes: 2,
  chromosomeLength: 12_000_000,
  variantsPerChromosome: 5_000,
  genesPerChromosome: 400,
  hiddenFactors: 5,
  backgroundGenes: 3000,
  seed: 20261201,
};

export interface PlantedGene {
  geneId: string;
  chr: string;
  tss: number;
  causal: { variantId: string; pos: number; effect: number }[];
}

export interface DemoFiles {
  vcf: string;
  counts: string;
  gtf: string;
  knownCovariates: string;
  truth: string;
  gwas: string;
}

export interface DemoCohort {
  files: DemoFiles;
  samples: string[];
  genes: PlantedGene[];
  /** The GWAS loci: the gene whose region they cover and whether the GWAS causal variant is the eQTL's. */
  gwasLoci: { geneId: string; shared: boolean; gwasCausal: string }[];
}

interface ChromosomeGenotypes {
  name: string;
  pos: number[];
  id: string[];
  ref: string[];
  alt: string[];
  /** ALT allele frequency. */
  af: number[];
  /** Standardized dosages (mean 0, variance 1 over the samples), variant-major. */
  std: Float32Array[];
  maf: number[];
}

function standardize(d: Float32Array): { std: Float32Array; af: number; maf: number } {
  const n = d.length;
  let m = 0;
  for (const x of d) m += x;
  m /= n;
  let v = 0;
  for (const x of d) v += (x - m) ** 2;
  const sd = Math.sqrt(v / n) || 1;
  const std = new Float32Array(n);
  for (let i = 0; i < n; i++) std[i] = (d[i] - m) / sd;
  return { std, af: m / 2, maf: Math.min(m / 2, 1 - m / 2) };
}

function corr(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s / a.length;
}

/** Index of the first position ≥ x in a sorted array. */
function lowerBound(a: number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Moves each freshly written `.new` file into place unless the file there has the same bytes: the simulation is
 * deterministic, so a second demo run leaves the inputs untouched and the runner resumes.
 */
function replaceIfChanged(paths: string[]): void {
  for (const p of paths) {
    const fresh = `${p}.new`;
    if (existsSync(p) && readFileSync(p).equals(readFileSync(fresh))) rmSync(fresh);
    else renameSync(fresh, p);
  }
}

/** Simulates the cohort and writes its input files into `dir`. */
export function writeDemoCohort(dir: string, o: DemoCohortOptions = DEFAULT_DEMO_COHORT): DemoCohort {
  const rng = new Rng(o.seed);
  const n = o.samples;
  const samples = simulatedSampleIds(n);
  const files: DemoFiles = {
    vcf: join(dir, 'genotypes.vcf.gz'),
    counts: join(dir, 'counts.tsv.gz'),
    gtf: join(dir, 'genes.gtf.gz'),
    knownCovariates: join(dir, 'known_covariates.tsv'),
    truth: join(dir, 'truth.tsv'),
    gwas: join(dir, 'gwas.tsv.gz'),
  };

  // genotypes: written as they are simulated; standardized dosages kept (the demo is small)
  const chromosomes = Array.from({ length: o.chromosomes }, (_, c) => ({
    name: `chr${c + 1}`,
    length: o.chromosomeLength,
    variants: o.variantsPerChromosome,
  }));
  const vcf = new VcfWriter(`${files.vcf}.new`, {
    samples,
    contigs: chromosomes.map((c) => ({ name: c.name, length: c.length })),
    indexPath: `${files.vcf}.tbi.new`,
    meta: [`qtlflow.demo=${JSON.stringify(o)}`],
  });
  const geno = new Map<string, ChromosomeGenotypes>(
    chromosomes.map((c) => [
      c.name,
      { name: c.name, pos: [], id: [], ref: [], alt: [], af: [], std: [], maf: [] },
    ]),
  );
  try {
    for (const block of simulateHaplotypes({
      samples: n,
      chromosomes,
      seed: o.seed + 1,
      sampleIds: samples,
    })) {
      vcf.writeHaplotypes(block.variants, block.haplotypes);
      const h = block.haplotypes;
      for (let v = 0; v < block.variants.pos.length; v++) {
        const g = geno.get(block.variants.chr[v])!;
        const d = new Float32Array(n);
        for (let j = 0; j < n; j++) d[j] = h[v * 2 * n + 2 * j] + h[v * 2 * n + 2 * j + 1];
        const s = standardize(d);
        g.pos.push(block.variants.pos[v]);
        g.id.push(block.variants.id[v]);
        g.ref.push(block.variants.ref[v]);
        g.alt.push(block.variants.alt[v]);
        g.af.push(s.af);
        g.std.push(s.std);
        g.maf.push(s.maf);
      }
    }
    vcf.close();
  } catch (e) {
    vcf.abort();
    throw e;
  }

  // genes and planted eQTLs
  const genes: PlantedGene[] = [];
  const strand: string[] = [];
  const span: [number, number][] = [];
  for (const c of chromosomes) {
    const g = geno.get(c.name)!;
    const step = (c.length - 1_000_000) / o.genesPerChromosome;
    for (let k = 0; k < o.genesPerChromosome; k++) {
      const geneId = `GENE${String(genes.length + 1).padStart(5, '0')}`;
      const tss = Math.round(500_000 + (k + 0.2 + 0.6 * rng.uniform()) * step);
      const plus = rng.uniform() < 0.5;
      const len = 5_000 + Math.floor(45_000 * rng.uniform());
      strand.push(plus ? '+' : '-');
      span.push(plus ? [tss, tss + len] : [tss - len, tss]);
      const causal: PlantedGene['causal'] = [];
      if (rng.uniform() < 0.3) {
        const lo = lowerBound(g.pos, tss - 100_000);
        const hi = lowerBound(g.pos, tss + 100_000);
        const pick = (ok: (v: number) => boolean): number | undefined => {
          const cand: number[] = [];
          for (let v = lo; v < hi; v++) if (g.maf[v] >= 0.05 && ok(v)) cand.push(v);
          return cand.length ? cand[Math.floor(rng.uniform() * cand.length)] : undefined;
        };
        const first = pick(() => true);
        if (first !== undefined) {
          const effect = () => (rng.uniform() < 0.5 ? -1 : 1) * (0.1 + 0.4 * rng.uniform());
          causal.push({ variantId: g.id[first], pos: g.pos[first], effect: effect() });
          if (rng.uniform() < 0.25) {
            const second = pick(
              (v) => Math.abs(g.pos[v] - g.pos[first]) > 10_000 && corr(g.std[v], g.std[first]) ** 2 < 0.05,
            );
            if (second !== undefined)
              causal.push({ variantId: g.id[second], pos: g.pos[second], effect: effect() });
          }
        }
      }
      genes.push({ geneId, chr: c.name, tss, causal });
    }
  }

  // latent expression: eQTL effects + hidden factors + sex + noise, in SD units of the noise
  const H = o.hiddenFactors;
  const factors = Array.from({ length: H }, () => Float64Array.from({ length: n }, () => rng.normal()));
  const sex = Array.from({ length: n }, () => (rng.uniform() < 0.5 ? 1 : 0));
  const age = Array.from({ length: n }, () => Math.round(20 + 60 * rng.uniform()));
  const lib = Float64Array.from({ length: n }, () =>
    Math.exp(Math.log(2e6) + Math.log(20) * (rng.uniform() - 0.5)),
  );
  const G = genes.length;
  const base = Float64Array.from({ length: G }, () => Math.exp(Math.log(50) + 0.3 * rng.normal()));
  const totalBase = base.reduce((s, x) => s + x, 0);
  const countRows: string[] = [['gene_id', ...samples].join('\t')];
  for (let gi = 0; gi < G; gi++) {
    const gene = genes[gi];
    const g = geno.get(gene.chr)!;
    const load = Array.from({ length: H }, () => 0.6 * rng.normal());
    const sexEffect = rng.uniform() < 0.1 ? 0.8 : 0;
    const causal = gene.causal.map((c) => ({ effect: c.effect, g: g.std[g.id.indexOf(c.variantId)] }));
    const row: number[] = [];
    for (let j = 0; j < n; j++) {
      let z = 0.6 * rng.normal() + sexEffect * sex[j];
      for (let h = 0; h < H; h++) z += load[h] * factors[h][j];
      for (const c of causal) z += c.effect * c.g[j];
      const mu = (lib[j] * base[gi] * Math.exp(0.5 * z)) / totalBase;
      row.push(rng.negativeBinomial(mu, 0.05));
    }
    countRows.push([gene.geneId, ...row].join('\t'));
  }
  for (let b = 0; b < (o.backgroundGenes ?? 0); b++) {
    const mean = Math.exp(Math.log(50) + 0.3 * rng.normal());
    const load = Array.from({ length: H }, () => 0.6 * rng.normal());
    const row: number[] = [];
    for (let j = 0; j < n; j++) {
      let z = 0.6 * rng.normal();
      for (let h = 0; h < H; h++) z += load[h] * factors[h][j];
      row.push(rng.negativeBinomial((lib[j] * mean * Math.exp(0.5 * z)) / totalBase, 0.05));
    }
    countRows.push([`BACKGROUND${String(b + 1).padStart(5, '0')}`, ...row].join('\t'));
  }
  writeFileSync(`${files.counts}.new`, gzipSync(countRows.join('\n') + '\n'));

  const gtf = genes.map((gene, gi) => {
    const [s, e] = span[gi];
    return [
      gene.chr,
      'qtlflow-demo',
      'gene',
      s,
      e,
      '.',
      strand[gi],
      '.',
      `gene_id "${gene.geneId}"; gene_name "${gene.geneId}"; gene_type "protein_coding";`,
    ].join('\t');
  });
  writeFileSync(`${files.gtf}.new`, gzipSync(gtf.join('\n') + '\n'));
  writeFileSync(
    `${files.knownCovariates}.new`,
    ['sample_id\tsex\tage', ...samples.map((s, j) => `${s}\t${sex[j] ? 'F' : 'M'}\t${age[j]}`)].join('\n') +
      '\n',
  );
  writeFileSync(
    `${files.truth}.new`,
    [
      'phenotype_id\tcausal_variants\teffect_sizes',
      ...genes.map(
        (gene) =>
          `${gene.geneId}\t${gene.causal.map((c) => c.variantId).join(',')}\t${gene.causal.map((c) => c.effect.toFixed(3)).join(',')}`,
      ),
    ].join('\n') + '\n',
  );

  // GWAS over two single-signal eGene loci: the first shares the causal variant, the second's GWAS signal is a
  // variant in low LD with the eQTL. z = λ·corr(g, causal) + correlated noise (LD-shaped, from the genotypes).
  const single = genes.filter((gene) => gene.causal.length === 1 && Math.abs(gene.causal[0].effect) > 0.35);
  const loci: DemoCohort['gwasLoci'] = [];
  const gwasRows: string[] = ['variant_id\tchr\tpos\teffect_allele\tother_allele\tbeta\tse\tp\tn\teaf'];
  const N = 20_000;
  // two loci far apart (their ±300 kb regions must not overlap: each SNP once in the file)
  const second = single.find((g) => g.chr !== single[0]?.chr || Math.abs(g.tss - single[0].tss) > 1_000_000);
  const chosen = single.length && second ? [single[0], second] : [];
  for (const [k, gene] of chosen.entries()) {
    const g = geno.get(gene.chr)!;
    const lo = lowerBound(g.pos, gene.tss - 300_000);
    const hi = lowerBound(g.pos, gene.tss + 300_000);
    const eqtl = g.id.indexOf(gene.causal[0].variantId);
    let causal = eqtl;
    if (k === 1) {
      const cand: number[] = [];
      for (let v = lo; v < hi; v++)
        if (
          g.maf[v] >= 0.1 &&
          corr(g.std[v], g.std[eqtl]) ** 2 < 0.01 &&
          Math.abs(g.pos[v] - g.pos[eqtl]) > 50_000
        )
          cand.push(v);
      if (!cand.length) continue;
      causal = cand[Math.floor(rng.uniform() * cand.length)];
    }
    loci.push({ geneId: gene.geneId, shared: k === 0, gwasCausal: g.id[causal] });
    const e = Float64Array.from({ length: n }, () => rng.normal());
    for (let v = lo; v < hi; v++) {
      if (g.maf[v] < 0.01) continue;
      let noise = 0;
      for (let j = 0; j < n; j++) noise += g.std[v][j] * e[j];
      const z = 9 * corr(g.std[v], g.std[causal]) + noise / Math.sqrt(n);
      const af = g.af[v]; // the effect allele is ALT, as z is the correlation with the ALT dosage
      const se = 1 / Math.sqrt(2 * N * af * (1 - af));
      const p = normalTwoSidedP(z);
      gwasRows.push(
        [
          g.id[v],
          gene.chr,
          g.pos[v],
          g.alt[v],
          g.ref[v],
          (z * se).toPrecision(6),
          se.toPrecision(6),
          p.toPrecision(6),
          N,
          af.toFixed(4),
        ].join('\t'),
      );
    }
  }
  writeFileSync(`${files.gwas}.new`, gzipSync(gwasRows.join('\n') + '\n'));
  replaceIfChanged([...Object.values(files), `${files.vcf}.tbi`]);
  return { files, samples, genes, gwasLoci: loci };
}
