// Pure number crunching for the bench: percentiles of latency samples, per-1000-request CPU cost,
// ratios. No I/O, so test/unit/bench-stats.test.ts can check it without starting anything.

/**
 * Nearest-rank percentile (the definition HdrHistogram and wrk2 report): the smallest sample such
 * that at least p% of samples are <= it. `sorted` must be ascending; p in (0, 100].
 */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile ${p} is not in (0, 100]`);
  // the epsilon keeps p99.9 of 1000 samples at rank 999: 99.9 is not exact in binary floating point
  const rank = Math.ceil((p * sorted.length) / 100 - 1e-9);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Summary of latency samples in microseconds (input in any order; a sorted copy is made). */
export function summarize(samples) {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    mean: sorted.length ? sum / sorted.length : NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
  };
}

/** CPU seconds spent per 1000 successful requests. */
export function cpuPer1000(cpuSeconds, requests) {
  return requests > 0 ? (cpuSeconds * 1000) / requests : NaN;
}

/** a / b, or NaN when b is missing or zero (a path with no reference shows "-" instead of Infinity). */
export function ratio(a, b) {
  return typeof a === 'number' && typeof b === 'number' && b > 0 ? a / b : NaN;
}

/**
 * The targets, evaluated on one run's rows (keyed by path id). Each entry says the measured
 * value, the bound and whether it holds, so the report cannot claim a pass it did not measure.
 */
export function evaluateTargets(rows) {
  const oneHop = rows['colormesh-1hop'];
  const twoHop = rows['colormesh-2hop'];
  const nginx = rows.nginx;
  const direct = rows.direct;
  const checks = [];
  const add = (name, value, bound, holds) => checks.push({ name, value, bound, pass: Number.isFinite(value) ? holds(value) : false });
  if (oneHop && nginx) add('1-hop throughput / nginx', ratio(oneHop.rps, nginx.rps), '>= 0.35', (v) => v >= 0.35);
  if (oneHop) add('1-hop CPU s per 1000 req', oneHop.cpuPer1000, '<= 0.10', (v) => v <= 0.1);
  if (twoHop && direct) add('2-sidecar p99 added over direct (ms)', (twoHop.latency.p99 - direct.latency.p99) / 1000, '<= 0.3', (v) => v <= 0.3);
  for (const [id, row] of [['colormesh-1hop', oneHop], ['colormesh-2hop', twoHop]]) {
    if (row) add(`${id} RSS per sidecar at the rate (MB)`, row.rssPerProcessMb, '<= 60', (v) => v <= 60);
  }
  return checks;
}
