process CIS_MERGE {
    tag "${label}${mode}"
    label 'process_low'
    container params.container

    input:
    val label        // '' for the bulk branch; '<cell type>.' for the single-cell branch (prefixes every output)
    path chunks
    val mode

    output:
    path "${label}cis_${mode}.*.parquet",    emit: tables
    path "${label}cis_${mode}.summary.json", emit: summary

    script:
    // every chunk's outputs, staged here; each chunk is named by its summary file
    def prefixes = chunks.collect { it.name }.findAll { it.endsWith('.summary.json') }.collect { it - '.summary.json' }.sort().join(' ')
    """
    qtlflow cis-merge \\
        --inputs ${prefixes} \\
        --out ${label}cis_${mode} \\
        --fdr ${params.fdr} \\
        --threads ${task.cpus} \\
        --log-format json
    """

    stub:
    """
    touch ${label}cis_${mode}.cis_qtl.parquet ${label}cis_${mode}.summary.json
    """
}
