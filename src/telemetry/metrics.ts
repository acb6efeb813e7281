// Prometheus metrics on a registry of our own, fed only by the proxy's diagnostics_channel events.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { AttemptEvent, EjectionEvent, EndpointsEvent, MirrorEvent, HopEvent, InvalidColorEvent, ReloadEvent, UpstreamErrorKind, ErrorCode } from '../events.js';
import { BoundedLabel, NONE_LABEL } from './label-values.js';
import { HopSeries } from './hop-series.js';
import { subscribeChannels } from './subscriptions.js';

/** A sidecar adds well under a millisecond on a good day and gives up at the service timeout (15 s default). */
export const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Hops that never produced attempt events (inbound, pass-through) report their upstream error by code. */
const ERROR_KIND_OF_CODE: Partial<Record<ErrorCode, UpstreamErrorKind>> = {
  upstream_unreachable: 'connect',
  upstream_timeout: 'timeout',
  upstream_reset: 'reset',
};

const INGRESS_SOURCES = new Set(['rule', 'split', 'client']);
/** Vias of a route decision: hops that publish attempt events for their upstream tries. */
const ROUTED = new Set(['exact', 'untagged', 'default']);

export interface MetricsOptions {
  /** colors always admitted as label values (the rule file's allow-list) */
  colors?: Iterable<string>;
  /** distinct colors (and services) admitted beyond the allow-list before `_other`; default 50 */
  maxLabelValues?: number;
  /** the rules in force at start-up, before any reload event */
  config?: { hash: string; version: number };
  /** the pod this sidecar serves, exported as colormesh_pod_info for joins by the serving pod's color */
  pod?: { service: string | undefined; color: string | undefined };
  /** process and event-loop metrics; on by default */
  processMetrics?: boolean;
}

export interface Metrics {
  readonly registry: Registry;
  readonly contentType: string;
  render(): Promise<string>;
  /** unsubscribes from the event channels */
  stop(): void;
}

