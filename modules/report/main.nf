process REPORT {
    tag 'report'
    label 'process_low'
    container params.container

    input:
    path results, stageAs: 'results/*'
    path phenotypes
    path genotypes
    path truth

    output:
    path 'report.html',         emit: html
    path 'report.summary.json', emit: summary

    script:
    def truthFlag = truth.name != 'NO_FILE' ? "--truth ${truth}" : ''
    """
    qtlflow report \\
        --out report.html \\
        --phenotypes ${phenotypes} \\
        --genotypes ${genotypes} \\
        ${truthFlag} \\
        --fdr ${params.fdr} \\
        --top-loci ${params.report_top_loci} \\
        --max-points ${params.report_max_points} \\
        --threads ${task.cpus} \\
        --log-format json \\
        results
    """

    stub:
    """
    touch report.html report.summary.json
    """
}
