process NORMALIZE {
    tag "${counts.simpleName}"
    label 'process_medium'
    container params.container

    input:
    path counts
    path annotation

    output:
    path 'phenotypes.parquet',      emit: phenotypes
    path 'phenotypes.summary.json', emit: summary
    path 'normalize.report.json',   emit: report

    script:
    def ann = annotation.name != 'NO_FILE' ? "--annotation ${annotation}" : ''
    def intFlag = params.inverse_normal ? '--int' : ''
    """
    qtlflow normalize \\
        --input ${counts} \\
        ${ann} \\
        --out phenotypes.parquet \\
        --method ${params.norm_method} \\
        ${intFlag} \\
        --min-count ${params.min_count} \\
        --min-tpm ${params.min_tpm} \\
        --min-sample-frac ${params.min_sample_frac} \\
        --report normalize.report.json \\
        --threads ${task.cpus} \\
        --log-format json
    """

    stub:
    """
    touch phenotypes.parquet phenotypes.summary.json normalize.report.json
    """
}
