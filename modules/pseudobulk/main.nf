process PSEUDOBULK {
    tag "${h5ad.simpleName}"
    label 'process_medium'
    container params.container

    input:
    path h5ad

    output:
    path 'pseudobulk/*.counts.parquet',        emit: counts
    path 'pseudobulk/pseudobulk.cells.parquet', emit: cells
    path 'pseudobulk/donor_covariates.tsv',     emit: donor_covariates, optional: true
    path 'pseudobulk/pseudobulk.summary.json',  emit: summary

    script:
    def layerFlag = params.sc_layer ? "--layer ${params.sc_layer}" : ''
    def celltypesFlag = params.celltypes ? "--celltypes ${params.celltypes}" : ''
    def donorCovFlag = params.donor_covariates ? "--donor-covariates ${params.donor_covariates}" : ''
    """
    qtlflow pseudobulk \\
        --h5ad ${h5ad} \\
        --donor-key ${params.donor_key} \\
        --celltype-key ${params.celltype_key} \\
        ${layerFlag} \\
        ${celltypesFlag} \\
        ${donorCovFlag} \\
        --func ${params.pseudobulk_func} \\
        --min-cells ${params.min_cells} \\
        --min-donor-frac ${params.min_donor_frac} \\
        --out-dir pseudobulk \\
        --threads ${task.cpus} \\
        --log-format json
    """

    stub:
    """
    mkdir -p pseudobulk
    touch pseudobulk/celltype.counts.parquet pseudobulk/pseudobulk.cells.parquet pseudobulk/donor_covariates.tsv pseudobulk/pseudobulk.summary.json
    """
}
