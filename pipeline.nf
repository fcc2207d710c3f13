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
include { PSEUDOBULK } from './modules/pseudobulk/main.nf'
include { NORMALIZE as SC_NORMALIZE        } from './modules/normalize/main.nf'
include { FACTORS   as SC_FACTORS          } from './modules/factors/main.nf'
include { CIS       as SC_CIS_PERMUTE      } from './modules/cis/main.nf'
include { CIS       as SC_CIS_NOMINAL      } from './modules/cis/main.nf'
include { CIS_MERGE as SC_MERGE_PERMUTE    } from './modules/cis_merge/main.nf'
include { CIS_MERGE as SC_MERGE_NOMINAL    } from './modules/cis_merge/main.nf'
include { SEGMENT   } from './modules/segment/main.nf'

workflow {
    if (!params.counts && !params.fragments && !params.h5ad && !params.segment_genotypes) {
        error "Missing --counts (a counts/quantification matrix: BED, TSV or counts Parquet), --h5ad (single-cell AnnData), --segment_genotypes (SegmentQTL inputs) or --fragments (ATAC fragments for coverage tracks)"
    }
    no_file = file("${projectDir}/assets/NO_FILE")

    if (params.genotypes) {
        // imported once for every branch; the index (.tbi/.csi) or the .bim/.fam travel with the genotype file
        genotypes_ch = Channel.fromPath(params.genotypes, checkIfExists: true)
        sidecars_ch  = Channel.fromPath("${params.genotypes}.{tbi,csi}").mix(Channel.fromPath(params.genotypes.replaceAll(/\.bed$/, '') + '.{bim,fam}')).collect().ifEmpty([])
        IMPORT(genotypes_ch, sidecars_ch)
        genotypes_v = IMPORT.out.genotypes.first()
    }

    if (params.counts) {
        counts_ch     = Channel.fromPath(params.counts, checkIfExists: true)
        annotation_ch = params.annotation ? Channel.fromPath(params.annotation, checkIfExists: true) : Channel.value(no_file)

        // the bulk branch's outputs carry no label ('')
        NORMALIZE('', counts_ch, annotation_ch)

        if (params.genotypes) {
            phenotypes_v  = NORMALIZE.out.phenotypes.first()
            if (params.factors && !params.covariates) {
                // covariates made here: known covariates + genotype PCs + hidden factors
                known_ch = params.known_covariates ? Channel.value(file(params.known_covariates, checkIfExists: true)) : Channel.value(no_file)
                FACTORS('', phenotypes_v, genotypes_v, known_ch)
                covariates_ch = FACTORS.out.covariates.first()
            } else {
                covariates_ch = params.covariates ? Channel.value(file(params.covariates, checkIfExists: true)) : Channel.value(no_file)
            }
            // cis work split into --cis_chunks slices of the position-sorted phenotypes, merged (and checked) after
            chunks_ch = Channel.of(1..params.cis_chunks).map { k -> "${k}/${params.cis_chunks}" }

            CIS_PERMUTE('', genotypes_v, phenotypes_v, covariates_ch, no_file, 'permute', chunks_ch)
            MERGE_PERMUTE('', CIS_PERMUTE.out.results.collect(), 'permute')
            if (params.cis_independent) {
                CIS_INDEPENDENT('', genotypes_v, phenotypes_v, covariates_ch, MERGE_PERMUTE.out.tables.first(), 'independent', chunks_ch)
                MERGE_INDEPENDENT('', CIS_INDEPENDENT.out.results.collect(), 'independent')
            }
            if (params.cis_nominal) {
                CIS_NOMINAL('', genotypes_v, phenotypes_v, covariates_ch, no_file, 'nominal', chunks_ch)
                MERGE_NOMINAL('', CIS_NOMINAL.out.results.collect(), 'nominal')
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

    if (params.h5ad && !(params.genotypes && params.annotation)) {
        error "--h5ad needs --genotypes (the donors' genotypes) and --annotation (gene positions for the pseudobulk counts)"
    }
    if (params.h5ad && params.genotypes && params.annotation) {
        // single-cell branch: donor × cell-type pseudobulk, then normalize → factors → cis for every cell type.
        // Each cell type's files carry its label ('<cell type>.') so its tasks are matched by name, never by order.
        PSEUDOBULK(Channel.fromPath(params.h5ad, checkIfExists: true))
        sc_counts = PSEUDOBULK.out.counts.flatten().multiMap { f ->
            label: f.name - 'counts.parquet'
            counts: f
        }
        sc_annotation = Channel.value(file(params.annotation, checkIfExists: true))
        SC_NORMALIZE(sc_counts.label, sc_counts.counts, sc_annotation)
        sc_genotypes_v = genotypes_v
        // known covariates: the donor-level obs columns, else the file given
        sc_known = params.donor_covariates ? PSEUDOBULK.out.donor_covariates.first() : (params.known_covariates ? Channel.value(file(params.known_covariates, checkIfExists: true)) : Channel.value(no_file))
        sc_pheno = SC_NORMALIZE.out.phenotypes.map { f -> [f.name - 'phenotypes.parquet', f] }
        sc_pheno_in = sc_pheno.multiMap { label, f ->
            label: label
            phenotypes: f
        }
        SC_FACTORS(sc_pheno_in.label, sc_pheno_in.phenotypes, sc_genotypes_v, sc_known)
        sc_cov = SC_FACTORS.out.covariates.map { f -> [f.name - 'covariates.parquet', f] }
        sc_chunks = Channel.of(1..params.cis_chunks).map { k -> "${k}/${params.cis_chunks}" }
        sc_cis = sc_pheno.join(sc_cov).combine(sc_chunks).multiMap { label, pheno, cov, chunk ->
            label: label
            phenotypes: pheno
            covariates: cov
            chunk: chunk
        }
        SC_CIS_PERMUTE(sc_cis.label, sc_genotypes_v, sc_cis.phenotypes, sc_cis.covariates, no_file, 'permute', sc_cis.chunk)
        // every cell type's chunks, grouped by label, merged per cell type
        sc_perm = SC_CIS_PERMUTE.out.results.flatten().map { f -> [f.name.substring(0, f.name.indexOf('cis_permute_')), f] }.groupTuple().multiMap { label, files ->
            label: label
            files: files
        }
        SC_MERGE_PERMUTE(sc_perm.label, sc_perm.files, 'permute')
        if (params.cis_nominal) {
            sc_nom_in = sc_pheno.join(sc_cov).combine(sc_chunks).multiMap { label, pheno, cov, chunk ->
                label: label
                phenotypes: pheno
                covariates: cov
                chunk: chunk
            }
            SC_CIS_NOMINAL(sc_nom_in.label, sc_genotypes_v, sc_nom_in.phenotypes, sc_nom_in.covariates, no_file, 'nominal', sc_nom_in.chunk)
            sc_nom = SC_CIS_NOMINAL.out.results.flatten().map { f -> [f.name.substring(0, f.name.indexOf('cis_nominal_')), f] }.groupTuple().multiMap { label, files ->
                label: label
                files: files
            }
            SC_MERGE_NOMINAL(sc_nom.label, sc_nom.files, 'nominal')
        }
    }

    if (params.segment_genotypes) {
        // SegmentQTL's inputs: allele-specific log-ratio dosages, copy number, segmentation; one task per mode
        if (!params.segment_quantifications || !params.segment_copynumber || !params.segment_segmentation) {
            error "--segment_genotypes needs --segment_quantifications, --segment_copynumber and --segment_segmentation"
        }
        segment_cov = params.segment_covariates ? Channel.value(file(params.segment_covariates, checkIfExists: true)) : Channel.value(no_file)
        SEGMENT(
            Channel.value(file(params.segment_genotypes, checkIfExists: true)),
            Channel.value(file(params.segment_quantifications, checkIfExists: true)),
            Channel.value(file(params.segment_copynumber, checkIfExists: true)),
            Channel.value(file(params.segment_segmentation, checkIfExists: true)),
            segment_cov,
            Channel.of(params.segment_modes.tokenize(','))
        )
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
