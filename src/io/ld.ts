/**
 * LD (signed Pearson r between variants) for summary-statistics fine-mapping: read from a square matrix file
 * (TSV/CSV(.gz): a header of variant IDs, then one row per variant starting with its ID, as coloc's test data
 * and `plink --r square` with IDs added), or computed from a genotype file (a reference panel, or the study's
 * own genotypes for in-sample LD) over the variants that match the summary statistics. The matrix is oriented
 * to the summary statistics' effect alleles: a panel variant with the alleles the other way round has its
 * dosage negated.
 */
import { InputError } from './errors.js';
import { canonicalChrom } from './genome.js';
import { openGenotypes } from './genotypes/index.js';
import { region } from './genotypes/filters.js';
import type { Filter } from './genotypes/filters.js';
import { readLines } from './text.js';
import { alleleMatch, hasAlleles, hasPositions } from './variants.js';
import type { VariantList } from './variants.js';
import { portableGemm } from '../linalg/gemm.js';

export interface LdMatrix {
  /** Indices (into the requested variants) of the rows and columns, in request order. */
  rows: number[];
  /** rows.length² values, row-major. */
  r: Float64Array;
  /** Requested variants the LD source does not have. */
  missing: number;
  /** Requested variants found but constant in the panel (no correlation defined). */
  monomorphic: number;
  /** Matched panel variants whose alleles are swapped relative to the request (their dosage was negated). */
  flipped: number;
}

const SPLIT = (line: string) =>
  line.includes('\t') ? line.split('\t') : line.includes(',') ? line.split(',') : line.trim().split(/\s+/);

/** Reads a square LD matrix file and returns the sub-matrix of the requested IDs (absent IDs are reported). */
export async function readLdMatrix(file: string, ids: string[]): Promise<LdMatrix> {
  let header: string[] | undefined;
  const rowIds: string[] = [];
  const rows: Float64Array[] = [];
  let lineOfRow: number[] = [];
  for await (const { lineNo, text } of readLines(file)) {
    if (text.trim() === '') continue;
    const f = SPLIT(text);
    if (!header) {
      header = f;
      continue;
    }
    rowIds.push(f[0]);
    lineOfRow.push(lineNo);
    const v = new Float64Array(f.length - 1);
    for (let j = 1; j < f.length; j++) {
      const x = Number(f[j]);
      if (!(Math.abs(x) <= 1 + 1e-6))
        throw new InputError(`LD value '${f[j]}' is not a correlation`, {
          file,
          line: lineNo,
          column: j + 1,
          expected: 'a number in [−1, 1]',
        });
      v[j - 1] = x;
    }
    rows.push(v);
  }
  if (!header) throw new InputError('LD matrix file is empty', { file, expected: 'a header of variant IDs' });
  // a header with one cell more than the rows have values names the ID column
  const colIds = header.length === rows.length + 1 ? header.slice(1) : header;
  if (colIds.length !== rows.length || rows.some((r) => r.length !== colIds.length))
    throw new InputError(`LD matrix is not square: ${rows.length} rows, ${colIds.length} columns`, {
      file,
      expected: 'a header of n variant IDs, then n rows of (ID, n values)',
    });
  const colIndex = new Map(colIds.map((id, j) => [id, j]));
  rowIds.forEach((id, i) => {
    if (colIndex.get(id) !== i)
      throw new InputError(`row ${i + 1} is variant '${id}' but column ${i + 1} is '${colIds[i]}'`, {
        file,
        line: lineOfRow[i],
        expected: 'rows in the order of the header',
      });
    if (Math.abs(rows[i][i] - 1) > 1e-4)
      throw new InputError(`diagonal element of '${id}' is ${rows[i][i]}, not 1`, {
        file,
        line: lineOfRow[i],
        expected: 'a correlation matrix (1 on the diagonal)',
      });
  });
  lineOfRow = [];
  const found: number[] = [];
  const at: number[] = [];
  ids.forEach((id, k) => {
    const j = colIndex.get(id);
    if (j !== undefined) {
      found.push(k);
      at.push(j);
    }
  });
  const m = found.length;
  const r = new Float64Array(m * m);
  for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) r[a * m + b] = rows[at[a]][at[b]];
  return { rows: found, r, missing: ids.length - m, monomorphic: 0, flipped: 0 };
}

