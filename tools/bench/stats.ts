/**
 * The arithmetic of `npm run bench`: medians, ratios, and the order runs are interleaved in.
 * Pure functions, tested in test/bench/bench.test.ts.
 */

/** The median of the values (the mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The order to run `runs` rounds of each variant in, alternating which goes first (A B, B A, A B…),
 * so that a machine getting busier or quieter, or a warm file cache, favours neither.
 */
export function interleave<T>(variants: readonly T[], runs: number): T[] {
  const order: T[] = [];
  for (let round = 0; round < runs; round++) {
    order.push(...(round % 2 === 0 ? variants : [...variants].reverse()));
  }
  return order;
}

/** Runs each variant `runs` times in interleaved order; the values measured, per variant. */
export async function measureInterleaved<K extends string>(
  variants: Readonly<Record<K, () => Promise<number>>>,
  runs: number,
  onRun?: (variant: K, value: number) => void,
): Promise<Record<K, number[]>> {
  const keys = Object.keys(variants) as K[];
  const results = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (const key of interleave(keys, runs)) {
    const value = await variants[key]();
    results[key].push(value);
    onRun?.(key, value);
  }
  return results;
}

/** `a / b` with two decimals, e.g. "1.18×". */
export function formatRatio(a: number, b: number): string {
  return `${(a / b).toFixed(2)}×`;
}

/** Milliseconds as seconds with two decimals, e.g. "2.84 s". */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/** The children's line of bash's `times`, e.g. "0m2.310s 0m0.290s", as ms of user + system. */
export function childCpuMs(line: string): number {
  const parts = [...line.matchAll(/(\d+)m([\d.]+)s/g)];
  if (parts.length !== 2) return Number.NaN;
  return parts.reduce((sum, m) => sum + (Number(m[1]) * 60 + Number(m[2])) * 1000, 0);
}
