// The events the proxy publishes; telemetry (logs, metrics, traces) subscribes, the proxy never calls an SDK.
// Built on node:diagnostics_channel so that a channel with no subscriber costs one boolean check.
import diagnostics_channel from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ColorSource, Endpoint, RouteVia } from './core/types.js';
import type { ErrorCode, UpstreamErrorKind } from './pipeline/errors.js';

export type { ErrorCode, UpstreamErrorKind };

export type Direction = 'inbound' | 'outbound' | 'gateway';

/**
 * One proxied request on one side of the sidecar. The pipeline creates it when the request arrives
 * (it is the pipeline's per-request object, seen here through its public fields), fills it in as it
 * goes, and publishes it on hopStart and hopEnd. Subscribers may keep state in `telemetry`, and may
 * set `traceparent`/`tracestate` on `req.headers` in hopStart/attemptStart (that is how a span
 * context is written onward); they must not touch anything else.
 */
export interface HopEvent {
  readonly direction: Direction;
  readonly req: IncomingMessage;
  /** undefined for an Upgrade or CONNECT, which answer on the raw socket */
  readonly res: ServerResponse | undefined;
  /** true for an Upgrade (WebSocket) or CONNECT tunnel */
  readonly tunnel: boolean;
  /** performance.now() at arrival */
  readonly startedAt: number;
  /** inbound: the pod's service; outbound/gateway: the target service, '' when the host is not in the mesh */
  service: string;
  color: string | undefined;
  colorSource: ColorSource;
  /** true for a shadow copy's hop (color member with the `shadow` property, SPEC 8) */
  shadow: boolean;
  /** true when this request was copied to the mirror color (SPEC 8) */
  mirrored: boolean;
  /** exact/untagged/default after a route decision; passthrough for hosts outside the mesh; local for inbound */
  via: RouteVia | 'passthrough' | 'local' | undefined;
  /** the last upstream tried, "host:port" */
  upstream: string | undefined;
  upstreamColor: string | undefined;
  /** attempts made (retries = attempts - 1 when > 0) */
  attempts: number;
  /** final status sent to the client; 0 until known */
  status: number;
  errorCode: ErrorCode | undefined;
  /** set on hopEnd */
  durationMs: number;
  /** the response headers relayed from the upstream, flat [name, value, …] (undefined for our own answers) */
  responseHeaders: readonly string[] | undefined;
  /** the incoming traceparent, before any subscriber rewrote it */
  readonly incomingTraceparent: string | undefined;
  /** free slot for a subscriber's per-hop state (e.g. its span) */
  telemetry: unknown;
}

/** One attempt to reach an upstream endpoint within a hop. */
export interface AttemptEvent {
  readonly hop: HopEvent;
  /** 1-based */
  readonly attempt: number;
  readonly address: string;
  readonly endpointColor: string | undefined;
  /** status the upstream answered with; 0 when it failed */
  status: number;
  errorKind: UpstreamErrorKind | undefined;
  telemetry: unknown;
}

export interface ReloadEvent {
  readonly result: 'success' | 'failure';
  readonly source: string;
  /** the version now in force (on failure: the last good one, if any) */
  readonly hash: string | undefined;
  readonly version: number | undefined;
  readonly error: string | undefined;
}

export interface EndpointsEvent {
  readonly service: string;
  readonly endpoints: readonly Endpoint[];
}

export interface InvalidColorEvent {
  readonly direction: Direction;
  /** where the invalid value was seen */
  readonly source: 'baggage' | 'pod' | 'rule';
  readonly value: string;
}

/** Passive health ejected an endpoint, or let it back. */
export interface EjectionEvent {
  readonly service: string;
  readonly address: string;
  readonly color: string | undefined;
  readonly ejected: boolean;
  /** how long this ejection lasts (0 when letting back) */
  readonly forMs: number;
}

/** A shadow copy's outcome (SPEC 8). */
export interface MirrorEvent {
  readonly service: string;
  readonly color: string;
  readonly result: 'ok' | 'error' | 'no_endpoint' | 'body_too_large' | 'overload';
}

export const channels = {
  hopStart: diagnostics_channel.channel('colormesh:hop:start'),
  hopEnd: diagnostics_channel.channel('colormesh:hop:end'),
  attemptStart: diagnostics_channel.channel('colormesh:attempt:start'),
  attemptEnd: diagnostics_channel.channel('colormesh:attempt:end'),
  reload: diagnostics_channel.channel('colormesh:config:reload'),
  endpoints: diagnostics_channel.channel('colormesh:endpoints:update'),
  invalidColor: diagnostics_channel.channel('colormesh:color:invalid'),
  ejection: diagnostics_channel.channel('colormesh:endpoint:ejection'),
  mirror: diagnostics_channel.channel('colormesh:mirror'),
} as const;

/** Publishes only when someone listens, so the hot path pays nothing otherwise. */
export function publish<T>(channel: diagnostics_channel.Channel, event: T): void {
  if (channel.hasSubscribers) channel.publish(event);
}
