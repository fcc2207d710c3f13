process COLOC {
    tag "${gwas.simpleName}"
    label 'process_low'
    container params.container

    input:
    path susie_pip
    path susie_cs
    path gwas
    path genotypes

    output:
    path 'coloc.coloc.parquet',     emit: posteriors
    path 'coloc.coloc_snp.parquet', emit: snps
    path 'coloc.summary.json',      emit: summary

    script:
    // the credible-set table is staged beside the SuSiE table (finemap.susie_cs.parquet), where coloc looks for it
    def gwasN = params.gwas_n ? "--N2 ${params.gwas_n}" : ''
    """
    qtlflow coloc \\
        --dataset1 ${susie_pip} \\
        --dataset2 ${gwas} \\
        --method ${params.coloc_method} \\
        --type2 ${params.gwas_type} \\
        ${gwasN} \\
        --genotypes ${genotypes} \\
        --p1 ${params.coloc_p1} \\
        --p2 ${params.coloc_p2} \\
        --out coloc \\
        --threads ${task.cpus} \\
        --log-format json
    """

    stub:
    """
    touch coloc.coloc.parquet coloc.coloc_snp.parquet coloc.summary.json
    """
}
