process NORMALIZE {
    tag "${counts.simpleName}"
    label 'process_medium'
    container params.container

    input:
    val label        // '' for the bulk branch; '<cell type>.' for the single-cell branch (prefixes every output)
    path counts
    path annotation

    output:
    path "${label}phenotypes.parquet",      emit: phenotypes
    path "${label}phenotypes.summary.json", emit: summary
    path "${label}normalize.report.json",   emit: report

    script:
    def ann = annotation.name != 'NO_FILE' ? "--annotation ${annotation}" : ''
    def intFlag = params.inverse_normal ? '--int' : ''
    """
    qtlflow normalize \\
        --input ${counts} \\
        ${ann} \\
        --out ${label}phenotypes.parquet \\
        --method ${params.norm_method} \\
        ${intFlag} \\
        --min-count ${params.min_count} \\
        --min-tpm ${params.min_tpm} \\
        --min-sample-frac ${params.min_sample_frac} \\
        --report ${label}normalize.report.json \\
        --threads ${task.cpus} \\
        --log-format json
    """

    stub:
    """
    touch ${label}phenotypes.parquet ${label}phenotypes.summary.json ${label}normalize.report.json
    """
}
