import { openGenotypes } from './dist/src/io/genotypes/index.js';
import { region } from './dist/src/io/genotypes/filters.js';
const f = '/work/shared/data/geuvadis_chr22/1kg_phase1_chr22_seqarray_geuvadis330.vcf.gz';
let sum = 0;
for (let k = 0; k < 5; k++) {
  const r = await openGenotypes(f); await r.samples();
  const t = process.hrtime.bigint(); let n = 0;
  for (let s = 16_000_001; s < 52_000_000; s += 1_000_000) for await (const b of r.iterRegions([region(`22:${s}-${s + 999_999}`)])) { n += b.variants.pos.length; for (let i = 0; i < b.dosages.length; i += 97) sum += b.dosages[i] || 0; }
  console.log(n, 'variants', Number(process.hrtime.bigint() - t) / 1e6, 'ms', sum);
}
