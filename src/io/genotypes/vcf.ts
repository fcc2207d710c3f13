/**
 * VCF reader (plain, gzip or BGZF; region queries through a tabix .tbi index read here (src/io/tabix.ts), or a
 * .csi index with @gmod/tabix).
 * Dosages are the FORMAT/DS value when the record has one, else the count of non-reference alleles in GT
 * (phased or unphased; a haploid call counts 0/1). The per-sample field decoding is hand-written: it runs for
 * every genotype of the file and a general VCF parser allocates an object per sample.
 */
import { existsSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import { bgzfRangePieces } from '../bgzf.js';
import { InputError } from '../errors.js';
import { TabixIndexReader } from '../tabix.js';
import { canonicalChrom } from '../genome.js';
import { readLineBatches, readLines } from '../text.js';
import { all, inRegions } from './filters.js';
import type { Filter, Region } from './filters.js';
import { BlockBuilder } from './types.js';
import type { GenotypeBlock, GenotypeReader } from './types.js';

/** True when the file is BGZF (gzip members with the 'BC' extra subfield), which tabix needs. */
export function isBgzf(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(16);
    const n = readSync(fd, b, 0, 16, 0);
    return n >= 16 && b[0] === 0x1f && b[1] === 0x8b && (b[3] & 4) !== 0 && b[12] === 66 && b[13] === 67;
  } finally {
    closeSync(fd);
  }
}

interface Located {
  file: string;
  line?: number;
  variant: string;
}

function fail(message: string, at: Located, sample?: string, expected?: string): never {
  throw new InputError(`${message} (variant ${at.variant})`, {
    file: at.file,
    line: at.line,
    sample,
    expected,
  });
}

/** Decodes one sample's GT (e.g. `0|1`, `1/1`, `./.`, `1`) in b[from, to) into an ALT-allele count, NaN when missing. */
function gtDosage(
  b: Uint8Array,
  from: number,
  to: number,
  at: Located,
  sample: string,
  haploidScale: number,
): number {
  let count = 0;
  let ploidy = 0;
  let alleleStart = from;
  let missing = false;
  const text = () => Buffer.from(b.buffer, b.byteOffset + from, to - from).toString('latin1');
  for (let i = from; i <= to; i++) {
    const c = i < to ? b[i] : 124; // treat the end as a separator
    if (c === 124 /* | */ || c === 47 /* / */) {
      if (i === alleleStart) fail(`malformed GT '${text()}'`, at, sample, 'alleles like 0|1, 0/1, ./. or 1');
      if (i - alleleStart === 1 && b[alleleStart] === 46 /* . */) missing = true;
      else {
        let a = 0;
        for (let k = alleleStart; k < i; k++) {
          const d = b[k] - 48;
          if (d < 0 || d > 9) fail(`malformed GT '${text()}'`, at, sample, 'allele indices 0, 1, … or .');
          a = a * 10 + d;
        }
        if (a > 0) count++;
      }
      ploidy++;
      alleleStart = i + 1;
    }
  }
  return missing ? NaN : ploidy === 1 ? count * haploidScale : count;
}

/** Region access to an indexed VCF: the sequence names and the records overlapping a region, as bytes. */
interface RegionIndex {
  names: string[];
  /** Calls `line` with b[s, e) for each record of `name` that may overlap [start, end] (1-based, inclusive). */
  lines(
    name: string,
    start: number,
    end: number,
    line: (b: Buffer, s: number, e: number) => void,
  ): Promise<void>;
  /** Compressed bytes read so far. */
  bytesRead(): number;
}

