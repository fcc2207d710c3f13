/**
 * `coverage` stage: per-group coverage tracks from ATAC fragments, as snapATAC2 `ex.export_coverage` and
 * deepTools `bamCoverage` make them. Fragments stream in position order (10x files are sorted) and each
 * group's bins are written as soon as no later fragment can reach them, so memory is a few bins per group;
 * an unsorted file goes through an external sort in `tempdir`.
 *
 * Passes over the input: when a normalization needs each group's total (CPM, RPKM, BPM) a first pass counts
 * it (or, with a tempdir, the one text pass writes the filtered fragments to sorted run files and the
 * second pass reads those); the coverage pass then writes the tracks.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadZstd } from '../../io/bedgraph.js';
import type { TrackCompression } from '../../io/bedgraph.js';
import { zoomReductionsFor } from '../../io/bigwig.js';
import { InputError, usageError } from '../../io/errors.js';
import {
  FragmentReader,
  overlapsAny,
  readBedRegions,
  readChromSizes,
  readGroupTable,
  readRegionsArg,
} from '../../io/fragments.js';
import { canonicalChrom } from '../../io/genome.js';
import type { OutputSet } from '../../io/atomic.js';
import { FragmentSpill } from './spill.js';
import type { CountingStrategy } from './track.js';
import { scratchFiles, TrackSet, TrackWorkers } from './workers.js';
import type { TrackSetOptions } from './workers.js';

export type { CountingStrategy } from './track.js';
export type TrackFormat = 'bedgraph' | 'bigwig';
export type Normalization = 'RPKM' | 'CPM' | 'BPM' | 'none';
export type NormDenominator = 'fragments' | 'bases';

export interface CoverageOptions {
  fragments: string;
  groups: string;
  /** Groups to export (default: every group of the table). */
  selections?: string[];
  outDir: string;
  prefix: string;
  suffix: string;
  /** From the suffix when not given. */
  format?: TrackFormat;
  /** From the suffix when not given. */
  compression?: TrackCompression;
  compressionLevel?: number;
  binSize: number;
  blacklist?: string;
  normalization: Normalization;
  normDenominator: NormDenominator;
  includeForNorm?: string;
  excludeForNorm?: string;
  minFragLength?: number;
  maxFragLength?: number;
  strategy: CountingStrategy;
  smoothBase?: number;
  chromSizes?: string;
  tempdir?: string;
  /** Join book-ended bins of equal value (default true). */
  merge: boolean;
  /** Threads: the main thread parses, threads − 1 workers build the tracks (1: all in this thread). */
  threads?: number;
}

export interface CoverageContext {
  outputs: OutputSet;
  log: { info(msg: string): void; warn(msg: string): void };
}

export interface GroupReport {
  file: string;
  barcodes: number;
  fragments_in_file: number;
  too_short: number;
  too_long: number;
  blacklisted: number;
  fragments_counted: number;
  norm_denominator: number;
  scale_factor: number;
  intervals_written: number;
}

export interface CoverageResult {
  files: Record<string, string>;
  format: TrackFormat;
  compression: TrackCompression;
  groups: Record<string, GroupReport>;
  fragments_read: number;
  fragments_unassigned: number;
  sorted_input: boolean;
  chromosomes: string[];
}

const SUFFIXES: { re: RegExp; format: TrackFormat; compression: TrackCompression }[] = [
  { re: /\.(bw|bigwig)$/i, format: 'bigwig', compression: 'none' },
  { re: /\.(bedgraph|bdg|bg)\.gz$/i, format: 'bedgraph', compression: 'gzip' },
  { re: /\.(bedgraph|bdg|bg)\.zst$/i, format: 'bedgraph', compression: 'zstd' },
  { re: /\.(bedgraph|bdg|bg)$/i, format: 'bedgraph', compression: 'none' },
];

/**
 * Output format and compression from the suffix, checked against explicit choices: `.bw`/`.bigwig`,
 * `.bedgraph`/`.bdg`/`.bg` with an optional `.gz` or `.zst`.
 */
