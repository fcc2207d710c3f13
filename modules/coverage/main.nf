process COVERAGE {
    tag "${fragments.simpleName}"
    label 'process_medium'
    container params.container

    input:
    path fragments
    path groups
    path chrom_sizes
    path blacklist

    output:
    path 'coverage/coverage.json',               emit: files
    path 'coverage/coverage.summary.json',       emit: summary
    path "coverage/*${params.coverage_suffix}",  emit: tracks

    script:
    def blacklistFlag = blacklist.name != 'NO_FILE' ? "--blacklist ${blacklist}" : ''
    """
    qtlflow coverage \\
        --fragments ${fragments} \\
        --groups ${groups} \\
        --chrom-sizes ${chrom_sizes} \\
        ${blacklistFlag} \\
        --out-dir coverage \\
        --suffix ${params.coverage_suffix} \\
        --bin-size ${params.coverage_bin_size} \\
        --normalization ${params.coverage_normalization} \\
        --counting-strategy ${params.coverage_counting_strategy} \\
        --max-frag-length ${params.coverage_max_frag_length} \\
        --tempdir . \\
        --threads ${task.cpus} \\
        --log-format json
    """

    stub:
    """
    mkdir -p coverage
    touch coverage/coverage.json coverage/coverage.summary.json coverage/stub${params.coverage_suffix}
    """
}
