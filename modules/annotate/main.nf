process ANNOTATE {
    tag "${vep.simpleName}"
    label 'process_low'
    container params.container

    input:
    path vep
    path genotypes
    path genes

    output:
    path 'annotations.parquet',     emit: annotations
    path 'annotations.summary.json', emit: summary

    script:
    def genesFlag = genes.name != 'NO_FILE' ? "--genes ${genes}" : ''
    """
    qtlflow annotate \\
        --vep ${vep} \\
        --genotypes ${genotypes} \\
        ${genesFlag} \\
        --pick ${params.annotate_pick} \\
        --out annotations.parquet \\
        --threads ${task.cpus} \\
        --log-format json
    """

    stub:
    """
    touch annotations.parquet annotations.summary.json
    """
}
