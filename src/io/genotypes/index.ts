/**
 * `openGenotypes(path)`: one reader API over the genotype formats, chosen by the file's content (magic bytes),
 * not its extension. Implemented: VCF (plain, gzip, BGZF + tabix/CSI), PLINK 1 .bed/.bim/.fam, BGEN
 * (v1.1–1.3, .bgi index), PLINK 2 .pgen/.pvar/.psam, and the genotype Parquet that `qtlflow import` writes.
 */
import { existsSync, openSync, readSync, closeSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { InputError } from '../errors.js';
import { PlinkReader, plinkPrefix } from './plink.js';
import { pgenPrefix } from './pgen-prefix.js';
import { VcfReader } from './vcf.js';
import type { GenotypeReader } from './types.js';

export type { GenotypeReader, GenotypeBlock, VariantTable } from './types.js';
export {
  region,
  maf,
  snp,
  biallelic,
  maxMissing,
  variantIds,
  and,
  all,
  parseRegion,
  minorAlleleFrequency,
} from './filters.js';
export type { Filter, Region } from './filters.js';

function head(path: string, n: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(n);
    const got = readSync(fd, b, 0, n, 0);
    return b.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

export interface OpenOptions {
  /** Oxford .sample file for a BGEN without sample identifiers (default: beside it). */
  bgenSample?: string;
  /** Count haploid calls (X/Y in males) as 0/2 instead of 0/1 (VCF and BGEN). */
  haploidAsDiploid?: boolean;
}

export async function openGenotypes(path: string, options: OpenOptions = {}): Promise<GenotypeReader> {
  // a fileset may be named by its prefix or by any of its files
  const prefix = pgenPrefix(plinkPrefix(path));
  const file = existsSync(path)
    ? /\.(pvar|pvar\.zst|psam)$/.test(path) && existsSync(`${prefix}.pgen`)
      ? `${prefix}.pgen`
      : path
    : [`${prefix}.pgen`, `${prefix}.bed`].find((f) => existsSync(f));
  if (!file) throw new InputError('genotype file does not exist', { file: path });
  const b = head(file, 64 * 1024);
  if (b[0] === 0x6c && b[1] === 0x1b) {
    if (b[2] === 0x01) return new PlinkReader(file);
    const { PgenReader } = await import('./pgen.js');
    return new PgenReader(file);
  }
  // BGEN: 'bgen' magic at byte 16 (v1.0 files may have four zero bytes there instead)
  if (
    b.length >= 20 &&
    (b.toString('latin1', 16, 20) === 'bgen' || (b.readUInt32LE(16) === 0 && /\.bgen$/i.test(file)))
  ) {
    const { BgenReader } = await import('./bgen.js');
    return new BgenReader(file, {
      sampleFile: options.bgenSample,
      haploidAsDiploid: options.haploidAsDiploid,
    });
  }
  if (b.toString('latin1', 0, 4) === 'PAR1') {
    const { GenotypeParquetReader } = await import('./parquet.js'); // Parquet stack loaded only when needed
    return new GenotypeParquetReader(file);
  }
  let text = b.toString('latin1', 0, 32);
  if (b[0] === 0x1f && b[1] === 0x8b) {
    try {
      text = gunzipSync(b, { finishFlush: 2 /* Z_SYNC_FLUSH: tolerate a cut stream */ }).toString(
        'latin1',
        0,
        32,
      );
    } catch {
      text = '';
    }
  }
  if (text.startsWith('##fileformat=VCF'))
    return new VcfReader(file, { haploidAsDiploid: options.haploidAsDiploid });
  throw new InputError('genotype format not recognised', {
    file,
    expected:
      'VCF (plain, gzip or bgzip), BGEN, PLINK 1 .bed/.bim/.fam, PLINK 2 .pgen/.pvar/.psam or genotype Parquet',
  });
}
