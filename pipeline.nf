#!/usr/bin/env nextflow
/*
 * qtlflow: molecular QTL mapping. This file only wires channels; each stage is a module that calls one
 * `qtlflow <stage>` command line.
 */
nextflow.enable.dsl = 2

include { NORMALIZE } from './modules/normalize/main.nf'

workflow {
    if (!params.counts) {
        error "Missing --counts: a counts/quantification matrix (BED, TSV or counts Parquet)"
    }
    counts_ch     = Channel.fromPath(params.counts, checkIfExists: true)
    annotation_ch = params.annotation ? Channel.fromPath(params.annotation, checkIfExists: true) : Channel.value(file("${projectDir}/assets/NO_FILE"))

    NORMALIZE(counts_ch, annotation_ch)
}
