process CIS_MERGE {
    tag "${mode}"
    label 'process_low'
    container params.container

    input:
    path chunks
    val mode

    output:
    path "cis_${mode}.*.parquet",    emit: tables
    path "cis_${mode}.summary.json", emit: summary

    script:
    // every chunk's outputs, staged here; each chunk is named by its summary file
    def prefixes = chunks.collect { it.name }.findAll { it.endsWith('.summary.json') }.collect { it - '.summary.json' }.sort().join(' ')
    """
    qtlflow cis-merge \\
        --inputs ${prefixes} \\
        --out cis_${mode} \\
        --fdr ${params.fdr} \\
        --threads ${task.cpus} \\
        --log-format json
    """

    stub:
    """
    touch cis_${mode}.cis_qtl.parquet cis_${mode}.summary.json
    """
}
