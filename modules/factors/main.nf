process FACTORS {
    tag "${phenotypes.simpleName}"
    label 'process_medium'
    container params.container

    input:
    path phenotypes
    path genotypes
    path known

    output:
    path 'covariates.parquet',            emit: covariates
    path 'covariates.factors.parquet',    emit: factors
    path 'covariates.peer_bound.parquet', emit: bound, optional: true
    path 'covariates.summary.json',       emit: summary

    script:
    def knownFlag = known.name != 'NO_FILE' ? "--known ${known}" : ''
    """
    qtlflow factors \\
        --phenotypes ${phenotypes} \\
        --genotypes ${genotypes} \\
        --genotype-pcs ${params.genotype_pcs} \\
        ${knownFlag} \\
        --method ${params.factors_method} \\
        --k ${params.factors_k} \\
        --max-iter ${params.peer_max_iter} \\
        --seed ${params.factors_seed} \\
        --out covariates.parquet \\
        --threads ${task.cpus} \\
        --log-format json
    """

    stub:
    """
    touch covariates.parquet covariates.factors.parquet covariates.peer_bound.parquet covariates.summary.json
    """
}