export function resolveTrackFormat(
  suffix: string,
  format?: TrackFormat,
  compression?: TrackCompression,
): { format: TrackFormat; compression: TrackCompression } {
  const m = SUFFIXES.find((s) => s.re.test(suffix));
  if (!m)
    throw usageError(
      `--suffix '${suffix}' names no track format`,
      'Use .bw (bigWig), .bedgraph, .bedgraph.gz or .bedgraph.zst',
    );
  if (format && format !== m.format)
    throw usageError(
      `--suffix '${suffix}' is a ${m.format === 'bigwig' ? 'bigWig' : 'bedGraph'} name but --output-format is ${format}`,
      format === 'bedgraph'
        ? 'Give a bedGraph suffix (--suffix .bedgraph, .bedgraph.gz or .bedgraph.zst) or drop --output-format'
        : 'Give --suffix .bw or drop --output-format',
    );
  if (compression && m.format === 'bigwig' && compression !== 'none')
    throw usageError('--compression applies to bedGraph output only (bigWig sections are always zlib-compressed)');
  if (compression && m.format === 'bedgraph' && compression !== m.compression)
    throw usageError(
      `--suffix '${suffix}' implies ${m.compression === 'none' ? 'no compression' : m.compression} but --compression is ${compression}`,
      `Use a suffix ending in ${compression === 'gzip' ? '.gz' : compression === 'zstd' ? '.zst' : 'no compression extension'}`,
    );
  return { format: m.format, compression: m.compression };
}

interface GroupStats {
  inFile: number;
  tooShort: number;
  tooLong: number;
  blacklisted: number;
  counted: number;
  /** Counted units (fragments or insertion sites) in the normalization regions. */
  units: number;
  /** Bases of those units. */
  bases: number;
  /** Bin increments of every counted unit (BPM: the sum of all bin values). */
  bins: number;
}

