// The lane map, as pure functions: per-second samples of the sidecars' metrics plus the rules in,
// one row per service with one cell per color lane out. No I/O, so every case is a table test.
import { histogramQuantile } from '../release/lane-figures.js';
import type { MirrorView, RulesView, ServiceView } from './rules-view.js';

/** The metrics' label value for "no color"; the lane of untagged endpoints. */
export const NONE = '-';

/** One series: a per-second rate for counters and histogram buckets, the value itself for gauges. */
export interface RateSample {
  name: string;
  labels: Readonly<Record<string, string>>;
  value: number;
}

export interface EndpointFigures {
  healthy: number;
  /** left out by passive health (outlier ejection) */
  ejected: number;
  /** reported not ready by discovery */
  unhealthy: number;
  /** static endpoints in the rule file (before any metrics arrive) */
  configured: number;
}

export interface LaneCell {
  color: string;
  endpoints: EndpointFigures;
  /** requests of this color that reached the service, per second (the sidecars' inbound side) */
  rps: number;
  /** 5xx share of rps, 0-1; null without traffic */
  errorRate: number | null;
  /** p99 latency in ms from the duration histogram; null without traffic */
  p99Ms: number | null;
  /**
   * requests of this color that left their lane, per second, by where they went: as callers' sidecars
   * routed them (`via` of their outbound side) or, where no caller is scraped (an entry point), as the
   * serving pods' colors say
   */
  fallback: Array<{ via: 'untagged' | 'default' | 'other'; to: string; rps: number }>;
  /** copies per second mirrored into this lane (SPEC 8), when any */
  mirroredRps: number;
  /**
   * requests of this color that callers answered 503 no_endpoint (a `force`d service with no endpoint
   * of the color, or nothing to fall back to), per second: they never reached the service, so they
   * are not in rps
   */
  noEndpointRps: number;
  /** requests of other colors this lane's pods served (the other end of fallback arrows), per second */
  servedForOthersRps: number;
}

export interface ServiceRow {
  name: string;
  force: boolean;
  defaultColor?: string;
  entrypoint: boolean;
  mirror?: MirrorView;
  cells: LaneCell[];
}

export interface LaneMap {
  /** the columns, in order: split colors, the allow-list, any other color seen, then NONE */
  lanes: string[];
  services: ServiceRow[];
}

const REQUESTS = 'colormesh_requests_total';
const BUCKETS = 'colormesh_request_duration_seconds_bucket';
const ENDPOINTS = 'colormesh_endpoints';
const MIRRORS = 'colormesh_mirror_requests_total';
const NO_ENDPOINT = 'colormesh_no_endpoint_total';
/**
 * Inbound requests by the color of the pod that served them ({service, color, pod_color}): made by the
 * console from colormesh_pod_info (sources.ts), so fallbacks show even where no sidecar's outbound side
 * routed the request (an entry point reached from outside).
 */
export const SERVED = 'colormesh_console_served_total';

/** Sums samples of one metric by the chosen labels; `where` filters on exact label values. */
export function sumBy(samples: readonly RateSample[], name: string, by: readonly string[], where: Readonly<Record<string, string>> = {}): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples) {
    if (s.name !== name) continue;
    if (!Object.entries(where).every(([k, v]) => s.labels[k] === v)) continue;
    const key = by.map((l) => s.labels[l] ?? '').join('\u0000');
    out.set(key, (out.get(key) ?? 0) + s.value);
  }
  return out;
}

export const key = (...parts: string[]): string => parts.join('\u0000');

/** The stable color (largest weight, the first in file order on a tie) and every other split color. */
export function splitRoles(weights: Readonly<Record<string, number>>): { stable: string | undefined; candidates: string[] } {
  let stable: string | undefined;
  for (const [color, w] of Object.entries(weights)) if (stable === undefined || w > (weights[stable] ?? 0)) stable = color;
  return { stable, candidates: Object.keys(weights).filter((c) => c !== stable) };
}

/**
 * `colormesh rollout --abort` on one candidate: its weight goes to the stable color, or to `to` (a
 * rollout's --from, which past 50 % no longer has the largest weight).
 */
