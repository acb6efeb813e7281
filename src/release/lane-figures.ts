// A lane's figures (requests, 5xx, p99) from two readings of the sidecars' counters and histograms: the
// deltas since the step began, summed over every sidecar and every hop, per color and per service. Pure.
import { seriesKey, type Sample } from './prom-text.js';

export const REQUESTS_METRIC = 'colormesh_requests_total';
export const DURATION_BUCKET_METRIC = 'colormesh_request_duration_seconds_bucket';
/** The lane is judged on the inbound side of every hop, where the request's color is the user's lane. */
export const LANE_DIRECTION = 'inbound';
/** Each sidecar's own service (`pod_service`), to tell an error a service made from one it passed on. */
export const POD_INFO_METRIC = 'colormesh_pod_info';

/** Samples per source (a sidecar's /metrics URL, or one Prometheus query); a series is only compared with itself. */
export type Reading = ReadonlyMap<string, readonly Sample[]>;

export interface LaneFigures {
  readonly requests: number;
  readonly errors5xx: number;
  /** 5xx in percent of requests; 0 without requests */
  readonly errorRatePct: number;
  /** p99 latency in ms from the duration histogram; undefined without requests */
  readonly p99Ms: number | undefined;
}

export interface LaneReport extends LaneFigures {
  /** the same figures for each service that served requests of the lane */
  readonly byService: ReadonlyMap<string, LaneFigures>;
  /**
   * The services where the lane's 5xx began: they answered 5xx while none of their own calls in the lane
   * got one. Empty when that cannot be told (no colormesh_pod_info, e.g. from Prometheus) or no 5xx.
   */
  readonly errorOrigins: readonly string[];
}

/**
 * The increase of one counter between two readings. A counter lower than before means the sidecar restarted
 * (counters start again at 0), so its whole current value is the increase, as Prometheus's increase() assumes.
 */
export function counterDelta(before: number | undefined, now: number): number {
  if (before === undefined || now < before) return now;
  return now - before;
}

/** Per-series deltas between two readings; series only in `before` (gone) are dropped. */
export function deltas(before: Reading, now: Reading, keep: (s: Sample) => boolean): Sample[] {
  const out: Sample[] = [];
  for (const [source, samples] of now) {
    const previous = new Map<string, number>();
    for (const s of before.get(source) ?? []) if (keep(s)) previous.set(seriesKey(s), s.value);
    for (const s of samples) {
      if (!keep(s)) continue;
      // A series that appears only now began after the step started (first request of its kind): all of it counts.
      out.push({ name: s.name, labels: s.labels, value: counterDelta(previous.get(seriesKey(s)), s.value) });
    }
  }
  return out;
}

/**
 * The q-quantile of a histogram given as cumulative bucket counts by upper bound (`le`), interpolated
 * linearly inside the bucket as PromQL's histogram_quantile() does. A rank in the +Inf bucket answers the
 * largest finite bound (we cannot know more). Undefined with no observations.
 */
export function histogramQuantile(q: number, buckets: ReadonlyMap<number, number>): number | undefined {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  if (bounds.length === 0) return undefined;
  const total = buckets.get(Infinity) ?? buckets.get(bounds[bounds.length - 1] as number) ?? 0;
  if (!(total > 0)) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const bound of bounds) {
    const count = buckets.get(bound) as number;
    if (count >= rank) {
      if (bound === Infinity) return lowerBound;
      const inBucket = count - lowerCount;
      return inBucket > 0 ? lowerBound + (bound - lowerBound) * ((rank - lowerCount) / inBucket) : bound;
    }
    lowerBound = bound;
    lowerCount = count;
  }
  return lowerBound;
}

function figures(requests: number, errors5xx: number, buckets: ReadonlyMap<number, number>): LaneFigures {
  const p99 = histogramQuantile(0.99, buckets);
  return {
    requests,
    errors5xx,
    errorRatePct: requests > 0 ? (errors5xx / requests) * 100 : 0,
    p99Ms: p99 === undefined || requests === 0 ? undefined : p99 * 1000,
  };
}

interface Accumulator {
  requests: number;
  errors: number;
  buckets: Map<number, number>;
}

const fresh = (): Accumulator => ({ requests: 0, errors: 0, buckets: new Map() });

/** The figures of lane `color` from the deltas between two readings (inbound series of that color only). */
export function laneReport(before: Reading, now: Reading, color: string): LaneReport {
  const inLane = (s: Sample): boolean =>
    (s.name === REQUESTS_METRIC || s.name === DURATION_BUCKET_METRIC) && s.labels['direction'] === LANE_DIRECTION && s.labels['color'] === color;
  const total = fresh();
  const perService = new Map<string, Accumulator>();
  for (const s of deltas(before, now, inLane)) {
    const service = s.labels['service'] ?? '-';
    let acc = perService.get(service);
    if (acc === undefined) perService.set(service, (acc = fresh()));
    for (const target of [total, acc]) {
      if (s.name === REQUESTS_METRIC) {
        target.requests += s.value;
        if (s.labels['status_class'] === '5xx') target.errors += s.value;
      } else {
        const le = s.labels['le'] === '+Inf' ? Infinity : Number(s.labels['le']);
        if (!Number.isNaN(le)) target.buckets.set(le, (target.buckets.get(le) ?? 0) + s.value);
      }
    }
  }
  const byService = new Map<string, LaneFigures>();
  for (const [service, acc] of [...perService].sort((a, b) => b[1].errors - a[1].errors || b[1].requests - a[1].requests)) {
    if (acc.requests > 0) byService.set(service, figures(acc.requests, acc.errors, acc.buckets));
  }
  return { ...figures(total.requests, total.errors, total.buckets), byService, errorOrigins: errorOrigins(before, now, color, byService) };
}

/**
 * An error deep in a call chain shows at every hop above it. A service whose sidecars saw 5xx come back on
 * their own outbound calls in the lane passed errors on; the services that answered 5xx without that began
 * them. A callee that never answered (the sidecar's own 502/504) has no inbound 5xx: it is named when no
 * service answered 5xx by itself.
 */
export function errorOrigins(before: Reading, now: Reading, color: string, byService: ReadonlyMap<string, LaneFigures>): string[] {
  const passedOn = new Set<string>();
  const calleesFailing = new Set<string>();
  let knowsPods = false;
  const outbound5xx = (s: Sample): boolean =>
    s.name === REQUESTS_METRIC && s.labels['direction'] === 'outbound' && s.labels['color'] === color && s.labels['status_class'] === '5xx';
  for (const [source, samples] of now) {
    const pod = samples.find((s) => s.name === POD_INFO_METRIC)?.labels['pod_service'];
    if (pod === undefined) continue;
    knowsPods = true;
    const one = (r: Reading): Reading => new Map([[source, r.get(source) ?? []]]);
    for (const d of deltas(one(before), one(now), outbound5xx)) {
      if (d.value <= 0) continue;
      passedOn.add(pod);
      if (d.labels['service'] !== undefined) calleesFailing.add(d.labels['service']);
    }
  }
  if (!knowsPods) return [];
  const began = [...byService].filter(([service, f]) => f.errors5xx > 0 && !passedOn.has(service)).map(([service]) => service);
  if (began.length > 0) return began;
  return [...calleesFailing].filter((service) => !((byService.get(service)?.errors5xx ?? 0) > 0));
}
