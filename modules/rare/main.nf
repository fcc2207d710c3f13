process RARE {
    tag "${phenotypes.simpleName}"
    label 'process_medium'
    container params.container

    input:
    path genotypes
    path phenotypes
    path covariates
    path annotations

    output:
    path 'rare.parquet',      emit: results
    path 'rare.summary.json', emit: summary

    script:
    def cov = covariates.name != 'NO_FILE' ? "--covariates ${covariates}" : ''
    def annFlag = annotations.name != 'NO_FILE' ? "--annotations ${annotations}" : ''
    """
    qtlflow rare \\
        --genotypes ${genotypes} \\
        --phenotypes ${phenotypes} \\
        ${cov} \\
        ${annFlag} \\
        --test ${params.rare_test} \\
        --maf-max ${params.rare_maf_max} \\
        --weights ${params.rare_weights} \\
        --agg ${params.rare_agg} \\
        --window ${params.rare_window} \\
        --out rare.parquet \\
        --threads ${task.cpus} \\
        --log-format json
    """

    stub:
    """
    touch rare.parquet rare.summary.json
    """
}
