process TRANS {
    tag "${phenotypes.simpleName}"
    label 'process_high'
    container params.container

    input:
    path genotypes
    path phenotypes
    path covariates

    output:
    path 'trans.trans_qtl_pairs.parquet', emit: pairs
    path 'trans.*',                        emit: results

    script:
    def cov = covariates.name != 'NO_FILE' ? "--covariates ${covariates}" : ''
    """
    qtlflow trans \\
        --genotypes ${genotypes} \\
        --phenotypes ${phenotypes} \\
        ${cov} \\
        --pval-threshold ${params.trans_pval_threshold} \\
        --cis-exclude ${params.trans_cis_exclude} \\
        --maf-min ${params.trans_maf_min} \\
        --permutations ${params.trans_permutations} \\
        --out trans \\
        --threads ${task.cpus} \\
        --log-format json
    """

    stub:
    """
    touch trans.trans_qtl_pairs.parquet trans.summary.json
    """
}
