/**
 * Genotype PCs for ancestry, as eQTL Catalogue computes them with plink2: variants with MAF ≥ 0.05 (over the
 * analysis samples), LD-pruned like `plink2 --indep-pairwise 50000 200 0.05` (./ldprune.ts), then the top
 * eigenvectors of the variance-standardized relationship matrix, as `plink2 --pca`: each kept variant
 * contributes z = (g − 2p)/√(2p(1 − p)) (p = ALT frequency over the observed samples; a missing call
 * contributes 0, plink2's `meanimpute`), GRM = Z Zᵀ / M. The PCs are plink2's unit-length eigenvectors and the
 * eigenvalues those of the GRM.
 *
 * Streaming: the reader's blocks pass through the pruner chromosome by chromosome and every variant the
 * pruner releases is added to the GRM in blocks of 256 (one matrix product each), so memory is one pruning
 * window plus the n × n GRM.
 */
import { canonicalChrom } from '../../io/genome.js';
import type { GenotypeReader } from '../../io/genotypes/index.js';
import { gemmBackend } from '../../linalg/gemm.js';
import { leadingEigen } from '../../linalg/pca.js';
import { LdPruner } from './ldprune.js';
import type { PruneOptions } from './ldprune.js';

export interface GenotypePcOptions {
  pcs: number;
  mafMin: number;
  pruning: PruneOptions;
}

export interface GenotypePcResult {
  /** Samples × pcs eigenvectors (unit length), row-major, in the order of `sampleIndex`. */
  vectors: Float64Array;
  /** The GRM's eigenvalues of those vectors. */
  eigenvalues: Float64Array;
  /** Sum of the GRM's diagonal (its total variance), for fractions explained. */
  trace: number;
  variants: { read: number; passMaf: number; kept: number; pruned: number };
  /** Kept variants as chr:pos, in genome order (what `--extract` would take). */
  keptIds: string[];
}

const GRM_BLOCK = 256;

/**
 * Runs the pipeline over every variant of `reader`, restricted to the samples at `sampleIndex` (indices into
 * the reader's sample list, in the output order).
 */
export async function genotypePcs(
  reader: GenotypeReader,
  sampleIndex: Int32Array,
  options: GenotypePcOptions,
  onProgress?: (variantsRead: number) => void,
): Promise<GenotypePcResult> {
  const n = sampleIndex.length;
  const grm = new Float64Array(n * n);
  const block = new Float64Array(GRM_BLOCK * n);
  const product = new Float64Array(n * n);
  const gemm = gemmBackend();
  let inBlock = 0;
  let kept = 0;
  const keptIds: string[] = [];
  const flush = (): void => {
    if (inBlock === 0) return;
    // GRM += Zbᵀ Zb, Zb the block's variants × samples: C = A·Bᵀ with A = B = Zbᵀ (samples × variants)
    const zt = new Float64Array(n * inBlock);
    for (let v = 0; v < inBlock; v++) for (let i = 0; i < n; i++) zt[i * inBlock + v] = block[v * n + i];
    gemm.gemmABt(zt, n, zt, n, inBlock, product);
    for (let i = 0; i < grm.length; i++) grm[i] += product[i];
    inBlock = 0;
  };
  const pruner = new LdPruner<string>(options.pruning, (id, d) => {
    let sum = 0;
    let obs = 0;
    for (let i = 0; i < n; i++)
      if (d[i] === d[i]) {
        sum += d[i];
        obs++;
      }
    const p = sum / (2 * obs);
    const sd = Math.sqrt(2 * p * (1 - p));
    const o = inBlock * n;
    for (let i = 0; i < n; i++) block[o + i] = d[i] === d[i] ? (d[i] - 2 * p) / sd : 0;
    keptIds.push(id);
    kept++;
    if (++inBlock === GRM_BLOCK) flush();
  });
  let read = 0;
  let passMaf = 0;
  let chr: string | undefined;
  const d = new Float64Array(n);
  const total = await reader.samples();
  for await (const b of reader.iterBlocks({ size: 4096 })) {
    const m = total.length;
    for (let v = 0; v < b.variants.id.length; v++) {
      read++;
      const c = canonicalChrom(b.variants.chr[v]);
      if (c !== chr) {
        if (chr !== undefined) pruner.finishChromosome();
        chr = c;
      }
      let sum = 0;
      let obs = 0;
      for (let i = 0; i < n; i++) {
        const x = b.dosages[v * m + sampleIndex[i]];
        d[i] = x;
        if (x === x) {
          sum += x;
          obs++;
        }
      }
      const af = obs > 0 ? sum / (2 * obs) : NaN;
      if (!(Math.min(af, 1 - af) >= options.mafMin) || !(af > 0 && af < 1)) continue;
      passMaf++;
      pruner.push(b.variants.pos[v], d, `${b.variants.chr[v]}:${b.variants.pos[v]}`);
    }
    onProgress?.(read);
  }
  pruner.finishChromosome();
  flush();
  const k = Math.min(options.pcs, n);
  if (kept > 0) for (let i = 0; i < grm.length; i++) grm[i] /= kept;
  let trace = 0;
  for (let i = 0; i < n; i++) trace += grm[i * n + i];
  const e = leadingEigen(grm, n, k);
  return {
    vectors: e.vectors,
    eigenvalues: e.values,
    trace,
    variants: { read, passMaf, kept, pruned: pruner.pruned },
    keptIds,
  };
}
