/** Small helpers the benchmarks share: a seeded generator and order statistics. */

/** mulberry32: a fast seeded uniform generator in [0, 1). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const quantile = (sorted: readonly number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
export const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** p50 / p95 / max of a list of milliseconds. */
export function latency(ms: readonly number[]): { p50_ms: number; p95_ms: number; max_ms: number; n: number } {
  const sorted = [...ms].sort((a, b) => a - b);
  return { p50_ms: round3(quantile(sorted, 0.5)), p95_ms: round3(quantile(sorted, 0.95)), max_ms: round3(sorted[sorted.length - 1] ?? NaN), n: sorted.length };
}
