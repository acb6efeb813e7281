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

/** Median of numbers (mean of the middle two for an even count); NaN when empty. */
export function median(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Interleaved constant-rate rounds of a reference path and a path under test (latency summaries in
 * microseconds, one per round, in the same order): the medians of each, and the median of the
 * per-round differences, which cancels the drift of a shared machine between rounds.
 */
export function summarizeRounds(reference, measured) {
  const pick = (runs, field) => runs.map((r) => r[field]);
  const diffs = (field) => measured.map((r, i) => r[field] - (reference[i]?.[field] ?? NaN));
  return {
    rounds: Math.min(reference.length, measured.length),
    reference: { p50: median(pick(reference, 'p50')), p99: median(pick(reference, 'p99')) },
    measured: { p50: median(pick(measured, 'p50')), p99: median(pick(measured, 'p99')) },
    addedUs: { p50: median(diffs('p50')), p99: median(diffs('p99')) },
  };
}

/**
 * Issue 9's targets, evaluated on one run's rows (keyed by path id) and, when the run had them, its
 * interleaved latency rounds (summarizeRounds of direct vs colormesh-2hop). Each entry says the
 * measured value, the bound and whether it holds, so the report cannot claim a pass it did not measure.
 */
export function evaluateTargets(rows, rounds) {
  const oneHop = rows['colormesh-1hop'];
  const twoHop = rows['colormesh-2hop'];
  const direct = rows.direct;
  const checks = [];
  const add = (name, value, bound, holds, note) => checks.push({ name, value, bound, pass: Number.isFinite(value) ? holds(value) : false, ...(note ? { note } : {}) });
  const atLeast = (min) => (v) => v >= min;
  const atMost = (max) => (v) => v <= max;
  for (const [id, name, min] of [['http-proxy', 'http-proxy', 1.5], ['undici', 'undici baseline', 0.75], ['nginx', 'nginx', 0.25]]) {
    if (oneHop && rows[id]) add(`1-hop throughput / ${name}`, ratio(oneHop.rps, rows[id].rps), `>= ${min}`, atLeast(min));
  }
  if (oneHop) {
    // both readings of the same window; the worse one decides
    const cpu = Math.max(oneHop.cpuPer1000, oneHop.cpuPer1000Stat ?? -Infinity);
    add('1-hop CPU s per 1000 req at saturation', cpu, '<= 0.045', atMost(0.045), `schedstat ${fmt(oneHop.cpuPer1000)}, utime+stime ${fmt(oneHop.cpuPer1000Stat)}`);
  }
  if (rounds && rounds.rounds > 0) {
    const note = `median of ${rounds.rounds} interleaved rounds`;
    add('2 sidecars: p50 added over direct at the rate (ms)', rounds.addedUs.p50 / 1000, '<= 0.3', atMost(0.3), note);
    add('2 sidecars: p99 added over direct at the rate (ms)', rounds.addedUs.p99 / 1000, '<= 0.6', atMost(0.6), note);
  } else if (twoHop && direct) {
    const note = 'one run (use --rounds for the median of interleaved rounds)';
    add('2 sidecars: p50 added over direct at the rate (ms)', (twoHop.latency.p50 - direct.latency.p50) / 1000, '<= 0.3', atMost(0.3), note);
    add('2 sidecars: p99 added over direct at the rate (ms)', (twoHop.latency.p99 - direct.latency.p99) / 1000, '<= 0.6', atMost(0.6), note);
  }
  for (const [id, row] of [['colormesh-1hop', oneHop], ['colormesh-2hop', twoHop]]) {
    if (row) add(`${id} RSS per sidecar at the rate (MB)`, row.rssPerProcessMb, '<= 70', atMost(70));
  }
  const inbound = rows['colormesh-inbound'];
  const withTrace = rows['colormesh-inbound-tp'];
  if (inbound && withTrace) {
    add('inbound throughput, unique traceparent / none', ratio(withTrace.rps, inbound.rps), '>= 0.9', atLeast(0.9),
      `after ${(withTrace.traceFillRequests ?? 0).toLocaleString('en-US')} requests with a unique traceparent`);
  }
  return checks;
}

const fmt = (v) => (Number.isFinite(v) ? v.toFixed(3) : '-');
