/**
 * The batches of cis pair-table rows a mapper emits (nominal and interaction tables), and a pair's test
 * statistics. Kept apart from the mapper so that the thread writing the pair tables loads only this.
 */
import { pvalFromR2 } from '../../stats/pvalue.js';

/**
 * The per-pair columns every cis pair table starts with (phenotype, variant, distance, allele statistics).
 * Phenotype and variant IDs are kept as codes into the batch's own lists of distinct IDs: a row costs a
 * number, a batch crossing a thread boundary carries each ID once, and the expanded columns refer to one
 * string object per ID (the Parquet writer's dictionary then hashes each ID once).
 */
export abstract class PairBatch {
  length = 0;
  /** Distinct phenotype and variant IDs of the batch, in order of first use. */
  readonly phenotypes: string[] = [];
  readonly variants: string[] = [];
  readonly phenotypeCode: Int32Array;
  readonly variantCode: Int32Array;
  readonly startDistance: Int32Array;
  readonly af: Float64Array;
  readonly maSamples: Int32Array;
  readonly maCount: Int32Array;
  // ID → code while the batch fills (dropped by `buffers`, before the batch is posted)
  private phenotypeIndex: Map<string, number> | undefined = new Map();
  private variantIndex: Map<string, number> | undefined = new Map();

  constructor(readonly capacity: number) {
    this.phenotypeCode = new Int32Array(capacity);
    this.variantCode = new Int32Array(capacity);
    this.startDistance = new Int32Array(capacity);
    this.af = new Float64Array(capacity);
    this.maSamples = new Int32Array(capacity);
    this.maCount = new Int32Array(capacity);
  }

  /** The code of a phenotype ID in this batch. */
  phenotype(id: string): number {
    let c = this.phenotypeIndex!.get(id);
    if (c === undefined) {
      c = this.phenotypes.push(id) - 1;
      this.phenotypeIndex!.set(id, c);
    }
    return c;
  }

  /** The code of a variant ID in this batch. */
  variant(id: string): number {
    let c = this.variantIndex!.get(id);
    if (c === undefined) {
      c = this.variants.push(id) - 1;
      this.variantIndex!.set(id, c);
    }
    return c;
  }

  /**
   * The buffers a transfer between threads can move instead of copying. The batch is complete once they are
   * asked for (its ID lookups are dropped, not sent).
   */
  buffers(): ArrayBuffer[] {
    this.phenotypeIndex = this.variantIndex = undefined;
    return this.ownBuffers().map((a) => a.buffer as ArrayBuffer);
  }

  protected ownBuffers(): (Int32Array | Float64Array)[] {
    return [this.phenotypeCode, this.variantCode, this.startDistance, this.af, this.maSamples, this.maCount];
  }

  /** Those columns, trimmed to the rows filled. */
  protected pairColumns(): [string[], string[], Int32Array, Float64Array, Int32Array, Int32Array] {
    const k = this.length;
    const phenotypeId = new Array<string>(k);
    const variantId = new Array<string>(k);
    for (let i = 0; i < k; i++) {
      phenotypeId[i] = this.phenotypes[this.phenotypeCode[i]];
      variantId[i] = this.variants[this.variantCode[i]];
    }
    return [
      phenotypeId,
      variantId,
      this.startDistance.subarray(0, k),
      this.af.subarray(0, k),
      this.maSamples.subarray(0, k),
      this.maCount.subarray(0, k),
    ];
  }
}

/**
 * A batch of rows of the interaction table (cis_interaction contract): the pair columns, and per row the
 * (p, b, se) triples of g, of each term i and of each product g·i, in that order (`effects` per row).
 */
export class InteractionBatch extends PairBatch {
  /** capacity × effects × 3 values: pval, b, b_se of each effect. */
  readonly stats: Float64Array;

  constructor(
    capacity: number,
    readonly effects: number,
  ) {
    super(capacity);
    this.stats = new Float64Array(capacity * effects * 3);
  }

  protected override ownBuffers(): (Int32Array | Float64Array)[] {
    return [...super.ownBuffers(), this.stats];
  }

  /** The columns in contract order (cisInteractionSpec), trimmed to the rows filled. */
  columns(): (string[] | Int32Array | Float64Array)[] {
    const k = this.length;
    const E = this.effects;
    const out: (string[] | Int32Array | Float64Array)[] = this.pairColumns();
    for (let e = 0; e < E; e++)
      for (let q = 0; q < 3; q++)
        out.push(Float64Array.from({ length: k }, (_, r) => this.stats[(r * E + e) * 3 + q]));
    return out;
  }
}

/**
 * A batch of rows of the nominal table (cis_nominal contract). The mapper fills each pair's correlation r of
 * the unit-norm residuals and the norms ‖ŷ‖, ‖ĝ‖ of the residuals; `columns()` turns them into pval_nominal,
 * slope and slope_se (the p-value is most of a pair's cost, so this runs on whichever thread writes the table).
 */
export class NominalBatch extends PairBatch {
  readonly r: Float64Array;
  readonly yNorm: Float64Array;
  readonly gNorm: Float64Array;

  constructor(
    capacity: number,
    /** Residual degrees of freedom of the test. */
    readonly dof: number,
  ) {
    super(capacity);
    this.r = new Float64Array(capacity);
    this.yNorm = new Float64Array(capacity);
    this.gNorm = new Float64Array(capacity);
  }

  /** The columns in contract order, trimmed to the rows filled. */
  columns(): [
    string[],
    string[],
    Int32Array,
    Float64Array,
    Int32Array,
    Int32Array,
    Float64Array,
    Float64Array,
    Float64Array,
  ] {
    const k = this.length;
    const pval = new Float64Array(k);
    const slope = new Float64Array(k);
    const slopeSe = new Float64Array(k);
    const dof = this.dof;
    for (let i = 0; i < k; i++) {
      const s = pairStatistics(this.r[i], this.yNorm[i], this.gNorm[i], dof);
      pval[i] = s.pval;
      slope[i] = s.slope;
      slopeSe[i] = s.slopeSe;
    }
    return [...this.pairColumns(), pval, slope, slopeSe];
  }

  protected override ownBuffers(): (Int32Array | Float64Array)[] {
    return [...super.ownBuffers(), this.r, this.yNorm, this.gNorm];
  }
}

/** A pair's test from the correlation r of the unit-norm residuals and the residual norms ‖ŷ‖ and ‖ĝ‖. */
export function pairStatistics(r: number, yNorm: number, gNorm: number, dof: number) {
  const r2 = Math.min(r * r, 1);
  const pval = pvalFromR2(r2, dof);
  const slope = (r * yNorm) / gNorm;
  const tStat = Math.sqrt((dof * r2) / (1 - r2));
  return { r2, pval, slope, slopeSe: Math.abs(slope) / tStat };
}

/** A batch as it crosses a thread boundary (structured clone keeps the fields, not the class). */
export type PairPayload =
  { kind: 'nominal'; batch: NominalBatch } | { kind: 'interaction'; batch: InteractionBatch };

/** The batch of a payload, its class restored. */
export function revivePayload(p: PairPayload): NominalBatch | InteractionBatch {
  return p.kind === 'nominal'
    ? (Object.setPrototypeOf(p.batch, NominalBatch.prototype) as NominalBatch)
    : (Object.setPrototypeOf(p.batch, InteractionBatch.prototype) as InteractionBatch);
}
