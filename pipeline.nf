#!/usr/bin/env nextflow
/*
 * qtlflow: molecular QTL mapping. This file only wires channels; each stage is a module that calls one
 * `qtlflow <stage>` command line.
 */
nextflow.enable.dsl = 2

include { IMPORT    } from './modules/import/main.nf'
include { NORMALIZE } from './modules/normalize/main.nf'
include { FACTORS   } from './modules/factors/main.nf'
include { CIS       } from './modules/cis/main.nf'

workflow {
    if (!params.counts) {
        error "Missing --counts: a counts/quantification matrix (BED, TSV or counts Parquet)"
    }
    counts_ch     = Channel.fromPath(params.counts, checkIfExists: true)
    annotation_ch = params.annotation ? Channel.fromPath(params.annotation, checkIfExists: true) : Channel.value(file("${projectDir}/assets/NO_FILE"))

    NORMALIZE(counts_ch, annotation_ch)

    if (params.genotypes) {
        // the index (.tbi/.csi) or the .bim/.fam travel with the genotype file
        genotypes_ch = Channel.fromPath(params.genotypes, checkIfExists: true)
        sidecars_ch  = Channel.fromPath("${params.genotypes}.{tbi,csi}").mix(Channel.fromPath(params.genotypes.replaceAll(/\.bed$/, '') + '.{bim,fam}')).collect().ifEmpty([])
        IMPORT(genotypes_ch, sidecars_ch)
        if (params.factors && !params.covariates) {
            // covariates made here: known covariates + genotype PCs + hidden factors
            known_ch = params.known_covariates ? Channel.fromPath(params.known_covariates, checkIfExists: true) : Channel.value(file("${projectDir}/assets/NO_FILE"))
            FACTORS(NORMALIZE.out.phenotypes, IMPORT.out.genotypes, known_ch)
            covariates_ch = FACTORS.out.covariates
        } else {
            covariates_ch = params.covariates ? Channel.fromPath(params.covariates, checkIfExists: true) : Channel.value(file("${projectDir}/assets/NO_FILE"))
        }
        CIS(IMPORT.out.genotypes, NORMALIZE.out.phenotypes, covariates_ch)
    }
}
