/**
 * Summaries a noisy 2-core machine can be trusted with: several rounds, the median and the spread
 * (lowest–highest), and ratios of medians taken in the same run. Pure.
 */

export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function median(values: number[]): number {
  if (values.length === 0) throw new Error("median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The q-quantile (0..1) by linear interpolation between the closest ranks. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) throw new Error("quantile of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const rank = q * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}

export function spread(values: number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), n: values.length };
}

/** `12.3 (11.9–13.0, n=3)`, in the unit's own digits. */
export function formatSpread(values: number[], digits = 1): string {
  if (values.length === 0) return "—";
  const s = spread(values);
  if (s.n === 1) return s.median.toFixed(digits);
  return `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)}, n=${s.n})`;
}

/** Ratio of the medians, `a / b`, as `1.23×`; "—" when either side has no value or b is 0. */
export function formatRatio(a: number[], b: number[]): string {
  if (a.length === 0 || b.length === 0 || median(b) === 0) return "—";
  return `${(median(a) / median(b)).toFixed(2)}×`;
}
