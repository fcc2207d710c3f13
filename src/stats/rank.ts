/**
 * Ranks with ties averaged (R `rank(x, ties.method = "average")`, scipy `rankdata`), 1-based.
 * `out[i]` is the rank of `x[i]`. NaN is not allowed (callers validate first).
 */
export function rankAverage(
  x: ArrayLike<number>,
  out: Float64Array = new Float64Array(x.length),
): Float64Array {
  const n = x.length;
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  idx.sort((a, b) => x[a] - x[b]);
  let i = 0;
  while (i < n) {
    let j = i + 1;
    while (j < n && x[idx[j]] === x[idx[i]]) j++;
    // positions i..j-1 (0-based) tie: average of ranks i+1..j
    const r = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) out[idx[k]] = r;
    i = j;
  }
  return out;
}

/** Sample quantile, R's default type 7: (1−h)·x[lo] + h·x[hi] on the sorted values, as `quantile()` computes it. */
export function quantileType7(x: ArrayLike<number>, p: number): number {
  const n = x.length;
  if (n === 0) return NaN;
  const s = Float64Array.from(x).sort();
  const index = 1 + (n - 1) * p;
  const lo = Math.floor(index);
  const hi = Math.ceil(index);
  const qs = s[lo - 1];
  if (index > lo && s[hi - 1] !== qs) {
    const h = index - lo;
    return (1 - h) * qs + h * s[hi - 1];
  }
  return qs;
}

/**
 * Mean as R computes it for doubles (sum in long double, divided by n, refined by the mean residual).
 * A compensated sum reproduces the long-double accuracy in double; a refinement pass in double would
 * only add rounding of its own.
 */
export function meanR(x: ArrayLike<number>): number {
  return sumCompensated(x) / x.length;
}

/** Neumaier-compensated sum: close to R's long-double accumulation of colSums/sum. */
export function sumCompensated(x: ArrayLike<number>, start = 0, end = x.length, stride = 1): number {
  let sum = 0;
  let c = 0;
  for (let i = start; i < end; i += stride) {
    const v = x[i];
    const t = sum + v;
    if (Math.abs(sum) >= Math.abs(v)) c += sum - t + v;
    else c += v - t + sum;
    sum = t;
  }
  return sum + c;
}

/** Median (average of the two middle values for even n), as R `median`. */
export function median(x: ArrayLike<number>): number {
  const s = Float64Array.from(x).sort();
  const n = s.length;
  if (n === 0) return NaN;
  const h = n >> 1;
  return n % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}
