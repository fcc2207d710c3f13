"""SKAT reference values computed independently of qtlflow, for test/conformance/rare.skat.test.ts.

The SKAT R package (CRAN) is not installable on the build machines, so this re-derives what its linear-trait
test computes (SKAT_Null_Model(y ~ X) then SKAT(Z, obj, kernel = "linear.weighted", weights.beta = c(1, 25))):
  residuals r and s2 = RSS/(n - p) of lm(y ~ 1 + covariates); Z = G diag(w), w = dbeta(MAF, 1, 25) with G the
  minor-allele dosages; Q = r'ZZ'r / (2 s2); lambda = eigenvalues of (Z'Z - Z'X(X'X)^-1 X'Z)/2 above
  mean(lambda >= 0)/1e5 (Get_Lambda);
and the p-value P(sum lambda_j chi2_1 > Q) not by Davies' algorithm but by Imhof's (1961) inversion of the
characteristic function, integrated numerically with scipy.integrate.quad to ~1e-13. The burden (sum of the
Beta(1, 25)-weighted minor-allele dosages) is tested with statsmodels OLS (Wald t) and its likelihood-ratio test.

Usage: skat_reference.py VCF BED COVARIATES WINDOW MAF_MAX GENE...   (prints JSON)
"""
import gzip
import json
import sys

import numpy as np
import statsmodels.api as sm
from scipy import integrate, stats


def read_table(path):
    with gzip.open(path, "rt") as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def imhof_upper(q, lam):
    lam = np.asarray(lam, dtype=float)

    def integrand(u):
        theta = 0.5 * np.sum(np.arctan(lam * u)) - 0.5 * q * u
        rho = np.exp(0.25 * np.sum(np.log1p((lam * u) ** 2)))
        return np.sin(theta) / (u * rho)

    val, err = integrate.quad(integrand, 0, np.inf, limit=20000, epsabs=1e-14, epsrel=1e-12)
    return 0.5 + val / np.pi, err / np.pi


def main():
    vcf, bed, cov_path, window, maf_max = sys.argv[1:6]
    window = int(window)
    maf_max = float(maf_max)
    genes = sys.argv[6:]
    ph = read_table(bed)
    samples = ph[0][4:]
    cov = read_table(cov_path)
    cov_samples = cov[0][1:]
    X = np.column_stack([np.ones(len(samples))] + [
        np.array([float(r[1 + cov_samples.index(s)]) for s in samples]) for r in cov[1:]
    ])
    out = {}
    wanted = {r[3]: r for r in ph[1:] if r[3] in genes}
    # genotypes of the windows, minor-allele dosages, in BED sample order
    with gzip.open(vcf, "rt") as f:
        rows = []
        for line in f:
            if line.startswith("##"):
                continue
            fields = line.rstrip("\n").split("\t")
            if line.startswith("#"):
                idx = [fields.index(s) for s in samples]
                continue
            pos = int(fields[1])
            rows.append((pos, fields[2], [fields[i] for i in idx]))
    for gene, r in wanted.items():
        tss = int(r[1]) + 1
        y = np.array([float(v) for v in r[4:]])
        G = []
        ids = []
        for pos, vid, gts in rows:
            if abs(pos - tss) > window:
                continue
            d = np.array([sum(int(a) for a in gt.replace("|", "/").split("/")) for gt in gts], dtype=float)
            af = d.mean() / 2
            maf = min(af, 1 - af)
            if not (0 < maf <= maf_max):
                continue
            G.append(d if af <= 0.5 else 2 - d)
            ids.append(vid)
        G = np.column_stack(G)
        maf = G.mean(0) / 2
        w = stats.beta.pdf(maf, 1, 25)
        Z = G * w
        beta, *_ = np.linalg.lstsq(X, y, rcond=None)
        res = y - X @ beta
        s2 = res @ res / (len(y) - np.linalg.matrix_rank(X))
        q = float((res @ Z) @ (res @ Z) / (2 * s2))
        XtXi = np.linalg.inv(X.T @ X)
        W1 = Z.T @ Z - (Z.T @ X) @ XtXi @ (X.T @ Z)
        lam = np.linalg.eigvalsh(W1 / 2)[::-1]
        lam = lam[lam > lam[lam >= 0].mean() / 1e5]
        p, err = imhof_upper(q, lam)
        burden = G @ w
        full = sm.OLS(y, np.column_stack([X, burden])).fit()
        null = sm.OLS(y, X).fit()
        lr_stat, lr_p, _ = full.compare_lr_test(null)
        out[gene] = {
            "q": q,
            "p": p,
            "err": err,
            "num_var": len(ids),
            "lambda": lam.tolist(),
            "variants": ids,
            "burden_beta": float(full.params[-1]),
            "burden_se": float(full.bse[-1]),
            "burden_p": float(full.pvalues[-1]),
            "lrt": float(lr_stat),
            "lrt_p": float(lr_p),
        }
    json.dump(out, sys.stdout)


main()
