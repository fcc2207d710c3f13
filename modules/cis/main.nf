process CIS {
    tag "${phenotypes.simpleName}"
    label 'process_high'
    container params.container

    input:
    path genotypes
    path phenotypes
    path covariates

    output:
    path 'cis.cis_qtl.parquet', emit: permutations
    path 'cis.summary.json',    emit: summary

    script:
    def cov = covariates.name != 'NO_FILE' ? "--covariates ${covariates}" : ''
    """
    qtlflow cis \\
        --genotypes ${genotypes} \\
        --phenotypes ${phenotypes} \\
        ${cov} \\
        --mode permute \\
        --window ${params.cis_window} \\
        --permutations ${params.cis_permutations} \\
        --seed ${params.cis_seed} \\
        --fdr ${params.fdr} \\
        --out cis \\
        --threads ${task.cpus} \\
        --log-format json
    """

    stub:
    """
    touch cis.cis_qtl.parquet cis.summary.json
    """
}
