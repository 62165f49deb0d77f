/** Small statistics helpers for the benchmarks: medians and spreads, never means of noisy samples. */

/** Summary of one sample set (milliseconds or any unit). */
export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly p10: number;
  readonly p90: number;
  readonly min: number;
  readonly max: number;
}

/** The q-quantile (0..1) by linear interpolation between closest ranks. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/** Median of the samples. */
export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

/** n, median, p10, p90, min, max; rounded to `digits` decimals. */
export function summarize(xs: readonly number[], digits = 1): Summary {
  const r = (x: number) => round(x, digits);
  return {
    n: xs.length,
    median: r(median(xs)),
    p10: r(quantile(xs, 0.1)),
    p90: r(quantile(xs, 0.9)),
    min: r(Math.min(...xs)),
    max: r(Math.max(...xs)),
  };
}

/** Rounds to `digits` decimals. */
export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** A deterministic PRNG (mulberry32), so every run picks the same burst composition. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
