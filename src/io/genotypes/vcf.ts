/**
 * VCF reader (plain, gzip or BGZF; region queries through a tabix .tbi or .csi index with @gmod/tabix).
 * Dosages are the FORMAT/DS value when the record has one, else the count of non-reference alleles in GT
 * (phased or unphased; a haploid call counts 0/1). The per-sample field decoding is hand-written: it runs for
 * every genotype of the file and a general VCF parser allocates an object per sample.
 */
import { existsSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import type { TabixIndexedFile } from '@gmod/tabix';
import { InputError } from '../errors.js';
import { canonicalChrom } from '../genome.js';
import { readLines } from '../text.js';
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

/** Decodes one sample's GT (e.g. `0|1`, `1/1`, `./.`, `1`) into an ALT-allele count, NaN when missing. */
function gtDosage(
  s: string,
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
  for (let i = from; i <= to; i++) {
    const c = i < to ? s.charCodeAt(i) : 124; // treat the end as a separator
    if (c === 124 /* | */ || c === 47 /* / */) {
      if (i === alleleStart)
        fail(`malformed GT '${s.slice(from, to)}'`, at, sample, 'alleles like 0|1, 0/1, ./. or 1');
      if (i - alleleStart === 1 && s.charCodeAt(alleleStart) === 46 /* . */) missing = true;
      else {
        let a = 0;
        for (let k = alleleStart; k < i; k++) {
          const d = s.charCodeAt(k) - 48;
          if (d < 0 || d > 9)
            fail(`malformed GT '${s.slice(from, to)}'`, at, sample, 'allele indices 0, 1, … or .');
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

/** A local file handle that counts the bytes read through it (created when a region query needs the index). */
async function countingFile(
  path: string,
): Promise<{ handle: import('generic-filehandle2').GenericFilehandle; bytes: () => number }> {
  const { LocalFile } = await import('generic-filehandle2');
  let bytes = 0;
  const file = new LocalFile(path);
  const read = file.read.bind(file);
  file.read = async (length: number, position?: number) => {
    bytes += length;
    return read(length, position);
  };
  return { handle: file, bytes: () => bytes };
}

/** A DS value ('.' = missing). */
function dsValue(s: string, from: number, to: number, at: Located, sample: string): number {
  if (to - from === 1 && s.charCodeAt(from) === 46) return NaN;
  const v = Number(s.slice(from, to));
  if (!Number.isFinite(v) || to === from)
    fail(`malformed DS '${s.slice(from, to)}'`, at, sample, 'a number or .');
  return v;
}

export class VcfReader implements GenotypeReader {
  readonly format = 'vcf' as const;
  private header: { samples: string[]; lines: number } | undefined;
  private tabix: TabixIndexedFile | undefined;
  private counted: { bytes: () => number } | undefined;

  private readonly haploidScale: number;

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
   * Decodes one data line into the builder when it passes the filter. The sample fields are walked in place
   * with indexOf/charCodeAt instead of split('\t'): no string is allocated per genotype, which is what keeps a
   * full decode on a par with bcftools (bench/genotypes.ts).
   */
  private decodeLine(
    text: string,
    lineNo: number | undefined,
    nSamples: number,
    filter: Filter,
    out: BlockBuilder,
    inRegion?: Region,
  ): void {
    // the 9 fixed columns
    const tabs = new Int32Array(9);
    let p = -1;
    for (let k = 0; k < 9; k++) {
      p = text.indexOf('\t', p + 1);
      if (p < 0) {
        if (k < 7)
          fail(
            `record has ${k + 1} fields`,
            { file: this.path, line: lineNo, variant: text.slice(0, 30) },
            undefined,
            'at least 8 tab-separated fields',
          );
        p = text.length;
        for (let r = k; r < 9; r++) tabs[r] = text.length;
        break;
      }
      tabs[k] = p;
    }
    const chr = text.slice(0, tabs[0]);
    const posText = text.slice(tabs[0] + 1, tabs[1]);
    const pos = Number(posText);
    const at: Located = { file: this.path, line: lineNo, variant: `${chr}:${posText}` };
    if (!Number.isInteger(pos) || pos < 1)
      fail(`invalid POS '${posText}'`, at, undefined, 'a positive integer');
    if (inRegion && (pos < inRegion.start || pos > inRegion.end)) return;
    const record = {
      chr,
      pos,
      id: text.slice(tabs[1] + 1, tabs[2]),
      ref: text.slice(tabs[2] + 1, tabs[3]),
      alt: text.slice(tabs[3] + 1, tabs[4]),
    };
    if (filter.variant && !filter.variant(record)) return;
    if (tabs[8] >= text.length) fail(`record has no sample fields, the header names ${nSamples} samples`, at);
    const format = text.slice(tabs[7] + 1, tabs[8]).split(':');
    const ds = format.indexOf('DS');
    const gt = format.indexOf('GT');
    if (ds < 0 && gt < 0) fail('FORMAT has neither GT nor DS', at);
    const want = ds >= 0 ? ds : gt;
    const multi = format.length > 1;
    const samples = (this.header as { samples: string[] }).samples;
    const slot = out.slot();
    let start = tabs[8] + 1;
    for (let j = 0; j < nSamples; j++) {
      if (start > text.length) {
        fail(
          `record has ${j} sample fields, the header names ${nSamples} samples`,
          at,
          undefined,
          `${9 + nSamples} fields`,
        );
      }
      // GT-only records are mostly 3-character diploid calls (`a|b`): check for the tab after one before
      // searching for it (the separator test keeps haploid fields like `0<TAB>1` off this path)
      let end = start + 3;
      const sep = text.charCodeAt(start + 1);
      if (multi || (sep !== 124 && sep !== 47) || (end !== text.length && text.charCodeAt(end) !== 9)) {
        end = text.indexOf('\t', start);
        if (end < 0) end = text.length;
      }
      // the want-th ':'-separated subfield of [start, end)
      // (bounded scans: an unbounded indexOf(':') would run to the end of the line for GT-only records)
      let from = start;
      for (let k = 0; k < want && from >= 0; k++) {
        let c = from;
        while (c < end && text.charCodeAt(c) !== 58) c++;
        from = c < end ? c + 1 : -1;
      }
      if (from < 0) {
        slot[j] = NaN; // trailing subfields dropped: missing
      } else {
        let to = end;
        if (multi) {
          to = from;
          while (to < end && text.charCodeAt(to) !== 58) to++;
        }
        if (ds >= 0) slot[j] = dsValue(text, from, to, at, samples[j]);
        else if (to - from === 3) {
          // fast path: single-digit diploid call, `a|b` or `a/b`
          const a = text.charCodeAt(from) - 48;
          const sep = text.charCodeAt(from + 1);
          const b = text.charCodeAt(from + 2) - 48;
          if (a >= 0 && a <= 9 && b >= 0 && b <= 9 && (sep === 124 || sep === 47))
            slot[j] = (a > 0 ? 1 : 0) + (b > 0 ? 1 : 0);
          else slot[j] = gtDosage(text, from, to, at, samples[j], this.haploidScale);
        } else slot[j] = gtDosage(text, from, to, at, samples[j], this.haploidScale);
      }
      start = end + 1;
    }
    if (start <= text.length) {
      const extra = text.slice(start).split('\t').length;
      fail(
        `record has ${nSamples + extra} sample fields, the header names ${nSamples} samples`,
        at,
        undefined,
        `${9 + nSamples} fields`,
      );
    }
    if (filter.dosage && !filter.dosage(slot)) return;
    out.commit(chr, pos, record.id, record.ref, record.alt);
  }

  async *iterBlocks(options: { size?: number; filter?: Filter } = {}): AsyncGenerator<GenotypeBlock> {
    const { samples } = await this.readHeader();
    const filter = options.filter ?? all();
    const size = options.size ?? 10_000;
    const out = new BlockBuilder(samples.length, size);
    const regions = filter.regions;
    for await (const { lineNo, text } of readLines(this.path)) {
      if (text.length === 0 || text.charCodeAt(0) === 35 /* # */) continue;
      if (regions) {
        const tab = text.indexOf('\t');
        if (!inRegions(regions, text.slice(0, tab), Number(text.slice(tab + 1, text.indexOf('\t', tab + 1)))))
          continue;
      }
      this.decodeLine(text, lineNo, samples.length, filter, out);
      if (out.full) yield out.take();
    }
    if (out.count > 0) yield out.take();
  }

  private async index(): Promise<TabixIndexedFile> {
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
    // loaded on first use: a full scan does not pay for the index reader's start-up
    const { TabixIndexedFile } = await import('@gmod/tabix');
    const counted = await countingFile(this.path);
    this.counted = counted;
    this.tabix = new TabixIndexedFile(
      indexPath === tbi
        ? { filehandle: counted.handle, tbiPath: tbi }
        : { filehandle: counted.handle, csiPath: csi },
    );
    return this.tabix;
  }

  async *iterRegions(filters: Filter[]): AsyncGenerator<GenotypeBlock> {
    const { samples } = await this.readHeader();
    const tabix = await this.index();
    const names = await tabix.getReferenceSequenceNames();
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
        const lines: string[] = [];
        try {
          await tabix.getLines(refName, r.start - 1, r.end, (line) => lines.push(line));
        } catch (e) {
          throw new InputError(
            `cannot read the region ${refName}:${r.start}-${r.end} (${(e as Error).message})`,
            {
              file: this.path,
              hint: 'The file may be truncated or its index stale; check it with `bgzip -t` and re-index with `tabix -f`',
            },
          );
        }
        for (const line of lines) this.decodeLine(line, undefined, samples.length, filter, out, r);
      }
      yield out.take();
    }
  }

  /** Bytes of the VCF read through the index (region queries; a full scan reads the whole file). */
  bytesRead(): number {
    return this.counted?.bytes() ?? 0;
  }

  async close(): Promise<void> {
    this.tabix = undefined;
  }
}
