#!/usr/bin/env nextflow
/*
 * qtlflow: molecular QTL mapping. This file only wires channels; each stage is a module that calls one
 * `qtlflow <stage>` command line.
 */
nextflow.enable.dsl = 2

include { IMPORT    } from './modules/import/main.nf'
include { NORMALIZE } from './modules/normalize/main.nf'
include { FACTORS   } from './modules/factors/main.nf'
include { CIS as CIS_PERMUTE             } from './modules/cis/main.nf'
include { CIS as CIS_NOMINAL             } from './modules/cis/main.nf'
include { CIS as CIS_INDEPENDENT         } from './modules/cis/main.nf'
include { CIS_MERGE as MERGE_PERMUTE     } from './modules/cis_merge/main.nf'
include { CIS_MERGE as MERGE_NOMINAL     } from './modules/cis_merge/main.nf'
include { CIS_MERGE as MERGE_INDEPENDENT } from './modules/cis_merge/main.nf'
include { COVERAGE  } from './modules/coverage/main.nf'
include { FINEMAP   } from './modules/finemap/main.nf'
include { COLOC     } from './modules/coloc/main.nf'
include { REPORT    } from './modules/report/main.nf'
include { ANNOTATE  } from './modules/annotate/main.nf'
include { RARE      } from './modules/rare/main.nf'
include { TRANS     } from './modules/trans/main.nf'

workflow {
    if (!params.counts && !params.fragments) {
        error "Missing --counts (a counts/quantification matrix: BED, TSV or counts Parquet) or --fragments (ATAC fragments for coverage tracks)"
    }
    no_file = file("${projectDir}/assets/NO_FILE")

    if (params.counts) {
        counts_ch     = Channel.fromPath(params.counts, checkIfExists: true)
        annotation_ch = params.annotation ? Channel.fromPath(params.annotation, checkIfExists: true) : Channel.value(no_file)

        NORMALIZE(counts_ch, annotation_ch)

        if (params.genotypes) {
            // the index (.tbi/.csi) or the .bim/.fam travel with the genotype file
            genotypes_ch = Channel.fromPath(params.genotypes, checkIfExists: true)
            sidecars_ch  = Channel.fromPath("${params.genotypes}.{tbi,csi}").mix(Channel.fromPath(params.genotypes.replaceAll(/\.bed$/, '') + '.{bim,fam}')).collect().ifEmpty([])
            IMPORT(genotypes_ch, sidecars_ch)
            genotypes_v   = IMPORT.out.genotypes.first()
            phenotypes_v  = NORMALIZE.out.phenotypes.first()
            if (params.factors && !params.covariates) {
                // covariates made here: known covariates + genotype PCs + hidden factors
                known_ch = params.known_covariates ? Channel.value(file(params.known_covariates, checkIfExists: true)) : Channel.value(no_file)
                FACTORS(phenotypes_v, genotypes_v, known_ch)
                covariates_ch = FACTORS.out.covariates.first()
            } else {
                covariates_ch = params.covariates ? Channel.value(file(params.covariates, checkIfExists: true)) : Channel.value(no_file)
            }
            // cis work split into --cis_chunks slices of the position-sorted phenotypes, merged (and checked) after
            chunks_ch = Channel.of(1..params.cis_chunks).map { k -> "${k}/${params.cis_chunks}" }

            CIS_PERMUTE(genotypes_v, phenotypes_v, covariates_ch, no_file, 'permute', chunks_ch)
            MERGE_PERMUTE(CIS_PERMUTE.out.results.collect(), 'permute')
            if (params.cis_independent) {
                CIS_INDEPENDENT(genotypes_v, phenotypes_v, covariates_ch, MERGE_PERMUTE.out.tables.first(), 'independent', chunks_ch)
                MERGE_INDEPENDENT(CIS_INDEPENDENT.out.results.collect(), 'independent')
            }
            if (params.cis_nominal) {
                CIS_NOMINAL(genotypes_v, phenotypes_v, covariates_ch, no_file, 'nominal', chunks_ch)
                MERGE_NOMINAL(CIS_NOMINAL.out.results.collect(), 'nominal')
            }
            if (params.finemap) {
                FINEMAP(genotypes_v, phenotypes_v, covariates_ch, MERGE_PERMUTE.out.tables.first())
                if (params.gwas) {
                    gwas_ch = Channel.fromPath(params.gwas, checkIfExists: true)
                    COLOC(FINEMAP.out.pip, FINEMAP.out.cs, gwas_ch, genotypes_v)
                }
            }
            if (params.trans) {
                TRANS(genotypes_v, phenotypes_v, covariates_ch)
            }
            if (params.rare) {
                // functional weights from VEP output, when given
                if (params.vep) {
                    vep_ch   = Channel.fromPath(params.vep, checkIfExists: true)
                    genes_ch = params.annotation ? Channel.value(file(params.annotation, checkIfExists: true)) : Channel.value(no_file)
                    ANNOTATE(vep_ch, genotypes_v, genes_ch)
                    annotations_v = ANNOTATE.out.annotations.first()
                } else {
                    annotations_v = Channel.value(no_file)
                }
                RARE(genotypes_v, phenotypes_v, covariates_ch, annotations_v)
            }
            if (params.report) {
                // one HTML report over every result and run summary of the QTL branch
                results_ch = MERGE_PERMUTE.out.tables.mix(MERGE_PERMUTE.out.summary, NORMALIZE.out.report, NORMALIZE.out.summary, IMPORT.out.summary)
                if (params.cis_independent) {
                    results_ch = results_ch.mix(MERGE_INDEPENDENT.out.tables)
                }
                if (params.cis_nominal) {
                    results_ch = results_ch.mix(MERGE_NOMINAL.out.tables)
                }
                if (params.finemap) {
                    results_ch = results_ch.mix(FINEMAP.out.pip, FINEMAP.out.cs)
                    if (params.gwas) {
                        results_ch = results_ch.mix(COLOC.out.posteriors)
                    }
                }
                if (params.factors && !params.covariates) {
                    results_ch = results_ch.mix(FACTORS.out.summary)
                }
                truth_ch = params.truth ? Channel.value(file(params.truth, checkIfExists: true)) : Channel.value(no_file)
                REPORT(results_ch.collect(), phenotypes_v, genotypes_v, truth_ch)
            }
        } else if (params.finemap || params.gwas || params.trans || params.rare) {
            error "--finemap, --gwas, --trans and --rare need --genotypes"
        }
    }

    if (params.fragments) {
        // coverage tracks per cell group: its own inputs, independent of the QTL branch
        if (!params.cell_groups || !params.chrom_sizes) {
            error "--fragments needs --cell_groups (barcode<TAB>group) and --chrom_sizes (UCSC chrom.sizes)"
        }
        fragments_ch   = Channel.fromPath(params.fragments, checkIfExists: true)
        cell_groups_ch = Channel.value(file(params.cell_groups, checkIfExists: true))
        chrom_sizes_ch = Channel.value(file(params.chrom_sizes, checkIfExists: true))
        blacklist_ch   = params.blacklist ? Channel.value(file(params.blacklist, checkIfExists: true)) : Channel.value(no_file)
        COVERAGE(fragments_ch, cell_groups_ch, chrom_sizes_ch, blacklist_ch)
    }
}
