process IMPORT {
    tag "${genotypes.simpleName}"
    label 'process_medium'
    container params.container

    input:
    path genotypes
    path genotype_sidecars

    output:
    path 'genotypes.parquet',      emit: genotypes
    path 'genotypes.summary.json', emit: summary

    script:
    def maf = params.maf_min > 0 ? "--maf-min ${params.maf_min}" : ''
    """
    qtlflow import \\
        --genotypes ${genotypes} \\
        ${maf} \\
        --out genotypes.parquet \\
        --threads ${task.cpus} \\
        --log-format json
    """

    stub:
    """
    touch genotypes.parquet genotypes.summary.json
    """
}
