/**
 * The `finemap` stage: SuSiE on the cis window of a phenotype, as tensorQTL's `susie.map` and the eQTL
 * Catalogue do it: genotypes (mean-imputed) and phenotype are residualized on [1, covariates] first, then
 * susieR's `susie()` runs on the residuals (it centres and scales them itself). Summary-statistics loci go
 * through `susieRss`. This module turns a fit into the rows of the `susie_pip` and `susie_cs` tables.
 */
import type { ColumnData } from '../../io/parquet.js';
import { susie, susieRss } from './susie.js';
import type { SusieFit, SusieOptions } from './susie.js';

export { susie, susieRss, SUSIE_DEFAULTS, SusieNumericError } from './susie.js';
export type { SusieFit, SusieOptions, CredibleSet } from './susie.js';

/** The variables of one fine-mapped locus. */
export interface LocusVariants {
  id: string[];
  chr: string[];
  pos: ArrayLike<number>;
  ref: string[];
  alt: string[];
  /** ALT allele frequency (NaN when unknown). */
  af: ArrayLike<number>;
  /** Marginal effect of one ALT allele and its SE (the `cis` nominal slope / slope_se for individual data). */
  slope: ArrayLike<number>;
  slopeSe: ArrayLike<number>;
}

export interface LocusFit {
  fit: SusieFit;
  /** Posterior mean and SD of each variable's effect on the input scale (over effects with V > prior_tol). */
  posteriorMean: Float64Array;
  posteriorSd: Float64Array;
}

function posteriorMoments(fit: SusieFit, scale: Float64Array, priorTol: number) {
  const { L, p, alpha, mu, mu2, V } = fit;
  const mean = new Float64Array(p);
  const v = new Float64Array(p);
  for (let l = 0; l < L; l++) {
    if (!(V[l] > priorTol)) continue;
    for (let j = 0; j < p; j++) {
      const am = alpha[l * p + j] * mu[l * p + j];
      mean[j] += am;
      v[j] += alpha[l * p + j] * mu2[l * p + j] - am * am;
    }
  }
  const sd = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    mean[j] /= scale[j];
    sd[j] = Math.sqrt(v[j]) / scale[j];
  }
  return { mean, sd };
}

/**
 * Marginal OLS slope of y on each residualized genotype row and its SE with `dof` residual degrees of freedom
 * (the `cis` stage's model: the same numbers as its nominal pass).
 */
export function marginalEffects(x: Float64Array, p: number, n: number, y: Float64Array, dof: number) {
  let yy = 0;
  for (let i = 0; i < n; i++) yy += y[i] * y[i];
  const slope = new Float64Array(p);
  const slopeSe = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    let xy = 0;
    let xx = 0;
    for (let i = 0; i < n; i++) {
      const v = x[j * n + i];
      xy += v * y[i];
      xx += v * v;
    }
    const r2 = Math.min((xy * xy) / (xx * yy), 1);
    slope[j] = xy / xx;
    slopeSe[j] = Math.abs(slope[j]) / Math.sqrt((dof * r2) / (1 - r2));
  }
  return { slope, slopeSe };
}

/**
 * SuSiE on individual-level data of one window: `x` holds the residualized genotypes (p × n, variant-major) and
 * is overwritten; `y` the residualized phenotype.
 */
export function fineMapIndividual(
  x: Float64Array,
  p: number,
  n: number,
  y: Float64Array,
  options: Partial<SusieOptions>,
): LocusFit {
  const { fit, data } = susie(x, p, n, y, options);
  const { mean, sd } = posteriorMoments(fit, data.colScale, options.priorTol ?? 1e-9);
  return { fit, posteriorMean: mean, posteriorSd: sd };
}

/** susie_rss on z-scores and an LD matrix (p × p) with sample size n. */
export function fineMapSummary(
  z: ArrayLike<number>,
  ld: Float64Array,
  n: number,
  options: Partial<SusieOptions> & { onAsymmetry?: (d: number) => void },
): LocusFit {
  const { fit, data } = susieRss(z, ld, n, options);
  // posterior effects on the z scale of the standardized summary data (susie_rss has no genotype scale)
  const { mean, sd } = posteriorMoments(fit, data.scale, options.priorTol ?? 1e-9);
  return { fit, posteriorMean: mean, posteriorSd: sd };
}

/** Columns of the `susie_pip` table for one locus (schema order of `susiePipSpec(L)`). */
export function pipColumns(phenotypeId: string, v: LocusVariants, r: LocusFit, L: number): ColumnData[] {
  const { fit } = r;
  const p = fit.p;
  const csOf = new Int32Array(p);
  for (const c of fit.sets) if (c.pure) for (const j of c.variables) if (csOf[j] === 0) csOf[j] = c.effect;
  const effectCols: Float64Array[] = [];
  for (const m of [fit.alpha, fit.lbfVariable])
    for (let l = 0; l < L; l++) {
      const col = new Float64Array(p).fill(NaN);
      if (l < fit.L) col.set(m.subarray(l * p, (l + 1) * p));
      effectCols.push(col);
    }
  return [
    new Array<string>(p).fill(phenotypeId),
    v.id,
    v.chr,
    Int32Array.from(v.pos),
    v.ref,
    v.alt,
    Float64Array.from(v.af),
    Float64Array.from(v.slope),
    Float64Array.from(v.slopeSe),
    fit.pip,
    csOf,
    r.posteriorMean,
    r.posteriorSd,
    new Array<boolean>(p).fill(fit.converged),
    new Int32Array(p).fill(fit.niter),
    ...effectCols,
  ];
}

/** Columns of the `susie_cs` table for one locus. */
export function csColumns(phenotypeId: string, v: LocusVariants, r: LocusFit): ColumnData[] {
  const { fit } = r;
  const sets = fit.sets;
  const lead = sets.map((c) => c.variables.reduce((a, b) => (fit.pip[b] > fit.pip[a] ? b : a)));
  let rank = 0;
  return [
    sets.map(() => phenotypeId),
    Int32Array.from(sets.map((c) => c.effect)),
    Int32Array.from(sets.map((c) => (c.pure ? ++rank : 0))),
    sets.map((c) => c.pure),
    Int32Array.from(sets.map((c) => c.variables.length)),
    sets.map((c) => c.variables.map((j) => v.id[j]).join(',')),
    lead.map((j) => v.id[j]),
    Float64Array.from(lead.map((j) => fit.pip[j])),
    Float64Array.from(sets.map((c) => c.coverage)),
    Float64Array.from(sets.map((c) => c.minAbsCorr)),
    Float64Array.from(sets.map((c) => c.meanAbsCorr)),
    Float64Array.from(sets.map((c) => c.medianAbsCorr)),
    Float64Array.from(sets.map((c) => fit.lbf[c.effect - 1])),
    Float64Array.from(sets.map((c) => fit.V[c.effect - 1])),
  ];
}
