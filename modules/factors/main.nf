process FACTORS {
    tag "${phenotypes.simpleName}"
    label 'process_medium'
    container params.container

    input:
    val label        // '' for the bulk branch; '<cell type>.' for the single-cell branch (prefixes every output)
    path phenotypes
    path genotypes
    path known

    output:
    path "${label}covariates.parquet",            emit: covariates
    path "${label}covariates.factors.parquet",    emit: factors
    path "${label}covariates.peer_bound.parquet", emit: bound, optional: true
    path "${label}covariates.summary.json",       emit: summary

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
        --out ${label}covariates.parquet \\
        --threads ${task.cpus} \\
        --log-format json
    """

    stub:
    """
    touch ${label}covariates.parquet ${label}covariates.factors.parquet ${label}covariates.peer_bound.parquet ${label}covariates.summary.json
    """
}
