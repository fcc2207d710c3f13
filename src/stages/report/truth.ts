/**
 * The planted truth of a simulated cohort (the demo's `truth.tsv`): a header
 * `phenotype_id<TAB>causal_variants<TAB>effect_sizes`, then one line per gene; `causal_variants` and
 * `effect_sizes` are comma-separated and empty for a null gene.
 */
import { InputError } from '../../io/errors.js';
import { readLines } from '../../io/text.js';
import type { PlantedGene } from './stats.js';

const HEADER = ['phenotype_id', 'causal_variants', 'effect_sizes'];

function list(field: string): string[] {
  return field.trim() === '' ? [] : field.split(',').map((s) => s.trim());
}

export async function readTruth(file: string): Promise<PlantedGene[]> {
  const out: PlantedGene[] = [];
  const seen = new Map<string, number>();
  let header = true;
  for await (const { lineNo, text } of readLines(file)) {
    if (header) {
      const h = text.replace(/^#/, '').split('\t');
      if (HEADER.some((c, i) => h[i] !== c))
        throw new InputError('truth table header is not phenotype_id, causal_variants, effect_sizes', {
          file,
          line: lineNo,
          expected: HEADER.join('<TAB>'),
        });
      header = false;
      continue;
    }
    if (text.trim() === '') continue;
    const f = text.split('\t');
    if (f.length < 2 || f.length > 3)
      throw new InputError(`${f.length} tab-separated fields`, {
        file,
        line: lineNo,
        expected:
          '3 fields: phenotype_id, causal_variants, effect_sizes (the last two empty for a null gene)',
      });
    const id = f[0];
    if (id === '') throw new InputError('empty phenotype_id', { file, line: lineNo, column: 'phenotype_id' });
    if (seen.has(id))
      throw new InputError(`phenotype '${id}' is listed twice (first on line ${seen.get(id)})`, {
        file,
        line: lineNo,
        column: 'phenotype_id',
      });
    seen.set(id, lineNo);
    const causal = list(f[1]);
    const effectFields = list(f[2] ?? '');
    const effects = effectFields.map(Number);
    const bad = effectFields.findIndex((e, i) => e === '' || !Number.isFinite(effects[i]));
    if (bad >= 0)
      throw new InputError(`effect size '${effectFields[bad]}' is not a number`, {
        file,
        line: lineNo,
        column: 'effect_sizes',
      });
    if (effects.length !== causal.length && effects.length !== 0)
      throw new InputError(`${causal.length} causal variants but ${effects.length} effect sizes`, {
        file,
        line: lineNo,
        column: 'effect_sizes',
        expected: 'one effect size per causal variant, in the same order',
      });
    out.push({ phenotypeId: id, causal, effects });
  }
  if (header) throw new InputError('truth table is empty', { file, expected: HEADER.join('<TAB>') });
  return out;
}
