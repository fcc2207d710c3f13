"""Full OLS fits with statsmodels, the reference of the trans and interaction conformance tests.

Usage: ols_reference.py VCF BED COVARIATES PAIRS_JSON [INTERACTION]
PAIRS_JSON: [[gene, variant_position], ...]. Without INTERACTION: y ~ 1 + covariates + g, the t-test of g.
With INTERACTION (a text file 'id samples...' with one term): y ~ 1 + covariates + g + i + g:i.
Prints JSON: one {pval, b, se} per pair (and pval_i, b_i, pval_gi, b_gi, se_gi with INTERACTION).
"""
import gzip
import json
import sys

import numpy as np
import statsmodels.api as sm


def table(path):
    with gzip.open(path, "rt") if path.endswith(".gz") else open(path) as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


vcf, bed, cov_path, pairs_path = sys.argv[1:5]
inter_path = sys.argv[5] if len(sys.argv) > 5 else None
ph = table(bed)
samples = ph[0][4:]
y_of = {r[3]: np.array([float(v) for v in r[4:]]) for r in ph[1:]}
cov = table(cov_path)
C = np.column_stack([[float(r[1 + cov[0][1:].index(s)]) for s in samples] for r in cov[1:]])
pairs = json.load(open(pairs_path))
wanted = {pos for _, pos in pairs}
dos = {}
with gzip.open(vcf, "rt") as f:
    for line in f:
        if line.startswith("##"):
            continue
        fields = line.rstrip("\n").split("\t")
        if line.startswith("#"):
            idx = [fields.index(s) for s in samples]
            continue
        pos = int(fields[1])
        if pos in wanted:
            dos[pos] = np.array([sum(int(a) for a in fields[i].replace("|", "/").split("/")) for i in idx], float)
if inter_path:
    it = table(inter_path)
    inter = np.array([float(it[1][1 + it[0][1:].index(s)]) for s in samples])
out = []
for gene, pos in pairs:
    g = dos[pos]
    y = y_of[gene]
    if inter_path:
        X = sm.add_constant(np.column_stack([C, g, inter, g * inter]))
        f = sm.OLS(y, X).fit()
        k = C.shape[1] + 1
        out.append({"pval": f.pvalues[k], "b": f.params[k], "se": f.bse[k],
                    "pval_i": f.pvalues[k + 1], "b_i": f.params[k + 1], "se_i": f.bse[k + 1],
                    "pval_gi": f.pvalues[k + 2], "b_gi": f.params[k + 2], "se_gi": f.bse[k + 2]})
    else:
        f = sm.OLS(y, sm.add_constant(np.column_stack([C, g]))).fit()
        out.append({"pval": f.pvalues[-1], "b": f.params[-1], "se": f.bse[-1]})
json.dump(out, sys.stdout)