/** A .tbi index: chunks from TabixIndexReader, members inflated by node:zlib, records walked as bytes. */
function tbiIndex(path: string, tbi: string): RegionIndex {
  const index = TabixIndexReader.open(tbi);
  let bytes = 0;
  return {
    names: index.names,
    bytesRead: () => bytes,
    lines: async (name, start, end, line) => {
      const chunks = index.chunks(name, start - 1, end);
      if (!chunks.length) return;
      const nameBytes = Buffer.from(name, 'latin1');
      const fd = openSync(path, 'r');
      try {
        const L = nameBytes.length;
        const sameName = (b: Buffer, s: number) => {
          if (b[s + L] !== 9) return false;
          for (let k = 0; k < L; k++) if (b[s + k] !== nameBytes[k]) return false;
          return true;
        };
        // the records of [from, to) (whole lines), of this sequence only (as htslib checks)
        const records = (b: Buffer, from: number, to: number) => {
          for (let s = from; s < to;) {
            let e = b.indexOf(10, s);
            if (e < 0 || e > to) e = to;
            const next = e + 1;
            if (e > s && b[e - 1] === 13) e--;
            if (e > s && b[s] !== 35 && sameName(b, s)) line(b, s, e);
            s = next;
          }
        };
        for (const [beg, stop] of chunks) {
          // member by member; only a record cut by a member boundary is copied, to join its two parts
          let carry: Buffer | undefined;
          for (const { data, compressed } of bgzfRangePieces(fd, path, beg, stop)) {
            bytes += compressed;
            let from = 0;
            if (carry) {
              const nl = data.indexOf(10);
              if (nl < 0) {
                carry = Buffer.concat([carry, data]);
                continue;
              }
              const joined = Buffer.concat([carry, data.subarray(0, nl)]);
              records(joined, 0, joined.length);
              carry = undefined;
              from = nl + 1;
            }
            const last = data.lastIndexOf(10);
            if (last < from) {
              if (from < data.length) carry = data.subarray(from);
              continue;
            }
            records(data, from, last);
            if (last + 1 < data.length) carry = data.subarray(last + 1);
          }
          if (carry?.length) records(carry, 0, carry.length);
        }
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** A .csi index through @gmod/tabix (records come back as strings). */
async function csiIndex(path: string, csi: string): Promise<RegionIndex> {
  const [{ TabixIndexedFile }, { LocalFile }] = await Promise.all([
    import('@gmod/tabix'),
    import('generic-filehandle2'),
  ]);
  let bytes = 0;
  const file = new LocalFile(path);
  const read = file.read.bind(file);
  file.read = async (length: number, position?: number) => {
    bytes += length;
    return read(length, position);
  };
  const tabix = new TabixIndexedFile({ filehandle: file, csiPath: csi });
  const names = await tabix.getReferenceSequenceNames();
  return {
    names,
    bytesRead: () => bytes,
    lines: async (name, start, end, line) => {
      const lines: string[] = [];
      // one base wider on the left: @gmod/tabix 3.3.9 computes the query's bins from start + 1, so a region
      // starting on a bin's last base (POS = k·16384) would skip that bin; decodeLine keeps POS in [start, end]
      await tabix.getLines(name, Math.max(0, start - 2), end, (l) => lines.push(l));
      for (const l of lines) {
        const b = Buffer.from(l, 'utf8');
        line(b, 0, b.length);
      }
    },
  };
}

/**
 * Decodes consecutive plain diploid calls (`a|b` or `a/b`, single digits, each followed by a tab or the line
 * end) from b[start, e) into slot; returns how many it decoded (it stops at the first other field).
 * First a branch-free pass over every 4-byte field that fits (the ALT-allele count as arithmetic, the checks
 * or-ed into one flag: a data-dependent branch per allele costs a misprediction per genotype); only a line
 * with some other field (missing, haploid, multi-digit) is walked again to find where the run ends.
 */
function diploidRun(b: Uint8Array, start: number, e: number, nSamples: number, slot: Float32Array): number {
  const fit = Math.min(nSamples, Math.floor((e - start + 1) / 4));
  let bad = 0;
  let p = start;
  for (let j = 0; j < fit; j++, p += 4) {
    const a1 = b[p] - 48;
    const a2 = b[p + 2] - 48;
    const sp = b[p + 1];
    // a digit 0–9 each (else a sign bit), a '|' or '/' between (else a non-zero product), a tab after
    const end = p + 3 === e ? 9 : b[p + 3];
    bad |= ((a1 | a2 | (9 - a1) | (9 - a2)) >>> 31) | ((sp - 124) * (sp - 47)) | (end - 9);
    slot[j] = ((a1 + 63) >> 6) + ((a2 + 63) >> 6); // 0 for allele 0, 1 for 1–9
  }
  if (bad === 0) return fit;
  let j = 0;
  for (p = start; j < fit; j++, p += 4) {
    const a1 = b[p] - 48;
    const sp = b[p + 1];
    const a2 = b[p + 2] - 48;
    if (a1 >>> 0 > 9 || a2 >>> 0 > 9 || (sp !== 124 && sp !== 47) || (b[p + 3] !== 9 && p + 3 !== e)) break;
  }
  return j;
}

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * A DS value in b[from, to) ('.' = missing). Plain decimals are parsed from the digits as an integer over an
 * exact power of ten (one correctly rounded division, so the same double as Number()); anything else goes
 * through Number().
 */
function dsValue(b: Uint8Array, from: number, to: number, at: Located, sample: string): number {
  if (to - from === 1 && b[from] === 46) return NaN;
  let m = 0;
  let digits = 0;
  let frac = -1;
  let i = from;
  for (; i < to; i++) {
    const c = b[i];
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (frac >= 0) frac++;
    } else if (c === 46 && frac < 0) frac = 0;
    else break;
  }
  if (i === to && digits > 0 && digits <= 15) return frac > 0 ? m / POW10[frac] : m;
  const text = Buffer.from(b.buffer, b.byteOffset + from, to - from).toString('latin1');
  const v = Number(text);
  if (!Number.isFinite(v) || to === from) fail(`malformed DS '${text}'`, at, sample, 'a number or .');
  return v;
}

export class VcfReader implements GenotypeReader {
  readonly format = 'vcf' as const;
  private header: { samples: string[]; lines: number } | undefined;
  private tabix: RegionIndex | undefined;

  private readonly haploidScale: number;
  private readonly tabs = new Int32Array(9);

  /** `haploidAsDiploid`: count a haploid call (X/Y in males) as 0 or 2, on the diploid scale, instead of 0 or 1. */
  constructor(
    readonly path: string,
    options: { haploidAsDiploid?: boolean } = {},
  ) {
    this.haploidScale = options.haploidAsDiploid ? 2 : 1;
  }

  private async readHeader(): Promise<{ samples: string[]; lines: number }> {
    if (this.header) return this.header;
    let first = true;
    for await (const { lineNo, text } of readLines(this.path)) {
      if (first && !text.startsWith('##fileformat=VCF')) {
        throw new InputError('not a VCF file', {
          file: this.path,
          line: 1,
          expected: "a first line '##fileformat=VCFv4.x'",
        });
      }
      first = false;
      if (text.startsWith('#CHROM')) {
        const f = text.split('\t');
        if (f.length > 9 && f[8] !== 'FORMAT')
          throw new InputError('header column 9 is not FORMAT', { file: this.path, line: lineNo });
        const samples = f.slice(9);
        const seen = new Set<string>();
        for (const s of samples) {
          if (seen.has(s))
            throw new InputError(`duplicate sample ID '${s}' in the header`, {
              file: this.path,
              line: lineNo,
              sample: s,
            });
          seen.add(s);
        }
        this.header = { samples, lines: lineNo };
        return this.header;
      }
      if (!text.startsWith('##')) break;
    }
    throw new InputError('no #CHROM header line', {
      file: this.path,
      expected: 'a VCF header ending with #CHROM POS ID REF ALT QUAL FILTER INFO FORMAT samples…',
    });
  }

  async samples(): Promise<string[]> {
    return (await this.readHeader()).samples;
  }

  /**
   * Decodes one data line, b[s, e), into the builder when it passes the filter. The sample fields are walked
   * as bytes, with no string per line or per genotype, which is what keeps a full decode on a par with
   * bcftools (bench/genotypes.ts).
   */
  private decodeLine(
    b: Buffer,
    s: number,
    e: number,
    lineNo: number | undefined,
    nSamples: number,
    filter: Filter,
    out: BlockBuilder,
    inRegion?: Region,
  ): void {
    // the 9 fixed columns
    const tabs = this.tabs;
    let p = s - 1;
    for (let k = 0; k < 9; k++) {
      p = b.indexOf(9, p + 1);
      if (p < 0 || p >= e) {
        if (k < 7)
          fail(
            `record has ${k + 1} fields`,
            { file: this.path, line: lineNo, variant: b.toString('utf8', s, Math.min(e, s + 30)) },
            undefined,
            'at least 8 tab-separated fields',
          );
        for (let r = k; r < 9; r++) tabs[r] = e;
        break;
      }
      tabs[k] = p;
    }
    const chr = b.toString('latin1', s, tabs[0]);
    let pos = 0;
    for (let i = tabs[0] + 1; i < tabs[1]; i++) {
      const d = b[i] - 48;
      if (d < 0 || d > 9 || pos > 1e12) {
        pos = -1;
        break;
      }
      pos = pos * 10 + d;
    }
    const at: Located = {
      file: this.path,
      line: lineNo,
      variant: `${chr}:${b.toString('latin1', tabs[0] + 1, tabs[1])}`,
    };
    if (!(pos >= 1))
      fail(`invalid POS '${b.toString('utf8', tabs[0] + 1, tabs[1])}'`, at, undefined, 'a positive integer');
    if (inRegion && (pos < inRegion.start || pos > inRegion.end)) return;
    const id = b.toString('utf8', tabs[1] + 1, tabs[2]);
    const ref = b.toString('latin1', tabs[2] + 1, tabs[3]);
    const alt = b.toString('latin1', tabs[3] + 1, tabs[4]);
    if (filter.variant && !filter.variant({ chr, pos, id, ref, alt })) return;
    if (tabs[8] >= e) fail(`record has no sample fields, the header names ${nSamples} samples`, at);
    const format = b.toString('latin1', tabs[7] + 1, tabs[8]).split(':');
    const ds = format.indexOf('DS');
    const gt = format.indexOf('GT');
    if (ds < 0 && gt < 0) fail('FORMAT has neither GT nor DS', at);
    const want = ds >= 0 ? ds : gt;
    const multi = format.length > 1;
    const samples = (this.header as { samples: string[] }).samples;
    const slot = out.slot();
    let start = tabs[8] + 1;
    let j0 = 0;
    if (!multi && ds < 0) {
      // GT-only records: the run of plain diploid calls goes through the tight loop, the rest below
      j0 = diploidRun(b, start, e, nSamples, slot);
      start += 4 * j0;
    }
    for (let j = j0; j < nSamples; j++) {
      if (start > e) {
        fail(
          `record has ${j} sample fields, the header names ${nSamples} samples`,
          at,
          undefined,
          `${9 + nSamples} fields`,
        );
      }
      // GT-only records are mostly 3-byte diploid calls (`a|b`): check for the tab after one before searching
      // for it (the separator test keeps haploid fields like `0<TAB>1` off this path)
      let end = start + 3;
      const sep = b[start + 1];
      if (multi || (sep !== 124 && sep !== 47) || (end !== e && b[end] !== 9)) {
        end = start;
        while (end < e && b[end] !== 9) end++;
      }
      // the want-th ':'-separated subfield of [start, end)
      let from = start;
      for (let k = 0; k < want && from >= 0; k++) {
        let c = from;
        while (c < end && b[c] !== 58) c++;
        from = c < end ? c + 1 : -1;
      }
      if (from < 0) {
        slot[j] = NaN; // trailing subfields dropped: missing
      } else {
        let to = end;
        if (multi) {
          to = from;
          while (to < end && b[to] !== 58) to++;
        }
        if (ds >= 0) slot[j] = dsValue(b, from, to, at, samples[j]);
        else if (to - from === 3) {
          // fast path: single-digit diploid call, `a|b` or `a/b`
          const a1 = b[from] - 48;
          const sp = b[from + 1];
          const a2 = b[from + 2] - 48;
          if (a1 >= 0 && a1 <= 9 && a2 >= 0 && a2 <= 9 && (sp === 124 || sp === 47))
            slot[j] = (a1 > 0 ? 1 : 0) + (a2 > 0 ? 1 : 0);
          else slot[j] = gtDosage(b, from, to, at, samples[j], this.haploidScale);
        } else slot[j] = gtDosage(b, from, to, at, samples[j], this.haploidScale);
      }
      start = end + 1;
    }
    if (start <= e) {
      const extra = b.toString('latin1', start, e).split('\t').length;
      fail(
        `record has ${nSamples + extra} sample fields, the header names ${nSamples} samples`,
        at,
        undefined,
        `${9 + nSamples} fields`,
      );
    }
    if (filter.dosage && !filter.dosage(slot)) return;
    out.commit(chr, pos, id, ref, alt);
  }

  async *iterBlocks(options: { size?: number; filter?: Filter } = {}): AsyncGenerator<GenotypeBlock> {
    const { samples } = await this.readHeader();
    const filter = options.filter ?? all();
    const size = options.size ?? 10_000;
    const out = new BlockBuilder(samples.length, size);
    const regions = filter.regions;
    for await (const batch of readLineBatches(this.path)) {
      const b = batch.buf;
      for (let i = 0; i < batch.count; i++) {
        const s = batch.starts[i];
        const e = batch.ends[i];
        if (e === s || b[s] === 35 /* # */) continue;
        if (regions) {
          const tab = b.indexOf(9, s);
          const tab2 = b.indexOf(9, tab + 1);
          if (tab < 0 || tab2 < 0 || tab2 > e) continue; // malformed: left to decodeLine when not filtered
          if (!inRegions(regions, b.toString('latin1', s, tab), Number(b.toString('latin1', tab + 1, tab2))))
            continue;
        }
        this.decodeLine(b, s, e, batch.firstLineNo + i, samples.length, filter, out);
        if (out.full) yield out.take();
      }
    }
    if (out.count > 0) yield out.take();
  }

  private async index(): Promise<RegionIndex> {
    if (this.tabix) return this.tabix;
    const tbi = `${this.path}.tbi`;
    const csi = `${this.path}.csi`;
    const indexPath = existsSync(tbi) ? tbi : existsSync(csi) ? csi : undefined;
    if (!isBgzf(this.path)) {
      throw new InputError(
        'region queries need a bgzip-compressed VCF with a tabix index; this file is not BGZF',
        {
          file: this.path,
          hint: 'Recompress and index it: `bgzip -c in.vcf > in.vcf.gz && tabix -p vcf in.vcf.gz` (reading the whole file works without)',
        },
      );
    }
    if (!indexPath) {
      throw new InputError('no index (.tbi or .csi) next to the VCF for a region query', {
        file: this.path,
        hint: `Create one with \`tabix -p vcf ${this.path}\``,
      });
    }
    if (statSync(indexPath).mtimeMs < statSync(this.path).mtimeMs - 1000) {
      throw new InputError('the index is older than the VCF (stale index)', {
        file: indexPath,
        hint: `Re-index: \`tabix -f -p vcf ${this.path}\``,
      });
    }
    this.tabix = indexPath === tbi ? tbiIndex(this.path, tbi) : await csiIndex(this.path, csi);
    return this.tabix;
  }

  async chromosomes(): Promise<string[] | undefined> {
    try {
      return (await this.index()).names;
    } catch {
      return undefined; // no index: the names are not known without reading the file
    }
  }

  async *iterRegions(filters: Filter[]): AsyncGenerator<GenotypeBlock> {
    const { samples } = await this.readHeader();
    const tabix = await this.index();
    const names = tabix.names;
    const byCanonical = new Map(names.map((n) => [canonicalChrom(n), n]));
    for (const filter of filters) {
      const out = new BlockBuilder(samples.length, 1024);
      for (const r of filter.regions ?? []) {
        const refName = byCanonical.get(r.chr);
        if (refName === undefined) {
          throw new InputError(`chromosome '${r.chr}' is not in the VCF index`, {
            file: this.path,
            hint: `The file names chromosomes ${names
              .slice(0, 5)
              .map((n) => `'${n}'`)
              .join(', ')}; 'chr22' and '22' are matched to each other, other names are not`,
          });
        }
        const decode = (b: Buffer, s: number, e: number) =>
          this.decodeLine(b, s, e, undefined, samples.length, filter, out, r);
        try {
          await tabix.lines(refName, r.start, r.end, decode);
        } catch (e) {
          if (e instanceof InputError && e.context.file === this.path && !/^not a BGZF/.test(e.message))
            throw e; // a malformed record, reported by the decoder
          throw new InputError(
            `cannot read the region ${refName}:${r.start}-${r.end} (${(e as Error).message})`,
            {
              file: this.path,
              hint: 'The file may be truncated or its index stale; check it with `bgzip -t` and re-index with `tabix -f`',
            },
          );
        }
      }
      yield out.take();
    }
  }

  /** Bytes of the VCF read through the index (region queries; a full scan reads the whole file). */
  bytesRead(): number {
    return this.tabix?.bytesRead() ?? 0;
  }

  async close(): Promise<void> {
    this.tabix = undefined;
  }
}
