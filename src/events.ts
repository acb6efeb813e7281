// The events the proxy publishes; telemetry (logs, metrics, traces) subscribes, the proxy never calls an SDK.
// Built on node:diagnostics_channel so that a channel with no subscriber costs one boolean check.
import diagnostics_channel from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ColorSource, Endpoint, RouteVia } from './core/types.js';
import type { ErrorCode } from './proxy/errors.js';

export type Direction = 'inbound' | 'outbound' | 'gateway';

/** Kinds of upstream failure, as metrics and spans report them. */
export type UpstreamErrorKind = 'connect' | 'timeout' | 'reset';

/**
 * One proxied request on one side of the sidecar. The proxy creates it when the request arrives,
 * fills it in as it goes, and publishes it on hopStart and hopEnd. Subscribers may keep state in
 * `telemetry`, and may set headers on `req.headers` in hopStart/attemptStart (that is how a span
 * context is written onward); they must not touch anything else.
 */
export interface HopEvent {
  readonly direction: Direction;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** performance.now() at arrival */
  readonly startedAt: number;
  /** inbound: the pod's service; outbound/gateway: the target service, '' when the host is not in the mesh */
  service: string;
  color: string | undefined;
  colorSource: ColorSource;
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

export const channels = {
  hopStart: diagnostics_channel.channel('colormesh:hop:start'),
  hopEnd: diagnostics_channel.channel('colormesh:hop:end'),
  attemptStart: diagnostics_channel.channel('colormesh:attempt:start'),
  attemptEnd: diagnostics_channel.channel('colormesh:attempt:end'),
  reload: diagnostics_channel.channel('colormesh:config:reload'),
  endpoints: diagnostics_channel.channel('colormesh:endpoints:update'),
  invalidColor: diagnostics_channel.channel('colormesh:color:invalid'),
} as const;

/** Publishes only when someone listens, so the hot path pays nothing otherwise. */
export function publish<T>(channel: diagnostics_channel.Channel, event: T): void {
  if (channel.hasSubscribers) channel.publish(event);
}
