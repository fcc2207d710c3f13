process CIS_MERGE {
    tag "${label}${mode}"
    label 'process_low'
    container params.container

    input:
    val label        // '' for the bulk branch; '<cell type>.' for the single-cell branch (prefixes every output)
    path chunks
    val mode

    output:
    path "${label}cis.*.parquet",    emit: tables
    path "${label}cis.summary.json", emit: summary

    script:
    // every chunk's outputs, staged here; each chunk is named by its summary file
    def prefixes = chunks.collect { it.name }.findAll { it.endsWith('.summary.json') }.collect { it - '.summary.json' }.sort().join(' ')
    """
    qtlflow cis-merge \\
        --inputs ${prefixes} \\
        --out ${label}cis \\
        --fdr ${params.fdr} \\
        --threads ${task.cpus} \\
        --log-format json
    """

    stub:
    """
    touch ${label}cis.${mode}.parquet ${label}cis.summary.json
    """
}
