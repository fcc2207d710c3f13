/**
 * Ranks with ties averaged (R `rank(x, ties.method = "average")`, scipy `rankdata`), 1-based.
 * `out[i]` is the rank of `x[i]`. NaN is not allowed (callers validate first).
 * Sorting a copy natively and locating each value by binary search (first and last position of its tie
 * group) is several times faster than an index sort with a comparator closure.
 */
export function rankAverage(
  x: ArrayLike<number>,
  out: Float64Array = new Float64Array(x.length),
): Float64Array {
  const n = x.length;
  const s = new Float64Array(n);
  for (let i = 0; i < n; i++) s[i] = x[i];
  s.sort();
  // end[lo] caches the end of the tie group starting at sorted position lo (0 = not computed yet)
  const end = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = x[i];
    // lo = number of values < v: the tie group holds ranks lo+1 … up
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    let up = end[lo];
    if (up === 0) {
      up = lo + 1;
      while (up < n && s[up] === v) up++;
      end[lo] = up;
    }
    out[i] = (lo + 1 + up) / 2;
  }
  return out;
}

/** Sample quantile, R's default type 7: (1−h)·x[lo] + h·x[hi] on the sorted values, as `quantile()` computes it. */
export function quantileType7(x: ArrayLike<number>, p: number): number {
  const n = x.length;
  if (n === 0) return NaN;
  const s = new Float64Array(n);
  for (let i = 0; i < n; i++) s[i] = x[i];
  s.sort();
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
