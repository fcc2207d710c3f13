/**
 * Where a variant of a result table lies. Result tables carry variant IDs and the distance to the phenotype's
 * TSS, not positions; the report places a variant, in this order, by
 *  1. the phenotype's TSS (from --phenotypes) + `start_distance` (exact: cis writes POS − (BED start + 1)),
 *  2. an ID that spells the position (`22:17511159`, `chr22:17511159:T:C`, GTEx `chr1_13550_G_A_b38`;
 *     cis names variants without an ID `chr:pos`),
 *  3. the genotype file (--genotypes): its variant IDs, read once and only when 1 and 2 leave variants unplaced.
 */
import { canonicalChrom } from '../../io/genome.js';
import { openGenotypes } from '../../io/genotypes/index.js';

export interface Locus {
  chr: string;
  pos: number;
}

const POSITION_ID = /^((?:chr)?[0-9A-Za-z]{1,5})[:_](\d+)(?:[:_].*)?$/;

/** The position an ID spells, if it does. */
export function positionFromId(id: string): Locus | undefined {
  const m = POSITION_ID.exec(id);
  if (!m) return undefined;
  const pos = Number(m[2]);
  return pos > 0 ? { chr: canonicalChrom(m[1]), pos } : undefined;
}

export class VariantLocator {
  private byId?: Map<string, Locus>;
  private loading?: Promise<void>;
  /** Variants placed by each route (for the summary). */
  readonly placedBy = { tss: 0, id: 0, genotypes: 0 };

  constructor(
    /** phenotype ID → chromosome and 1-based TSS. */
    private readonly tss?: Map<string, Locus>,
    private readonly genotypes?: string,
  ) {}

  get canUseGenotypes(): boolean {
    return this.genotypes !== undefined;
  }

  get genotypeIdsLoaded(): boolean {
    return this.byId !== undefined;
  }

  /** Synchronous placement by routes 1–2 (and 3 once loaded); undefined when none applies. */
  place(phenotypeId: string | undefined, variantId: string, startDistance?: number): Locus | undefined {
    if (phenotypeId !== undefined && startDistance !== undefined && this.tss) {
      const t = this.tss.get(phenotypeId);
      if (t) {
        this.placedBy.tss++;
        return { chr: t.chr, pos: t.pos + startDistance };
      }
    }
    const fromId = positionFromId(variantId);
    if (fromId) {
      this.placedBy.id++;
      return fromId;
    }
    const g = this.byId?.get(variantId);
    if (g) {
      this.placedBy.genotypes++;
      return g;
    }
    return undefined;
  }

  /** Reads the genotype file's variant IDs (once), so `place` can use them. */
  async loadGenotypeIds(): Promise<void> {
    if (!this.genotypes || this.byId) return;
    this.loading ??= (async () => {
      const map = new Map<string, Locus>();
      const reader = await openGenotypes(this.genotypes!);
      try {
        for await (const block of reader.iterBlocks({ size: 4096 })) {
          const v = block.variants;
          for (let i = 0; i < v.id.length; i++) {
            const locus = { chr: canonicalChrom(v.chr[i]), pos: v.pos[i] };
            // cis names a variant without an ID `chr:pos`; the ID form is placed by route 2 already
            if (v.id[i] !== '.' && !map.has(v.id[i])) map.set(v.id[i], locus);
          }
        }
      } finally {
        await reader.close();
      }
      this.byId = map;
    })();
    await this.loading;
  }
}
