/**
 * Expression by genotype: a phenotype's values (as in the phenotype file) grouped by the lead variant's hard
 * call (ALT dosage rounded to 0/1/2), for the samples present in both the phenotypes and the genotypes.
 */
import { InputError } from '../../io/errors.js';
import { openGenotypes, region } from '../../io/genotypes/index.js';
import type { ExpressionInput } from '../../io/matrix.js';
import type { Locus } from './positions.js';

export interface GenotypePanel {
  phenotypeId: string;
  variantId: string;
  ref: string;
  alt: string;
  /** One point per sample with a called genotype. */
  points: { sample: string; genotype: 0 | 1 | 2; value: number }[];
  /** Samples whose genotype is missing. */
  missing: number;
}

export interface LeadVariant {
  phenotypeId: string;
  variantId: string;
  locus: Locus;
}

/** Reads the lead variants' dosages (one region query each) and pairs them with the phenotype values. */
export async function expressionByGenotype(
  genotypes: string,
  phenotypes: ExpressionInput,
  leads: LeadVariant[],
): Promise<{ panels: GenotypePanel[]; notFound: LeadVariant[] }> {
  const reader = await openGenotypes(genotypes);
  try {
    const gSamples = await reader.samples();
    const gIndex = new Map(gSamples.map((s, i) => [s, i]));
    const shared = phenotypes.samples
      .map((s, j) => [s, j, gIndex.get(s)] as const)
      .filter(([, , g]) => g !== undefined);
    if (shared.length === 0)
      throw new InputError('the phenotypes and genotypes share no sample', {
        file: genotypes,
        hint: `The phenotypes have ${phenotypes.samples.slice(0, 3).join(', ')}…, the genotypes ${gSamples.slice(0, 3).join(', ')}…`,
      });
    const row = new Map(phenotypes.phenotypeId.map((id, i) => [id, i]));
    const nS = phenotypes.samples.length;
    const panels: GenotypePanel[] = [];
    const notFound: LeadVariant[] = [];
    const blocks = reader.iterRegions(
      leads.map((l) => region(`${l.locus.chr}:${l.locus.pos}-${l.locus.pos}`)),
    );
    for (const lead of leads) {
      const { value: block } = await blocks.next();
      const r = row.get(lead.phenotypeId);
      const v = block?.variants;
      // the variant by its ID; cis names a variant without ID `chr:pos`
      const k = v ? v.id.findIndex((id: string) => id === lead.variantId) : -1;
      const unnamed =
        v && k < 0 ? v.id.findIndex((id: string) => id === '.' && /[:_]\d+$/.test(lead.variantId)) : -1;
      const at = k >= 0 ? k : unnamed;
      if (!block || at < 0 || r === undefined) {
        notFound.push(lead);
        continue;
      }
      const d = block.dosages.subarray(at * block.nSamples, (at + 1) * block.nSamples);
      const points: GenotypePanel['points'] = [];
      let missing = 0;
      for (const [sample, j, g] of shared) {
        const dose = d[g!];
        if (Number.isNaN(dose)) {
          missing++;
          continue;
        }
        const call = Math.min(2, Math.max(0, Math.round(dose))) as 0 | 1 | 2;
        points.push({ sample, genotype: call, value: phenotypes.values[r * nS + j] });
      }
      panels.push({
        phenotypeId: lead.phenotypeId,
        variantId: lead.variantId,
        ref: v!.ref[at],
        alt: v!.alt[at],
        points,
        missing,
      });
    }
    await blocks.return(undefined);
    return { panels, notFound };
  } finally {
    await reader.close();
  }
}
