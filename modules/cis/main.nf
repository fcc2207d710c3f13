process CIS {
    tag "${label}${mode} ${chunk}"
    label 'process_high'
    container params.container

    input:
    val label        // '' for the bulk branch; '<cell type>.' for the single-cell branch (prefixes every output)
    path genotypes
    path phenotypes
    path covariates
    path cis_results
    val mode
    val chunk

    output:
    path "${label}cis_${mode}_${chunk.replace('/', 'of')}.*", emit: results

    script:
    def prefix = "${label}cis_${mode}_${chunk.replace('/', 'of')}"
    def cov = covariates.name != 'NO_FILE' ? "--covariates ${covariates}" : ''
    def egenes = cis_results.name != 'NO_FILE' ? "--cis-results ${cis_results}" : ''
    """
    qtlflow cis \\
        --genotypes ${genotypes} \\
        --phenotypes ${phenotypes} \\
        ${cov} \\
        ${egenes} \\
        --mode ${mode} \\
        --chunk ${chunk} \\
        --window ${params.cis_window} \\
        --permutations ${params.cis_permutations} \\
        --seed ${params.cis_seed} \\
        --maf-min ${params.maf_min} \\
        --fdr ${params.fdr} \\
        --out ${prefix} \\
        --threads ${task.cpus} \\
        --log-format json
    """

    stub:
    """
    touch ${label}cis_${mode}_${chunk.replace('/', 'of')}.summary.json ${label}cis_${mode}_${chunk.replace('/', 'of')}.cis_qtl.parquet
    """
}
