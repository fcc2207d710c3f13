process FINEMAP {
    tag "${phenotypes.simpleName}"
    label 'process_medium'
    container params.container

    input:
    path genotypes
    path phenotypes
    path covariates
    path permutations

    output:
    path 'finemap.susie_pip.parquet', emit: pip
    path 'finemap.susie_cs.parquet',  emit: cs
    path 'finemap.summary.json',      emit: summary

    script:
    def cov = covariates.name != 'NO_FILE' ? "--covariates ${covariates}" : ''
    """
    qtlflow finemap \\
        --genotypes ${genotypes} \\
        --phenotypes ${phenotypes} \\
        ${cov} \\
        --cis ${permutations} \\
        --fdr ${params.fdr} \\
        --window ${params.cis_window} \\
        --L ${params.finemap_L} \\
        --coverage ${params.finemap_coverage} \\
        --min-abs-corr ${params.finemap_min_abs_corr} \\
        --out finemap \\
        --threads ${task.cpus} \\
        --log-format json
    """

    stub:
    """
    touch finemap.susie_pip.parquet finemap.susie_cs.parquet finemap.summary.json
    """
}
