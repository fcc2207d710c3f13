/**
 * `qtlflow annotate`: Ensembl VEP output (VCF with INFO/CSQ, or tab) → variant-annotation Parquet, one row per
 * variant × gene of the genotype file (picked transcript, typed fields, consequence flags, TSS distance and
 * the Beta(1, 25) MAF weight). Two passes over the VEP file keep memory bounded by the variants it annotates:
 * the first collects the consequence terms and the variant keys, the genotype file is then streamed once for
 * those variants' IDs and allele frequencies, and the second pass writes the rows.
 */
import type { Argv, CommandModule } from 'yargs';
import { readGeneAnnotation, lookupGene, versionlessIndex } from '../../io/annotation.js';
import { InputError } from '../../io/errors.js';
import { canonicalChrom } from '../../io/genome.js';
import { openGenotypes } from '../../io/genotypes/index.js';
import { ParquetTableWriter } from '../../io/parquet.js';
import type { ColumnData, ColumnSpec } from '../../io/parquet.js';
import { VARIANT_ANNOTATION_SCHEMA } from '../../io/results.js';
import { requireFile } from '../../io/text.js';
import { readVep } from '../../io/vep.js';
import type { VepHeader } from '../../io/vep.js';
import {
  consequenceTerms,
  entriesByGene,
  fieldType,
  mafBeta,
  mostSevere,
  orderTerms,
  parseNumber,
  parsePrediction,
  pickEntry,
  requireFields,
  vcfKey,
  vepTabKey,
} from '../../stages/annotate/index.js';
import type { FieldType, PickRule } from '../../stages/annotate/index.js';
import { runStage, stageParams, withCommonOptions } from '../framework.js';
import type { CommonArgs, StageContext } from '../framework.js';

export interface AnnotateArgs extends CommonArgs {
  vep: string;
  genotypes: string;
  genes?: string;
  out: string;
  pick: PickRule;
}

function builder(y: Argv): Argv<AnnotateArgs> {
  return withCommonOptions(
    y
      .option('vep', {
        type: 'string',
        demandOption: true,
        describe: 'Ensembl VEP output: VCF(.gz) with INFO/CSQ, or tab output (--tab or the default format)',
      })
      .option('genotypes', {
        type: 'string',
        demandOption: true,
        describe: 'Genotypes the annotations are matched to (chr:pos:ref:alt): any format import reads',
      })
      .option('genes', {
        type: 'string',
        describe: 'GTF (gene records) or BED of genes, for tss_distance (by VEP Gene ID, version-less)',
      })
      .option('out', { type: 'string', demandOption: true, describe: 'Output variant-annotation Parquet' })
      .option('pick', {
        choices: ['canonical', 'most-severe', 'first'] as const,
        default: 'canonical' as const,
        describe: 'Which transcript speaks for a variant × gene',
      }),
  ) as unknown as Argv<AnnotateArgs>;
}

interface GenotypeInfo {
  id: string;
  af: number;
  /** The genotype file lists the alleles the other way round (its dosage counts VEP's REF). */
  flipped: boolean;
}

/** Column name not yet taken (Parquet names are case-sensitive, SQL engines often are not). */
function freeName(taken: Set<string>, name: string): string | undefined {
  return taken.has(name.toLowerCase()) ? undefined : name;
}

interface OutputColumn {
  spec: ColumnSpec;
  values: unknown[];
}

