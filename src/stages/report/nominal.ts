/**
 * Streams the nominal tables (`cis_nominal/1`, one per chromosome) row group by row group, twice, holding only
 * bounded summaries: pass 1 fills the p-value sketch (QQ, λ_GC), the thinned Manhattan points and each
 * phenotype's smallest p; pass 2 finds the exact median p-value for λ_GC and collects the rows of the phenotypes
 * chosen for locus plots. Memory: one row group, the sketch, the kept points and the locus rows.
 */
import { InputError } from '../../io/errors.js';
import { openParquet, toFloat64, toInt32, toStrings } from '../../io/parquet.js';
import type { ParquetTable } from '../../io/parquet.js';
import type { Locus, VariantLocator } from './positions.js';
import { PValueSketch, minusLog10, thinOnGrid } from './stats.js';

export interface ManhattanPoint {
  chr: string;
  pos: number;
  /** −log10 p */
  y: number;
}

export interface LocusPoint {
  variantId: string;
  pos: number;
  y: number;
  p: number;
}

export interface NominalScan {
  files: string[];
  /** Files with no rows. */
  emptyFiles: string[];
  pairs: number;
  sketch: PValueSketch;
  lambda: number;
  medianP: number;
  /** λ_GC over the pairs of the truth's null genes (when a truth is given). */
  lambdaNull?: number;
  nullPairs?: number;
  manhattan: ManhattanPoint[];
  /** Pairs whose variant could not be placed (left out of the Manhattan plot). */
  unplaced: number;
  /** How the pairs' variants were placed (VariantLocator routes). */
  placedBy: { tss: number; id: number; genotypes: number };
  /** Per phenotype: the smallest p and its variant. */
  geneMin: Map<string, { p: number; variantId: string }>;
  /** Rows of the locus phenotypes, by phenotype (thinned beyond `locusPoints`). */
  loci: Map<string, { chr: string; points: LocusPoint[]; pairs: number }>;
}

/**
 * Thinned scatter over the genome: one point per cell of `binBp` bp × `yStep` −log10 p. When the cells exceed
 * the budget the bin width doubles and the kept points are re-binned, so the plot keeps the shape of every
 * peak with a bounded number of marks however many pairs there are.
 */
class GenomeGrid {
  private cells = new Map<string, ManhattanPoint>();
  private binBp = 1000;

  constructor(
    private readonly budget: number,
    private readonly yStep: number,
  ) {}

  add(p: ManhattanPoint): void {
    const key = `${p.chr}\t${Math.floor(p.pos / this.binBp)}\t${Math.floor(p.y / this.yStep)}`;
    if (this.cells.has(key)) return;
    this.cells.set(key, p);
    while (this.cells.size > this.budget) {
      this.binBp *= 2;
      const old = [...this.cells.values()];
      this.cells = new Map();
      for (const q of old) {
        const k = `${q.chr}\t${Math.floor(q.pos / this.binBp)}\t${Math.floor(q.y / this.yStep)}`;
        if (!this.cells.has(k)) this.cells.set(k, q);
      }
    }
  }

  points(): ManhattanPoint[] {
    return [...this.cells.values()];
  }
}

/** −log10 p above which Manhattan points are kept on a fine grid (p < 1e-3); the bulk below it is thinned harder. */
const SIGNIFICANT_Y = 3;

interface Batch {
  phenotypeId: string[];
  pval: Float64Array;
  variantId?: string[];
  startDistance?: Int32Array;
}

async function* rowGroups(
  t: ParquetTable,
  withVariants: boolean | ((phenotypeMin: unknown, phenotypeMax: unknown) => boolean),
): AsyncGenerator<Batch> {
  const stats = t.groupStats('phenotype_id');
  for (let g = 0; g < t.rowGroups.length; g++) {
    const { rowStart, rowEnd } = t.rowGroups[g];
    const needVariants =
      typeof withVariants === 'function'
        ? stats[g] === undefined || withVariants(stats[g]!.min, stats[g]!.max)
        : withVariants;
    yield {
      phenotypeId: toStrings(await t.columnRange('phenotype_id', rowStart, rowEnd)),
      pval: toFloat64(await t.columnRange('pval_nominal', rowStart, rowEnd)),
      variantId: needVariants ? toStrings(await t.columnRange('variant_id', rowStart, rowEnd)) : undefined,
      startDistance: needVariants
        ? toInt32(await t.columnRange('start_distance', rowStart, rowEnd))
        : undefined,
    };
  }
}

function checkP(p: number, file: string, row: number): void {
  if (!(p >= 0 && p <= 1) && !Number.isNaN(p))
    throw new InputError(`pval_nominal ${p} is not a probability`, {
      file,
      line: row + 1,
      column: 'pval_nominal',
      expected: 'a p-value in [0, 1] (NaN for an untested pair)',
    });
}