/** Group names become file names: '/' is replaced by '+' (as snapATAC2 did); names that cannot be files fail. */
function fileNameFor(group: string, prefix: string, suffix: string): string {
  const name = prefix + group.replace(/\//g, '+') + suffix;
  if (name === '.' || name === '..' || /[\0]/.test(name))
    throw new InputError(`group '${group}' cannot be used in a file name`, { hint: 'Rename the group' });
  return name;
}

/** Runs the stage; throws InputError on bad input (nothing is left behind: outputs are claimed temporaries). */
export async function exportCoverage(o: CoverageOptions, ctx: CoverageContext): Promise<CoverageResult> {
  const { log } = ctx;
  const { format, compression } = resolveTrackFormat(o.suffix, o.format, o.compression);
  if (!(Number.isInteger(o.binSize) && o.binSize >= 1)) throw usageError('--bin-size must be a positive integer');
  if (format === 'bigwig' && !o.chromSizes)
    throw usageError('bigWig output needs --chrom-sizes', 'Give a UCSC chrom.sizes file (name<TAB>size) of the genome build');
  if (o.minFragLength !== undefined && o.maxFragLength !== undefined && o.minFragLength > o.maxFragLength)
    throw usageError('--min-frag-length is larger than --max-frag-length');
  if (compression === 'zstd') await loadZstd();

  const table = await readGroupTable(o.groups);
  let selected: number[];
  if (o.selections && o.selections.length) {
    const index = new Map(table.groups.map((g, i) => [g, i]));
    selected = o.selections.map((s) => {
      const g = index.get(s);
      if (g === undefined)
        throw new InputError(`group '${s}' of --selections is not in the groups table`, {
          file: o.groups,
          hint: `The table has ${table.groups.length} groups: ${table.groups.slice(0, 10).join(', ')}${table.groups.length > 10 ? ', …' : ''}`,
        });
      return g;
    });
    if (new Set(selected).size !== selected.length) throw usageError('--selections names a group twice');
  } else selected = table.groups.map((_, i) => i);
  const groupNames = selected.map((g) => table.groups[g]);
  const selIndex = new Int32Array(table.groups.length).fill(-1);
  selected.forEach((g, i) => (selIndex[g] = i));
  const barcodeSel = new Map<string, number>();
  for (const [bc, g] of table.barcodeGroup) if (selIndex[g] >= 0) barcodeSel.set(bc, selIndex[g]);

  const sizes = o.chromSizes ? await readChromSizes(o.chromSizes) : undefined;
  const blacklist = o.blacklist ? await readBedRegions(o.blacklist, 'blacklist BED') : undefined;
  const include = o.includeForNorm ? await readRegionsArg(o.includeForNorm, '--include-for-norm') : undefined;
  const exclude = o.excludeForNorm ? await readRegionsArg(o.excludeForNorm, '--exclude-for-norm') : undefined;

  const fileNames = groupNames.map((g) => fileNameFor(g, o.prefix, o.suffix));
  const seenNames = new Map<string, string>();
  groupNames.forEach((g, i) => {
    const other = seenNames.get(fileNames[i]);
    if (other !== undefined)
      throw new InputError(`groups '${other}' and '${g}' would both be written to ${fileNames[i]}`, {
        file: o.groups,
        hint: "'/' in group names becomes '+': rename one of the groups",
      });
    seenNames.set(fileNames[i], g);
  });
  mkdirSync(o.outDir, { recursive: true });
  const paths = fileNames.map((f) => join(o.outDir, f));

  // chromosomes: size and sort rank by reader id, resolved at first sight
  const canonicalSizes = new Map<string, string>();
  if (sizes) for (const name of sizes.keys()) canonicalSizes.set(canonicalChrom(name), name);
  const sizeNames = sizes ? [...sizes.keys()] : [];
  const sizeRank = new Map(sizeNames.map((n, i) => [n, i]));
  const chromSize: number[] = [];
  const chromOut: string[] = [];
  const chromRank: number[] = [];
  const resolveChrom = (id: number, name: string, line: number): void => {
    if (!sizes) {
      chromSize[id] = Infinity;
      chromOut[id] = name;
      chromRank[id] = id;
      return;
    }
    const sizeName = sizes.has(name) ? name : canonicalSizes.get(canonicalChrom(name));
    if (sizeName === undefined)
      throw new InputError(`chromosome '${name}' is not in --chrom-sizes`, {
        file: o.fragments,
        line,
        column: 1,
        hint: `${o.chromSizes} lists ${sizeNames.slice(0, 5).join(', ')}${sizeNames.length > 5 ? ', …' : ''}: use the sizes of the genome build the fragments were aligned to`,
      });
    chromSize[id] = sizes.get(sizeName)!;
    chromOut[id] = sizeName;
    chromRank[id] = sizeRank.get(sizeName)!;
  };

  const stats: GroupStats[] = selected.map(() => ({
    inFile: 0,
    tooShort: 0,
    tooLong: 0,
    blacklisted: 0,
    counted: 0,
    units: 0,
    bases: 0,
    bins: 0,
  }));
  const minLen = o.minFragLength ?? 0;
  const maxLen = o.maxFragLength ?? Infinity;
  const insertion = o.strategy === 'insertion';
  const binSize = o.binSize;
  let rowsRead = 0;
  let unassigned = 0;
  let sortedInput = true;

  /** Normalization bookkeeping for one counted fragment. */
  const countUnits = (st: GroupStats, name: string, s: number, e: number): void => {
    const inc = include?.chrom(name);
    const exc = exclude?.chrom(name);
    if (insertion) {
      for (const p of [s, e - 1]) {
        if ((include && !overlapsAny(inc, p, p + 1)) || overlapsAny(exc, p, p + 1)) continue;
        st.units++;
        st.bases++;
        st.bins++;
      }
    } else {
      if ((include && !overlapsAny(inc, s, e)) || overlapsAny(exc, s, e)) return;
      st.units++;
      st.bases += e - s;
      st.bins += Math.floor((e - 1) / binSize) - Math.floor(s / binSize) + 1;
    }
  };

  /**
   * One pass over the text: validates every row (sorted unless spilling, inside the chromosome), applies the
   * group, length and blacklist filters, and calls `kept` for each counted fragment.
   */
  const scanText = async (
    countStats: boolean,
    spilling: boolean,
    kept: (chrom: number, s: number, e: number, g: number) => void,
    afterBatch?: () => Promise<void>,
  ): Promise<void> => {
    const reader = new FragmentReader(o.fragments, barcodeSel);
    let prevChrom = -1;
    let prevStart = 0;
    const finished = new Set<number>();
    let resolved = 0;
    for await (const b of reader.batches()) {
      for (let i = 0; i < b.count; i++) {
        const c = b.chrom[i];
        const s = b.start[i];
        const e = b.end[i];
        if (c >= resolved) {
          resolveChrom(c, reader.chroms[c], b.line[i]);
          resolved = c + 1;
        }
        if (e > chromSize[c])
          throw new InputError(
            `fragment ${reader.chroms[c]}:${s}-${e} ends beyond the chromosome end (${chromSize[c]})`,
            {
              file: o.fragments,
              line: b.line[i],
              column: 3,
              hint: `Check that --chrom-sizes (${o.chromSizes}) is the genome build of the fragments`,
            },
          );
        if (c === prevChrom ? s < prevStart : finished.has(c)) {
          if (!spilling)
            throw new InputError(
              c === prevChrom
                ? `fragments are not sorted: start ${s} comes after ${prevStart} on ${reader.chroms[c]}`
                : `fragments are not sorted: chromosome ${reader.chroms[c]} appears again after ${reader.chroms[prevChrom]}`,
              {
                file: o.fragments,
                line: b.line[i],
                expected: 'rows sorted by chromosome, then start (as 10x and ArchR write them)',
                hint: 'Sort the file (zcat F | sort -k1,1 -k2,2n | bgzip > sorted.tsv.gz), or give --tempdir DIR to have the stage sort it externally',
              },
            );
          sortedInput = false;
        }
        if (c !== prevChrom) {
          if (prevChrom >= 0) finished.add(prevChrom);
          prevChrom = c;
        }
        prevStart = s;
        const g = b.barcode[i];
        if (g < 0) {
          if (countStats) unassigned++;
          continue;
        }
        const st = stats[g];
        const len = e - s;
        if (countStats) st.inFile++;
        if (len < minLen) {
          if (countStats) st.tooShort++;
          continue;
        }
        if (len > maxLen) {
          if (countStats) st.tooLong++;
          continue;
        }
        if (blacklist && overlapsAny(blacklist.chrom(chromOut[c]), s, e)) {
          if (countStats) st.blacklisted++;
          continue;
        }
        if (countStats) {
          st.counted++;
          countUnits(st, chromOut[c], s, e);
        }
        kept(c, s, e, g);
      }
      if (afterBatch) await afterBatch();
    }
    rowsRead = reader.rows;
    if (reader.rows === 0)
      throw new InputError('fragment file has no fragment rows', {
        file: o.fragments,
        expected: 'chrom<TAB>start<TAB>end<TAB>barcode[<TAB>count] rows',
      });
  };

  const needTotals = o.normalization !== 'none';
  const spill = o.tempdir ? new FragmentSpill(o.tempdir) : undefined;
  const checkGroups = (): void => {
    const empty = stats.map((s, i) => [s, i] as const).filter(([s]) => s.inFile === 0);
    if (empty.length)
      throw new InputError(
        `${empty.length === 1 ? 'group' : 'groups'} ${empty.map(([, i]) => `'${groupNames[i]}'`).join(', ')} ${empty.length === 1 ? 'has' : 'have'} no fragments in the fragment file`,
        {
          file: o.groups,
          hint: `None of ${empty.length === 1 ? 'its' : 'their'} barcodes (e.g. '${[...table.barcodeGroup].find(([, g]) => g === selected[empty[0][1]])?.[0]}') occurs in ${o.fragments}: check barcode suffixes such as '-1', or leave the group out with --selections`,
        },
      );
    const filtered = stats.map((s, i) => [s, i] as const).filter(([s]) => s.counted === 0);
    if (filtered.length)
      throw new InputError(
        `every fragment of group '${groupNames[filtered[0][1]]}' was removed by the filters (${filtered[0][0].tooShort} too short, ${filtered[0][0].tooLong} too long, ${filtered[0][0].blacklisted} in the blacklist)`,
        { file: o.fragments, hint: 'Relax --min-frag-length/--max-frag-length or check the blacklist' },
      );
  };

  try {
    let totalsDone = false;
    if (needTotals || spill) {
      await scanText(true, spill !== undefined, (c, s, e, g) => spill?.add(chromRank[c], s, e, g));
      totalsDone = true;
      checkGroups();
      if (spill) log.info(`${spill.records} fragments kept; input ${sortedInput ? 'was sorted' : 'sorted externally'}`);
    }
    const scales = stats.map((st, i) => {
      if (!needTotals) return 1;
      const denom =
        o.normalization === 'BPM' ? st.bins : o.normDenominator === 'bases' ? st.bases : st.units;
      if (denom === 0)
        throw new InputError(
          `group '${groupNames[i]}' has no counted fragment in the normalization regions, so ${o.normalization} is undefined`,
          { hint: 'Check --include-for-norm / --exclude-for-norm' },
        );
      // deepTools / snapATAC2: RPKM = count / (N · binSize / 1e9), CPM = count / (N / 1e6), BPM = count / (Σ bins / 1e6)
      return o.normalization === 'RPKM' ? (denom * binSize) / 1e9 : denom / 1e6;
    });

    // tracks: claimed temporaries, renamed by the caller when the stage succeeds
    const chromList = sizes ? [...sizes].map(([name, size]) => ({ name, size })) : [];
    const setOptions: TrackSetOptions = {
      format,
      compression,
      compressionLevel: o.compressionLevel,
      binSize,
      strategy: o.strategy,
      merge: o.merge,
      smoothBase: o.smoothBase,
      chromList,
      zoomReductions: zoomReductionsFor(binSize, Math.max(1, ...chromList.map((c) => c.size))),
    };
    const specs = paths.map((p, i) => ({ path: ctx.outputs.claim(p), scale: scales[i] }));
    const chroms = { names: chromOut, sizes: chromSize };
    // the main thread parses; with more threads, workers build the groups' tracks
    const nWorkers = Math.min((o.threads ?? 1) - 1, specs.length);
    const tracks = nWorkers >= 1 ? new TrackWorkers(specs, setOptions, nWorkers) : new TrackSet(specs, setOptions);
    if (nWorkers >= 1) log.info(`${specs.length} tracks built in ${nWorkers} worker thread(s)`);
    try {
      if (spill) {
        const idOfRank = new Map<number, number>();
        chromRank.forEach((r, id) => idOfRank.set(r, id));
        for await (const b of spill.sortedBatches()) {
          for (let i = 0; i < b.count; i++)
            tracks.add(idOfRank.get(b.rank[i])!, b.start[i], b.end[i], b.group[i], chroms);
          await tracks.drain(chroms);
        }
      } else {
        await scanText(
          !totalsDone,
          false,
          (c, s, e, g) => tracks.add(c, s, e, g, chroms),
          () => tracks.drain(chroms),
        );
        if (!totalsDone) checkGroups();
      }
      const records = await tracks.close(chroms);
      const files: Record<string, string> = {};
      const groups: Record<string, GroupReport> = {};
      groupNames.forEach((g, i) => {
        files[g] = paths[i];
        const st = stats[i];
        groups[g] = {
          file: paths[i],
          barcodes: table.barcodesPerGroup[selected[i]],
          fragments_in_file: st.inFile,
          too_short: st.tooShort,
          too_long: st.tooLong,
          blacklisted: st.blacklisted,
          fragments_counted: st.counted,
          norm_denominator:
            o.normalization === 'none'
              ? 0
              : o.normalization === 'BPM'
                ? st.bins
                : o.normDenominator === 'bases'
                  ? st.bases
                  : st.units,
          scale_factor: scales[i],
          intervals_written: records[i],
        };
      });
      return {
        files,
        format,
        compression,
        groups,
        fragments_read: rowsRead,
        fragments_unassigned: unassigned,
        sorted_input: sortedInput,
        chromosomes: chromOut.filter((c) => c !== undefined),
      };
    } catch (e) {
      tracks.abort();
      for (const sp of specs) for (const f of scratchFiles(sp, setOptions)) rmSync(f, { force: true });
      throw e;
    }
  } finally {
    spill?.remove();
  }
}

