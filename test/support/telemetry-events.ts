// Test helpers for telemetry: synthetic hop/attempt events published on the real channels, and a
// small reader for the Prometheus text format so tests can assert exact values.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ColorSource } from '../../src/core/types.js';
import { channels, publish, type AttemptEvent, type Direction, type HopEvent, type UpstreamErrorKind } from '../../src/events.js';
import type { ErrorCode } from '../../src/pipeline/errors.js';

export interface FakeHop {
  direction: Direction;
  service?: string;
  color?: string;
  colorSource?: ColorSource;
  via?: HopEvent['via'];
  status?: number;
  errorCode?: ErrorCode;
  durationMs?: number;
  method?: string;
  url?: string;
  headers?: Record<string, string>;
  responseHeaders?: Record<string, string | string[]>;
  upstream?: string;
  upstreamColor?: string;
}

export interface FakeAttempt {
  address: string;
  color?: string;
  status?: number;
  errorKind?: UpstreamErrorKind;
}

/** A HopEvent over a stand-in request/response carrying just what subscribers read. */
export function makeHop(spec: FakeHop): HopEvent {
  const headers: Record<string, string> = { host: 'base-service:8080', ...(spec.headers ?? {}) };
  const req = { method: spec.method ?? 'GET', url: spec.url ?? '/items?id=7', headers, socket: { remoteAddress: '127.0.0.1', remotePort: 40000 } };
  const responseHeaders = spec.responseHeaders ?? {};
  const res = { getHeaders: () => ({ ...responseHeaders }) };
  return {
    direction: spec.direction,
    req: req as unknown as IncomingMessage,
    res: res as unknown as ServerResponse,
    tunnel: false,
    shadow: false,
    mirrored: false,
    startedAt: performance.now(),
    service: spec.service ?? '',
    color: spec.color,
    colorSource: spec.colorSource ?? (spec.color === undefined ? 'none' : 'baggage'),
    via: spec.via,
    upstream: spec.upstream,
    upstreamColor: spec.upstreamColor,
    attempts: 0,
    status: 0,
    errorCode: undefined,
    durationMs: 0,
    responseHeaders: undefined,
    incomingTraceparent: headers['traceparent'],
    telemetry: undefined,
  };
}

/** Starts a hop: what the proxy publishes once color and route are known. */
export function startHop(hop: HopEvent): void {
  publish(channels.hopStart, hop);
}

/** One attempt, started and ended; returns the traceparent the attempt was sent with. */
export function runAttempt(hop: HopEvent, spec: FakeAttempt): { event: AttemptEvent; sentTraceparent: string | undefined } {
  hop.attempts++;
  hop.upstream = spec.address;
  hop.upstreamColor = spec.color;
  const event: AttemptEvent = { hop, attempt: hop.attempts, address: spec.address, endpointColor: spec.color, status: 0, errorKind: undefined, telemetry: undefined };
  publish(channels.attemptStart, event);
  const sentTraceparent = hop.req.headers.traceparent as string | undefined;
  event.status = spec.status ?? 0;
  event.errorKind = spec.errorKind;
  publish(channels.attemptEnd, event);
  return { event, sentTraceparent };
}

/** Ends a hop with its final status, as the proxy does when the client's response closes. */
export function endHop(hop: HopEvent, status: number, errorCode?: ErrorCode, durationMs = 2): void {
  hop.status = status;
  hop.errorCode = errorCode ?? hop.errorCode;
  hop.durationMs = durationMs;
  publish(channels.hopEnd, hop);
}

/** A whole hop in one call: start, attempts, end. */
export function runHop(spec: FakeHop, attempts: FakeAttempt[] = []): HopEvent {
  const hop = makeHop(spec);
  if (spec.errorCode !== undefined && attempts.length === 0) hop.errorCode = spec.errorCode;
  startHop(hop);
  for (const attempt of attempts) runAttempt(hop, attempt);
  if (attempts.length === 0 && (spec.direction === 'inbound' || spec.via === 'passthrough')) hop.attempts = 1;
  endHop(hop, spec.status ?? 200, spec.errorCode, spec.durationMs);
  return hop;
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the sample lines of a Prometheus text exposition (comments skipped). */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (match === null) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1] as string] = (pair[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** Sum of the samples of `name` whose labels include all of `labels` (0 when none match). */
export function valueOf(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const sample of parseExposition(text)) {
    if (sample.name !== name) continue;
    if (Object.entries(labels).every(([k, v]) => sample.labels[k] === v)) sum += sample.value;
  }
  return sum;
}

/** The samples of `name` (with their labels), for asserting a whole family at once. */
export function seriesOf(text: string, name: string): Sample[] {
  return parseExposition(text).filter((sample) => sample.name === name);
}