export function startMetrics(opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const colors = new BoundedLabel(opts.maxLabelValues, opts.colors);
  // Outbound hops name the host the app asked for; under outboundPolicy: allow that is any host.
  const services = new BoundedLabel(opts.maxLabelValues);

  // The per-request series: bound once per (direction, service, color), formatted at scrape.
  const hops = new HopSeries(DURATION_BUCKETS);
  registry.registerMetric(hops.requestsCollector(
    'colormesh_requests_total',
    'Proxied requests, by the side of the sidecar, target service, request color, route taken and status class.',
  ) as never);
  registry.registerMetric(hops.durationCollector(
    'colormesh_request_duration_seconds',
    'Time from a request arriving at the sidecar until its response closed.',
  ) as never);
  const retries = new Counter({
    name: 'colormesh_upstream_retries_total',
    help: 'Extra upstream attempts made after a failed one.',
    labelNames: ['direction', 'service', 'color'] as const,
    registers,
  });
  const upstreamErrors = new Counter({
    name: 'colormesh_upstream_errors_total',
    help: 'Failed upstream attempts, by kind (connect, timeout, reset).',
    labelNames: ['direction', 'service', 'kind'] as const,
    registers,
  });
  const noEndpoint = new Counter({
    name: 'colormesh_no_endpoint_total',
    help: 'Requests answered 503 no_endpoint: no endpoint for the color and no fallback allowed or available.',
    labelNames: ['service', 'color'] as const,
    registers,
  });
  const invalidColors = new Counter({
    name: 'colormesh_invalid_colors_total',
    help: 'Color values that were not valid (or not allowed) and were treated as no color.',
    labelNames: ['direction', 'source'] as const,
    registers,
  });
  const ingressAssignments = new Counter({
    name: 'colormesh_ingress_color_assignments_total',
    help: 'Colors given to requests entering the mesh, by how they were chosen (rule, split, client).',
    labelNames: ['source', 'color'] as const,
    registers,
  });
  const reloads = new Counter({
    name: 'colormesh_config_reloads_total',
    help: 'Rule file reloads, by result (success, failure).',
    labelNames: ['result'] as const,
    registers,
  });
  const configInfo = new Gauge({
    name: 'colormesh_config_info',
    help: 'The rule file version in force: 1 for its hash and version.',
    labelNames: ['hash', 'version'] as const,
    registers,
  });
  const endpoints = new Gauge({
    name: 'colormesh_endpoints',
    help: 'Endpoints discovery reports, by service, color and health (healthy, unhealthy: discovery says not ready, ejected: passive health).',
    labelNames: ['service', 'color', 'health'] as const,
    registers,
  });
  const ejections = new Counter({
    name: 'colormesh_outlier_ejections_total',
    help: 'Endpoints ejected by passive health after consecutive failures (SPEC 2), by service and endpoint color.',
    labelNames: ['service', 'color'] as const,
    registers,
  });
  const mirrored = new Counter({
    name: 'colormesh_mirror_requests_total',
    help: 'Shadow copies of requests (SPEC 8), by service, mirror color and result (ok, error, no_endpoint, body_too_large, overload).',
    labelNames: ['service', 'color', 'result'] as const,
    registers,
  });
  const podInfo = new Gauge({
    name: 'colormesh_pod_info',
    help: 'The service and color of the pod this sidecar belongs to (always 1), to join other series by the serving color.',
    labelNames: ['pod_service', 'pod_color'] as const,
    registers,
  });
  if (opts.pod !== undefined) podInfo.set({ pod_service: opts.pod.service || NONE_LABEL, pod_color: opts.pod.color || NONE_LABEL }, 1);
  // Both reload results start at 0 so that rate() and alerts work before the first reload.
  reloads.inc({ result: 'success' }, 0);
  reloads.inc({ result: 'failure' }, 0);
  if (opts.processMetrics ?? true) collectProcessMetrics(registry);

  const showConfig = (hash: string | undefined, version: number | undefined): void => {
    if (hash === undefined) return;
    configInfo.reset();
    configInfo.set({ hash, version: version === undefined ? NONE_LABEL : String(version) }, 1);
  };
  if (opts.config !== undefined) showConfig(opts.config.hash, opts.config.version);

  // Series of each service's last endpoint report, so that colors which disappeared drop to nothing.
  const endpointSeries = new Map<string, Array<{ service: string; color: string; health: string }>>();

  const onHopEnd = (message: unknown): void => {
    const hop = message as HopEvent;
    const direction = hop.direction;
    const service = services.value(hop.service);
    const color = colors.value(hop.color);
    hops.record(direction, service, color, hop.via ?? 'none', hop.status, hop.durationMs / 1000);
    if (hop.errorCode === 'no_endpoint') noEndpoint.inc({ service, color });
    if (direction !== 'outbound' && INGRESS_SOURCES.has(hop.colorSource)) {
      ingressAssignments.inc({ source: hop.colorSource, color });
    }
    const kind = hop.errorCode === undefined ? undefined : ERROR_KIND_OF_CODE[hop.errorCode];
    // Attempt events (counted in onAttemptEnd) exist only for mesh endpoints, i.e. after a route decision.
    if (kind !== undefined && !ROUTED.has(hop.via ?? '')) upstreamErrors.inc({ direction, service, kind });
  };

  const onAttemptStart = (message: unknown): void => {
    const event = message as AttemptEvent;
    if (event.attempt > 1) {
      retries.inc({ direction: event.hop.direction, service: services.value(event.hop.service), color: colors.value(event.hop.color) });
    }
  };

  const onAttemptEnd = (message: unknown): void => {
    const event = message as AttemptEvent;
    if (event.errorKind === undefined) return;
    upstreamErrors.inc({ direction: event.hop.direction, service: services.value(event.hop.service), kind: event.errorKind });
  };

  const onReload = (message: unknown): void => {
    const event = message as ReloadEvent;
    reloads.inc({ result: event.result });
    showConfig(event.hash, event.version);
  };

  const onEndpoints = (message: unknown): void => {
    const event = message as EndpointsEvent;
    const service = services.value(event.service);
    for (const labels of endpointSeries.get(service) ?? []) endpoints.remove(labels);
    const counts = new Map<string, { service: string; color: string; health: string; count: number }>();
    for (const endpoint of event.endpoints) {
      const color = colors.value(endpoint.color);
      const health = !endpoint.healthy ? 'unhealthy' : endpoint.ejected === true ? 'ejected' : 'healthy';
      const key = `${color}\u0000${health}`;
      const entry = counts.get(key) ?? { service, color, health, count: 0 };
      entry.count++;
      counts.set(key, entry);
    }
    const series: Array<{ service: string; color: string; health: string }> = [];
    for (const { count, ...labels } of counts.values()) {
      endpoints.set(labels, count);
      series.push(labels);
    }
    endpointSeries.set(service, series);
  };

  const onInvalidColor = (message: unknown): void => {
    const event = message as InvalidColorEvent;
    invalidColors.inc({ direction: event.direction, source: event.source });
  };

  const onEjection = (message: unknown): void => {
    const event = message as EjectionEvent;
    if (event.ejected) ejections.inc({ service: services.value(event.service), color: colors.value(event.color) });
  };

  const onMirror = (message: unknown): void => {
    const event = message as MirrorEvent;
    mirrored.inc({ service: services.value(event.service), color: colors.value(event.color), result: event.result });
  };

  const unsubscribe = subscribeChannels({
    ejection: onEjection,
    mirror: onMirror,
    hopEnd: onHopEnd,
    attemptStart: onAttemptStart,
    attemptEnd: onAttemptEnd,
    reload: onReload,
    endpoints: onEndpoints,
    invalidColor: onInvalidColor,
  });

  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    stop: unsubscribe,
  };
}

/**
 * prom-client's process and event-loop metrics, minus three gauges it names `…_total`, a suffix
 * Prometheus reserves for counters (promtool rejects them). The by-type gauges
 * colormesh_nodejs_active_{handles,requests,resources} carry the same information.
 */
function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, prefix: 'colormesh_' });
  for (const name of ['active_handles', 'active_requests', 'active_resources']) {
    registry.removeSingleMetric(`colormesh_nodejs_${name}_total`);
  }
}