export function rollbackWeights(weights: Readonly<Record<string, number>>, color: string, to?: string): Record<string, number> {
  if (to !== undefined) {
    if (to === color || !Object.hasOwn(weights, to) || !Object.hasOwn(weights, color)) {
      throw new Error(`cannot roll "${color}" back to "${to}": both must be colors of the split, and different`);
    }
    return { ...weights, [to]: (weights[to] ?? 0) + (weights[color] ?? 0), [color]: 0 };
  }
  const { stable } = splitRoles(weights);
  if (stable === undefined || stable === color || !Object.hasOwn(weights, color)) {
    const candidates = Object.keys(weights).filter((c) => c !== stable);
    throw new Error(`"${color}" is not a candidate color of the split (stable: ${stable ?? 'none'}; candidates: ${candidates.join(', ') || 'none'})`);
  }
  return { ...weights, [stable]: (weights[stable] ?? 0) + (weights[color] ?? 0), [color]: 0 };
}

function laneOrder(rules: RulesView, samples: readonly RateSample[]): string[] {
  const seen = new Set<string>([...Object.keys(rules.split?.weights ?? {}), ...rules.colors]);
  const extra = new Set<string>();
  let untagged = false;
  const note = (c: string | undefined): void => {
    if (c === undefined || c === '') return;
    if (c === NONE) untagged = true;
    else if (!seen.has(c)) extra.add(c);
  };
  for (const s of rules.services) {
    for (const c of Object.keys(s.configured)) note(c);
    if (s.defaultColor !== undefined) note(s.defaultColor);
    if (s.mirror !== undefined) note(s.mirror.color);
  }
  for (const s of samples) {
    if (s.name === ENDPOINTS || s.name === REQUESTS || s.name === MIRRORS) note(s.labels['color']);
    if (s.name === REQUESTS && s.labels['via'] === 'untagged' && s.value > 0) untagged = true;
  }
  return [...seen, ...[...extra].sort(), ...(untagged ? [NONE] : [])];
}

function cellFor(service: ServiceView, color: string, m: Measured): LaneCell {
  const k = key(service.name, color);
  const known = m.endpoints.get(k) ?? { total: 0, ejected: 0, unhealthy: 0 };
  const endpoints: EndpointFigures = {
    healthy: Math.max(0, known.total - known.ejected - known.unhealthy),
    ejected: known.ejected,
    unhealthy: known.unhealthy,
    configured: service.configured[color] ?? 0,
  };
  const rps = m.requests.get(k) ?? 0;
  const errors = m.errors.get(k) ?? 0;
  const buckets = m.buckets.get(k);
  const p99 = buckets === undefined ? undefined : histogramQuantile(0.99, buckets);
  const fallback: LaneCell['fallback'] = [];
  const untagged = m.via.get(key(service.name, color, 'untagged')) ?? 0;
  if (untagged > 0) fallback.push({ via: 'untagged', to: NONE, rps: untagged });
  const viaDefault = m.via.get(key(service.name, color, 'default')) ?? 0;
  if (viaDefault > 0) fallback.push({ via: 'default', to: service.defaultColor ?? NONE, rps: viaDefault });
  if (fallback.length === 0) {
    for (const [lane, served] of m.servedBy.get(k) ?? []) {
      if (lane === color || !(served > 0)) continue;
      const via = lane === NONE ? 'untagged' : lane === service.defaultColor ? 'default' : 'other';
      fallback.push({ via, to: lane, rps: served });
    }
  }
  return {
    color,
    endpoints,
    rps,
    errorRate: rps > 0 ? errors / rps : null,
    p99Ms: p99 === undefined || rps === 0 ? null : p99 * 1000,
    fallback,
    mirroredRps: m.mirrored.get(k) ?? 0,
    noEndpointRps: m.noEndpoint.get(k) ?? 0,
    servedForOthersRps: m.servedForOthers.get(k) ?? 0,
  };
}

interface Measured {
  requests: Map<string, number>;
  errors: Map<string, number>;
  via: Map<string, number>;
  buckets: Map<string, Map<number, number>>;
  /** key(service, color) → endpoint figures (see measure) */
  endpoints: Map<string, { total: number; ejected: number; unhealthy: number }>;
  mirrored: Map<string, number>;
  noEndpoint: Map<string, number>;
  /** key(service, color) → serving pod's color → requests per second */
  servedBy: Map<string, Map<string, number>>;
  /** key(service, pod color) → requests of other colors those pods served, per second */
  servedForOthers: Map<string, number>;
}

