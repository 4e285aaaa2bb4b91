/** The two summaries the bench reports for repeated measurements. */

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The fastest run: the least disturbed by other load on the machine. */
export function best(values: readonly number[]): number {
  return Math.min(...values);
}
