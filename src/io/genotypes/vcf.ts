/**
 * VCF reader (plain, gzip or BGZF; region queries through a tabix .tbi or .csi index with @gmod/tabix).
 * Dosages are the FORMAT/DS value when the record has one, else the count of non-reference alleles in GT
 * (phased or unphased; a haploid call counts 0/1). The per-sample field decoding is hand-written: it runs for
 * every genotype of the file and a general VCF parser allocates an object per sample.
 */
import { existsSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import { TabixIndexedFile } from '@gmod/tabix';
import { LocalFile } from 'generic-filehandle2';
import { InputError } from '../errors.js';
import { canonicalChrom } from '../genome.js';
import { readLines } from '../text.js';
import { all } from './filters.js';
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
function gtDosage(s: string, from: number, to: number, at: Located, sample: string): number {
  let count = 0;
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
      alleleStart = i + 1;
    }
  }
  return missing ? NaN : count;
}

/** A local file handle that counts the bytes read through it. */
class CountingFile extends LocalFile {
  bytes = 0;
  override async read(length: number, position?: number): Promise<Uint8Array<ArrayBuffer>> {
    this.bytes += length;
    return super.read(length, position);
  }
}

export class VcfReader implements GenotypeReader {
  readonly format = 'vcf' as const;
  private header: { samples: string[]; lines: number } | undefined;
  private tabix: TabixIndexedFile | undefined;
  private counted: CountingFile | undefined;

  constructor(readonly path: string) {}

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

  /** Decodes one data line into the builder when it passes the filter. */
  private decodeLine(
    text: string,
    lineNo: number | undefined,
    nSamples: number,
    filter: Filter,
    out: BlockBuilder,
    inRegion?: Region,
  ): void {
    const f = text.split('\t');
    const chr = f[0];
    const pos = Number(f[1]);
    const at: Located = { file: this.path, line: lineNo, variant: `${chr}:${f[1]}` };
    if (f.length !== 9 + nSamples) {
      if (f.length < 8)
        fail(`record has ${f.length} fields`, at, undefined, 'at least 8 tab-separated fields');
      fail(
        `record has ${Math.max(0, f.length - 9)} sample fields, the header names ${nSamples} samples`,
        at,
        undefined,
        `${9 + nSamples} fields`,
      );
    }
    if (!Number.isInteger(pos) || pos < 1) fail(`invalid POS '${f[1]}'`, at, undefined, 'a positive integer');
    if (inRegion && (pos < inRegion.start || pos > inRegion.end)) return;
    const record = { chr, pos, id: f[2], ref: f[3], alt: f[4] };
    if (filter.variant && !filter.variant(record)) return;
    const format = f[8].split(':');
    const ds = format.indexOf('DS');
    const gt = format.indexOf('GT');
    if (ds < 0 && gt < 0) fail('FORMAT has neither GT nor DS', at);
    const slot = out.slot();
    for (let j = 0; j < nSamples; j++) {
      const s = f[9 + j];
      const want = ds >= 0 ? ds : gt;
      // locate the want-th ':'-separated subfield
      let from = 0;
      for (let k = 0; k < want; k++) {
        const c = s.indexOf(':', from);
        if (c < 0) {
          from = -1;
          break;
        }
        from = c + 1;
      }
      if (from < 0) {
        slot[j] = NaN; // trailing fields dropped: missing
        continue;
      }
      let to = s.indexOf(':', from);
      if (to < 0) to = s.length;
      if (ds >= 0) {
        const v = to - from === 1 && s.charCodeAt(from) === 46 ? NaN : Number(s.slice(from, to));
        if (v !== v && !(to - from === 1 && s.charCodeAt(from) === 46))
          fail(
            `malformed DS '${s.slice(from, to)}'`,
            at,
            (this.header as { samples: string[] }).samples[j],
            'a number or .',
          );
        slot[j] = v;
      } else {
        slot[j] = gtDosage(s, from, to, at, (this.header as { samples: string[] }).samples[j]);
      }
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
        const chr = canonicalChrom(text.slice(0, tab));
        const pos = Number(text.slice(tab + 1, text.indexOf('\t', tab + 1)));
        if (!regions.some((r) => r.chr === chr && pos >= r.start && pos <= r.end)) continue;
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
    this.counted = new CountingFile(this.path);
    this.tabix = new TabixIndexedFile(
      indexPath === tbi
        ? { filehandle: this.counted, tbiPath: tbi }
        : { filehandle: this.counted, csiPath: csi },
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
    return this.counted?.bytes ?? 0;
  }

  async close(): Promise<void> {
    this.tabix = undefined;
  }
}