/**
 * LD from a genotype file over the requested variants: matched by chromosome, position and alleles when the
 * request has them (either allele order and strand), else by ID. Missing calls are mean-imputed; `samples`
 * restricts the panel to those sample IDs (default: all).
 */
export async function ldFromGenotypes(
  file: string,
  want: VariantList,
  samples?: string[],
): Promise<LdMatrix> {
  const reader = await openGenotypes(file);
  try {
    const all = await reader.samples();
    let pick: Int32Array;
    if (samples) {
      const idx = new Map(all.map((s, i) => [s, i]));
      pick = Int32Array.from(samples.filter((s) => idx.has(s)).map((s) => idx.get(s)!));
    } else pick = Int32Array.from(all.keys());
    const n = pick.length;
    if (n < 3)
      throw new InputError(`only ${n} samples to compute LD from`, {
        file,
        expected: 'a genotype panel of ≥ 3 samples',
      });
    const byPos = hasPositions(want);
    const key = (chr: string, pos: number) => `${canonicalChrom(chr)}:${pos}`;
    const index = new Map<string, number[]>();
    want.id.forEach((id, k) => {
      const kk = byPos ? key(want.chr![k], want.pos![k]) : id;
      const list = index.get(kk);
      if (list) list.push(k);
      else index.set(kk, [k]);
    });
    const withAlleles = hasAlleles(want);
    const rowOf = new Map<number, Float64Array>();
    let flipped = 0;
    let monomorphic = 0;
    const filter: Filter | undefined = byPos ? regionsOf(want) : undefined;
    const blocks = filter ? reader.iterRegions([filter]) : reader.iterBlocks({ size: 4096 });
    for await (const block of blocks) {
      const N = block.nSamples;
      const vt = block.variants;
      for (let v = 0; v < vt.pos.length; v++) {
        const cands = index.get(byPos ? key(vt.chr[v], vt.pos[v]) : vt.id[v]);
        if (!cands) continue;
        for (const k of cands) {
          if (rowOf.has(k)) continue;
          let sign = 1;
          if (withAlleles && vt.ref[v] !== undefined) {
            const m = alleleMatch(
              want.ref![k],
              want.alt![k],
              vt.ref[v].toUpperCase(),
              vt.alt[v].toUpperCase(),
            );
            if (m === 'mismatch') continue;
            if (m === 'swap' || m === 'strand_swap') sign = -1;
          }
          const d = block.dosages.subarray(v * N, (v + 1) * N);
          const x = new Float64Array(n);
          let s = 0;
          let c = 0;
          for (let i = 0; i < n; i++) {
            const g = d[pick[i]];
            x[i] = g;
            if (!Number.isNaN(g)) {
              s += g;
              c++;
            }
          }
          const mean = c ? s / c : 0;
          let ss = 0;
          for (let i = 0; i < n; i++) {
            const g = Number.isNaN(x[i]) ? 0 : x[i] - mean;
            x[i] = g;
            ss += g * g;
          }
          if (!(ss > 0)) {
            monomorphic++;
            rowOf.set(k, new Float64Array(0));
            break;
          }
          const inv = sign / Math.sqrt(ss);
          for (let i = 0; i < n; i++) x[i] *= inv;
          if (sign < 0) flipped++;
          rowOf.set(k, x);
          break;
        }
      }
    }
    const found = [...rowOf.entries()]
      .filter(([, x]) => x.length > 0)
      .map(([k]) => k)
      .sort((a, b) => a - b);
    const m = found.length;
    const g = new Float64Array(m * n);
    found.forEach((k, a) => g.set(rowOf.get(k)!, a * n));
    const r = new Float64Array(m * m);
    portableGemm.gemmABt(g, m, g, m, n, r);
    for (let a = 0; a < m; a++) r[a * m + a] = 1;
    return { rows: found, r, missing: want.id.length - rowOf.size, monomorphic, flipped };
  } finally {
    await reader.close();
  }
}

/** One region per chromosome spanning the requested positions. */
function regionsOf(want: VariantList): Filter {
  const span = new Map<string, [number, number]>();
  want.chr!.forEach((c, k) => {
    const p = want.pos![k];
    const s = span.get(canonicalChrom(c));
    if (!s) span.set(canonicalChrom(c), [p, p]);
    else {
      s[0] = Math.min(s[0], p);
      s[1] = Math.max(s[1], p);
    }
  });
  return region(...[...span].map(([c, [a, b]]) => `${c}:${a}-${b}`));
}