export async function annotateStage(a: AnnotateArgs, ctx: StageContext): Promise<Record<string, unknown>> {
  const { log } = ctx;
  requireFile(a.vep);
  // pass 1: header, consequence terms, and the keys of every annotated allele
  let header: VepHeader | undefined;
  const terms = new Set<string>();
  const keys = new Set<string>();
  let variants = 0;
  let csqIdx = -1;
  for await (const v of readVep(a.vep, (h) => {
    header = h;
    requireFields(h.fields, ['Consequence', 'Gene'], a.vep);
    csqIdx = h.fields.indexOf('Consequence');
  })) {
    variants++;
    const chr = canonicalChrom(v.chr);
    v.alts.forEach((alt, i) => {
      for (const e of v.entries[i]) for (const t of consequenceTerms(e[csqIdx])) terms.add(t);
      keys.add(header!.format === 'vcf' ? vcfKey(chr, v.pos, v.ref, alt) : `${chr}:${v.pos}:${alt}`);
    });
  }
  if (!header) throw new InputError('no VEP header found', { file: a.vep });
  const hdr = header;
  log.info(
    `${a.vep}: VEP ${hdr.version ?? '(version not stated)'} ${hdr.format}, ${hdr.fields.length} fields, ${variants} variants`,
  );

  // the genotype variants those keys name
  const reader = await openGenotypes(a.genotypes);
  const geno = new Map<string, GenotypeInfo>();
  let genotypeVariants = 0;
  for await (const b of reader.iterBlocks({ size: 4096 })) {
    const N = b.nSamples;
    for (let v = 0; v < b.variants.pos.length; v++) {
      genotypeVariants++;
      const chr = canonicalChrom(b.variants.chr[v]);
      const pos = b.variants.pos[v];
      const ref = b.variants.ref[v];
      const alts = b.variants.alt[v].split(',');
      let sum = 0;
      let nn = 0;
      for (let j = 0; j < N; j++) {
        const d = b.dosages[v * N + j];
        if (d === d) {
          sum += d;
          nn++;
        }
      }
      const af = alts.length === 1 && nn > 0 ? sum / (2 * nn) : NaN;
      const id = b.variants.id[v] === '.' ? `${chr}:${pos}` : b.variants.id[v]; // as the cis window names them
      for (const alt of alts) {
        const cands =
          hdr.format === 'vcf'
            ? [
                [vcfKey(chr, pos, ref, alt), false],
                [vcfKey(chr, pos, alt, ref), true],
              ]
            : [
                [vepTabKey(chr, pos, ref, alt), false],
                [vepTabKey(chr, pos, alt, ref), true],
              ];
        for (const [k, flipped] of cands as [string, boolean][])
          if (keys.has(k) && !geno.has(k)) geno.set(k, { id, af: flipped ? 1 - af : af, flipped });
      }
    }
  }
  await reader.close();

  const genes = a.genes ? await readGeneAnnotation(a.genes) : undefined;
  const genesNoVersion = genes ? versionlessIndex(genes) : undefined;

  // output schema: keys, consequence flags, every VEP field (typed), computed columns
  const f = hdr.fields;
  const types: FieldType[] = f.map(fieldType);
  const taken = new Set<string>();
  const cols: OutputColumn[] = [];
  const add = (name: string, type: ColumnSpec['type'], statistics?: boolean) => {
    taken.add(name.toLowerCase());
    const c: OutputColumn = { spec: { name, type, statistics }, values: [] };
    cols.push(c);
    return c;
  };
  const cChr = add('chr', 'string', true);
  const cPos = add('pos', 'int32');
  const cRef = add('ref', 'string');
  const cAlt = add('alt', 'string');
  const cVid = add('variant_id', 'string');
  const cGene = add('gene_id', 'string', true);
  const cTx = add('transcript_id', 'string');
  const cNtx = add('n_transcripts', 'int32');
  const cMost = add('most_severe_consequence', 'string');
  const cFlip = add('allele_flipped', 'bool');
  const termList = orderTerms(terms);
  const cTerms = termList.map((t) => add(t, 'bool'));
  const fieldCols = f.map((name, i) => {
    const t = types[i];
    const type: ColumnSpec['type'] =
      t === 'float' ? 'float64' : t === 'int' ? 'int32' : t === 'bool' ? 'bool' : 'string';
    return taken.has(name.toLowerCase()) ? undefined : add(name, type);
  });
  const scoreCols = f.map((name, i) => {
    if (types[i] !== 'prediction') return undefined;
    const n = freeName(taken, `${name}_score`);
    return n ? add(n, 'float64') : undefined;
  });
  const cAf = add('genotype_af', 'float64');
  const cMaf = add('maf', 'float64');
  const cBeta = add('maf_beta', 'float64');
  const cTss = add('tss_distance', 'float64');
  const cTssExp = add('tss_distance_exp', 'float64');

  const writer = new ParquetTableWriter(
    ctx.outputs.claim(a.out),
    cols.map((c) => c.spec),
    {
      schema: VARIANT_ANNOTATION_SCHEMA,
      params: stageParams(a),
      extra: { vep_format: hdr.format, vep_version: hdr.version ?? null },
    },
  );
  const BATCH = 20_000;
  let buffered = 0;
  const flush = () => {
    if (!buffered) return;
    writer.write(
      cols.map((c): ColumnData => {
        const v = c.values;
        c.values = [];
        if (c.spec.type === 'float64') return Float64Array.from(v as number[]);
        if (c.spec.type === 'int32') return Int32Array.from(v as number[]);
        return v as ColumnData;
      }),
    );
    buffered = 0;
  };

  const idx = { consequence: csqIdx, gene: f.indexOf('Gene'), canonical: f.indexOf('CANONICAL') };
  const featureIdx = f.indexOf('Feature');
  let rows = 0;
  let matchedAlleles = 0;
  let unmatchedAlleles = 0;
  let flippedAlleles = 0;
  let entriesNoGene = 0;
  let noTss = 0;
  const unmatchedExamples: string[] = [];
  for await (const v of readVep(a.vep)) {
    const chr = canonicalChrom(v.chr);
    for (let i = 0; i < v.alts.length; i++) {
      const alt = v.alts[i];
      const key = hdr.format === 'vcf' ? vcfKey(chr, v.pos, v.ref, alt) : `${chr}:${v.pos}:${alt}`;
      const g = geno.get(key);
      if (!g) {
        unmatchedAlleles++;
        if (unmatchedExamples.length < 3) unmatchedExamples.push(`${v.chr}:${v.pos}:${v.ref || '?'}:${alt}`);
        continue;
      }
      matchedAlleles++;
      if (g.flipped) flippedAlleles++;
      const byGene = entriesByGene(v.entries[i], idx.gene);
      entriesNoGene += byGene.noGene;
      for (const [gene, entries] of byGene.genes) {
        const pick = entries[pickEntry(entries, idx, a.pick)];
        cChr.values.push(v.chr);
        cPos.values.push(v.pos);
        cRef.values.push(v.ref);
        cAlt.values.push(alt);
        cVid.values.push(g.id);
        cGene.values.push(gene);
        cTx.values.push(featureIdx >= 0 ? pick[featureIdx] : '');
        cNtx.values.push(entries.length);
        cMost.values.push(mostSevere(pick[csqIdx]));
        cFlip.values.push(g.flipped);
        const present = new Set(consequenceTerms(pick[csqIdx]));
        termList.forEach((t, k) => cTerms[k].values.push(present.has(t)));
        for (let k = 0; k < f.length; k++) {
          const val = pick[k];
          const t = types[k];
          if (t === 'prediction') {
            const p = parsePrediction(val);
            fieldCols[k]?.values.push(p.pred);
            scoreCols[k]?.values.push(p.score);
          } else if (t === 'float') fieldCols[k]?.values.push(parseNumber(val));
          else if (t === 'int') {
            const x = parseNumber(val);
            fieldCols[k]?.values.push(Number.isInteger(x) ? x : 0);
          } else if (t === 'bool') fieldCols[k]?.values.push(val === 'YES' || val === '1');
          else fieldCols[k]?.values.push(val);
        }
        const maf = Math.min(g.af, 1 - g.af);
        cAf.values.push(g.af);
        cMaf.values.push(maf);
        cBeta.values.push(mafBeta(maf));
        const gp = genes ? lookupGene(genes, gene, genesNoVersion) : undefined;
        const d = gp && canonicalChrom(gp.chr) === chr ? v.pos - (gp.start + 1) : NaN;
        if (genes && Number.isNaN(d)) noTss++;
        cTss.values.push(d);
        cTssExp.values.push(Math.exp(-1e-5 * Math.abs(d)));
        rows++;
        if (++buffered >= BATCH) flush();
      }
    }
  }
  flush();
  writer.close();
  const totalAlleles = matchedAlleles + unmatchedAlleles;
  if (matchedAlleles === 0)
    throw new InputError(`none of the ${totalAlleles} annotated alleles is in the genotype file`, {
      file: a.vep,
      hint: `Variants are matched by chromosome, position and alleles; e.g. ${unmatchedExamples.join(', ')} was not found in ${a.genotypes} (${genotypeVariants} variants): check the genome build and that VEP ran on these genotypes' sites`,
    });
  if (unmatchedAlleles)
    log.warn(
      `${unmatchedAlleles} of ${totalAlleles} annotated alleles are not in the genotype file (e.g. ${unmatchedExamples.join(', ')})`,
    );
  if (flippedAlleles) log.info(`${flippedAlleles} alleles matched with REF and ALT swapped (allele_flipped)`);
  if (noTss) log.warn(`${noTss} rows have a gene that is not in ${a.genes}: tss_distance is NaN there`);
  log.info(`${rows} variant × gene rows written (${termList.length} consequence terms)`);
  return {
    vep: { format: hdr.format, version: hdr.version ?? null, fields: hdr.fields.length, variants },
    genotype_variants: genotypeVariants,
    alleles: {
      annotated: totalAlleles,
      matched: matchedAlleles,
      unmatched: unmatchedAlleles,
      flipped: flippedAlleles,
    },
    entries_without_gene: entriesNoGene,
    rows,
    consequence_terms: termList,
    genes_without_position: a.genes ? noTss : null,
    pick: a.pick,
  };
}

export const annotateCommand: CommandModule<object, AnnotateArgs> = {
  command: 'annotate',
  describe: 'Ensembl VEP output (VCF CSQ or tab) → variant × gene annotations matched to the genotypes',
  builder,
  handler: async (argv) => {
    process.exitCode = await runStage('annotate', argv, (ctx) => annotateStage(argv, ctx));
  },
};