function measure(samples: readonly RateSample[]): Measured {
  const inbound = { direction: 'inbound' };
  const buckets = new Map<string, Map<number, number>>();
  for (const [k, v] of sumBy(samples, BUCKETS, ['service', 'color', 'le'], inbound)) {
    const [service, color, le] = k.split('\u0000') as [string, string, string];
    const bound = le === '+Inf' ? Infinity : Number(le);
    if (Number.isNaN(bound)) continue;
    const series = buckets.get(key(service, color)) ?? new Map<number, number>();
    series.set(bound, (series.get(bound) ?? 0) + v);
    buckets.set(key(service, color), series);
  }
  // Every sidecar reports every service's endpoints as it sees them, and ejection is each sidecar's own
  // judgement: the cell shows the most endpoints any one sidecar knows, the most any one has ejected or
  // sees not ready, and the rest as healthy, so the three always add up to the endpoints there are.
  const perSidecar = new Map<string, { healthy: number; ejected: number; unhealthy: number }>();
  for (const s of samples) {
    if (s.name !== ENDPOINTS) continue;
    const k = key(s.labels['instance'] ?? '', s.labels['service'] ?? '', s.labels['color'] ?? NONE);
    const figures = perSidecar.get(k) ?? { healthy: 0, ejected: 0, unhealthy: 0 };
    const health = s.labels['health'];
    if (health === 'healthy') figures.healthy += s.value;
    else if (health === 'ejected') figures.ejected += s.value;
    else figures.unhealthy += s.value;
    perSidecar.set(k, figures);
  }
  const endpoints = new Map<string, { total: number; ejected: number; unhealthy: number }>();
  for (const [k, f] of perSidecar) {
    const cellKey = key(...(k.split('\u0000').slice(1) as [string, string]));
    const e = endpoints.get(cellKey) ?? { total: 0, ejected: 0, unhealthy: 0 };
    e.total = Math.max(e.total, f.healthy + f.ejected + f.unhealthy);
    e.ejected = Math.max(e.ejected, f.ejected);
    e.unhealthy = Math.max(e.unhealthy, f.unhealthy);
    endpoints.set(cellKey, e);
  }
  const servedBy = new Map<string, Map<string, number>>();
  const servedForOthers = new Map<string, number>();
  for (const [k, v] of sumBy(samples, SERVED, ['service', 'color', 'pod_color'])) {
    const [service, color, pod] = k.split('\u0000') as [string, string, string];
    const lanes = servedBy.get(key(service, color)) ?? new Map<string, number>();
    lanes.set(pod, (lanes.get(pod) ?? 0) + v);
    servedBy.set(key(service, color), lanes);
    if (pod !== color) servedForOthers.set(key(service, pod), (servedForOthers.get(key(service, pod)) ?? 0) + v);
  }
  return {
    servedBy,
    servedForOthers,
    requests: sumBy(samples, REQUESTS, ['service', 'color'], inbound),
    errors: sumBy(samples, REQUESTS, ['service', 'color'], { ...inbound, status_class: '5xx' }),
    via: sumBy(samples, REQUESTS, ['service', 'color', 'via'], { direction: 'outbound' }),
    buckets,
    endpoints,
    mirrored: sumBy(samples, MIRRORS, ['service', 'color']),
    noEndpoint: sumBy(samples, NO_ENDPOINT, ['service', 'color']),
  };
}

/** The lane map: every service of the rules × every lane, with what the samples say about each. */
export function buildLaneMap(rules: RulesView, samples: readonly RateSample[]): LaneMap {
  const lanes = laneOrder(rules, samples);
  const m = measure(samples);
  const entry = new Set(rules.entrypoints);
  const services = rules.services.map((s): ServiceRow => {
    const row: ServiceRow = { name: s.name, force: s.force, entrypoint: entry.has(s.name), cells: lanes.map((c) => cellFor(s, c, m)) };
    if (s.defaultColor !== undefined) row.defaultColor = s.defaultColor;
    if (s.mirror !== undefined) row.mirror = s.mirror;
    return row;
  });
  return { lanes, services };
}
