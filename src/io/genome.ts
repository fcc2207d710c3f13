/**
 * Chromosome naming. Users' files disagree on `chr22` vs `22` (UCSC vs Ensembl style), and on `chrM`
 * vs `MT`; every comparison goes through `canonicalChrom`, and output order through `compareChrom`.
 */
export function canonicalChrom(name: string): string {
  const n = name.replace(/^chr/i, '');
  if (n === 'M' || n === 'm' || n.toUpperCase() === 'MT') return 'MT';
  return n;
}

function chromRank(name: string): [number, string] {
  const c = canonicalChrom(name);
  if (/^\d+$/.test(c)) return [Number(c), ''];
  const fixed: Record<string, number> = { X: 1001, Y: 1002, XY: 1003, MT: 1004 };
  if (c.toUpperCase() in fixed) return [fixed[c.toUpperCase()], ''];
  return [2000, c];
}

/** Natural chromosome order: 1..22, X, Y, XY, MT, then the rest alphabetically. */
export function compareChrom(a: string, b: string): number {
  const [ra, sa] = chromRank(a);
  const [rb, sb] = chromRank(b);
  if (ra !== rb) return ra - rb;
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}