export interface NominalOptions {
  locator: VariantLocator;
  /** Marks in the Manhattan plot (kept points). */
  maxPoints: number;
  /** Points per locus plot beyond which a locus is thinned. */
  locusPoints: number;
  /** Phenotypes of the truth without causal variants: their pairs also get their own λ_GC. */
  nullGenes?: Set<string>;
  /** Picks the locus phenotypes after pass 1 (from the per-phenotype minima when there is no permutation table). */
  chooseLoci: (geneMin: Map<string, { p: number; variantId: string }>) => string[];
}

export async function scanNominal(files: string[], o: NominalOptions): Promise<NominalScan> {
  const sketch = new PValueSketch();
  const nullSketch = o.nullGenes ? new PValueSketch(0) : undefined;
  const significant = new GenomeGrid(Math.max(1, Math.round(o.maxPoints * 0.75)), 0.05);
  const bulk = new GenomeGrid(Math.max(1, Math.round(o.maxPoints * 0.25)), 0.25);
  const geneMin = new Map<string, { p: number; variantId: string }>();
  const emptyFiles: string[] = [];
  let unplaced = 0;
  let pairs = 0;
  const tables: ParquetTable[] = [];
  for (const file of files) {
    const t = await openParquet(file);
    tables.push(t);
    if (t.numRows === 0) emptyFiles.push(file);
    let row = 0;
    for await (const b of rowGroups(t, true)) {
      const n = b.pval.length;
      const where: (Locus | undefined)[] = new Array(n);
      let misses = 0;
      for (let i = 0; i < n; i++) {
        where[i] = o.locator.place(b.phenotypeId[i], b.variantId![i], b.startDistance![i]);
        if (!where[i]) misses++;
      }
      if (misses && o.locator.canUseGenotypes && !o.locator.genotypeIdsLoaded) {
        await o.locator.loadGenotypeIds();
        for (let i = 0; i < n; i++)
          if (!where[i]) where[i] = o.locator.place(undefined, b.variantId![i], undefined);
      }
      for (let i = 0; i < n; i++) {
        const p = b.pval[i];
        checkP(p, file, row + i);
        if (Number.isNaN(p)) continue;
        pairs++;
        sketch.add(p);
        if (nullSketch && o.nullGenes!.has(b.phenotypeId[i])) nullSketch.add(p);
        const m = geneMin.get(b.phenotypeId[i]);
        if (!m || p < m.p) geneMin.set(b.phenotypeId[i], { p, variantId: b.variantId![i] });
        const w = where[i];
        if (!w) {
          unplaced++;
          continue;
        }
        const y = minusLog10(p);
        (y >= SIGNIFICANT_Y ? significant : bulk).add({ chr: w.chr, pos: w.pos, y });
      }
      row += n;
    }
  }

  const placedBy = {
    tss: o.locator.placedBy.tss,
    id: o.locator.placedBy.id,
    genotypes: o.locator.placedBy.genotypes,
  };
  const loci = new Set(o.chooseLoci(geneMin));
  const median = sketch.medianPass();
  const nullMedian = nullSketch?.medianPass();
  const locusRows = new Map<string, { chr: string; points: LocusPoint[]; pairs: number }>();
  for (const t of tables) {
    const mayHoldLocus = (min: unknown, max: unknown) =>
      [...loci].some((id) => String(min) <= id && id <= String(max));
    for await (const b of rowGroups(t, mayHoldLocus)) {
      for (let i = 0; i < b.pval.length; i++) {
        const p = b.pval[i];
        if (Number.isNaN(p)) continue;
        median.add(p);
        if (nullMedian && o.nullGenes!.has(b.phenotypeId[i])) nullMedian.add(p);
        if (!b.variantId || !loci.has(b.phenotypeId[i])) continue;
        const w = o.locator.place(b.phenotypeId[i], b.variantId[i], b.startDistance![i]);
        if (!w) continue;
        let l = locusRows.get(b.phenotypeId[i]);
        if (!l) locusRows.set(b.phenotypeId[i], (l = { chr: w.chr, points: [], pairs: 0 }));
        l.pairs++;
        l.points.push({ variantId: b.variantId[i], pos: w.pos, y: minusLog10(p), p });
      }
    }
  }
  for (const l of locusRows.values())
    if (l.points.length > o.locusPoints)
      l.points = thinOnGrid(
        l.points.sort((a, b) => b.y - a.y), // the strongest variants are kept first
        (q) => q.pos,
        (q) => q.y,
        o.locusPoints,
      );

  return {
    files,
    emptyFiles,
    pairs,
    sketch,
    lambda: median.lambda(),
    medianP: median.medianP(),
    lambdaNull: nullMedian?.lambda(),
    nullPairs: nullSketch?.n,
    manhattan: [...significant.points(), ...bulk.points()],
    unplaced,
    placedBy,
    geneMin,
    loci: locusRows,
  };
}
