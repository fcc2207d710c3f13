process SEGMENT {
    tag "${segment_mode}"
    label 'process_high'
    container params.container

    input:
    path genotypes       // folder of chr<N>_ALTlr.csv / chr<N>_REFlr.csv
    path quantifications
    path copynumber
    path segmentation
    path covariates
    val segment_mode

    output:
    path "segment_${segment_mode}.segment_*.parquet", emit: table
    path "segment_${segment_mode}.summary.json",      emit: summary

    script:
    def cov = covariates.name != 'NO_FILE' ? "--covariates ${covariates}" : ''
    def negFlag = params.segment_neg_control ? '--neg-control' : ''
    """
    qtlflow segment \\
        --mode ${segment_mode} \\
        --genotypes ${genotypes} \\
        --quantifications ${quantifications} \\
        --copynumber ${copynumber} \\
        --segmentation ${segmentation} \\
        ${cov} \\
        ${negFlag} \\
        --window ${params.segment_window} \\
        --permutations ${params.segment_permutations} \\
        --perm-method ${params.segment_perm_method} \\
        --seed ${params.segment_seed} \\
        --out segment_${segment_mode} \\
        --threads ${task.cpus} \\
        --log-format json
    """

    stub:
    """
    touch segment_${segment_mode}.segment_${segment_mode}.parquet segment_${segment_mode}.summary.json
    """
}
