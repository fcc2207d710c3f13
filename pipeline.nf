#!/usr/bin/env nextflow
/*
 * qtlflow: molecular QTL mapping. This file only wires channels; each stage is a module that calls one
 * `qtlflow <stage>` command line.
 */
nextflow.enable.dsl = 2

include { IMPORT    } from './modules/import/main.nf'
include { NORMALIZE } from './modules/normalize/main.nf'
include { CIS       } from './modules/cis/main.nf'
include { COVERAGE  } from './modules/coverage/main.nf'
include { REPORT    } from './modules/report/main.nf'

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
            covariates_ch = params.covariates ? Channel.fromPath(params.covariates, checkIfExists: true) : Channel.value(no_file)
            CIS(IMPORT.out.genotypes, NORMALIZE.out.phenotypes, covariates_ch)

            if (params.report) {
                // one HTML report over every result and run summary of the QTL branch
                results_ch = CIS.out.permutations
                    .mix(CIS.out.summary, NORMALIZE.out.report, NORMALIZE.out.summary, IMPORT.out.summary)
                    .collect()
                truth_ch = params.truth ? Channel.value(file(params.truth, checkIfExists: true)) : Channel.value(no_file)
                REPORT(results_ch, NORMALIZE.out.phenotypes, IMPORT.out.genotypes, truth_ch)
            }
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
