// The life of one proxied request as the telemetry sees it: created on arrival, published when
// forwarding starts, and finished exactly once when the client's response closes (sent or aborted).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { channels, publish, type Direction, type HopEvent } from '../events.js';

const HOP = Symbol('colormesh.hop');
type WithHop = ServerResponse & { [HOP]?: HopEvent; colormeshOnClose?: (hop: HopEvent) => void };

export function createHop(direction: Direction, req: IncomingMessage, res: ServerResponse): HopEvent {
  const tp = req.headers.traceparent;
  const hop: HopEvent = {
    direction,
    req,
    res,
    startedAt: performance.now(),
    service: '',
    color: undefined,
    colorSource: 'none',
    via: undefined,
    upstream: undefined,
    upstreamColor: undefined,
    attempts: 0,
    status: 0,
    errorCode: undefined,
    durationMs: 0,
    incomingTraceparent: typeof tp === 'string' ? tp : undefined,
    telemetry: undefined,
  };
  (res as WithHop)[HOP] = hop;
  // One shared listener function (no closure per request); the hop is found through the response.
  res.once('close', onResponseClose);
  return hop;
}

/** Publishes the start of forwarding, once color and route are known. */
export function announceHop(hop: HopEvent): void {
  publish(channels.hopStart, hop);
}

/** Lets the caller run cleanup (in-flight counters, cancelling the upstream) when the hop ends. */
export function onHopClose(res: ServerResponse, fn: (hop: HopEvent) => void): void {
  (res as WithHop).colormeshOnClose = fn;
}

function onResponseClose(this: ServerResponse): void {
  const res = this as WithHop;
  const hop = res[HOP];
  if (hop === undefined) return;
  res[HOP] = undefined;
  hop.durationMs = performance.now() - hop.startedAt;
  // A response that closed before finishing was cut short: the client went away, or we cut it.
  if (hop.status === 0) hop.status = res.writableFinished || res.headersSent ? res.statusCode : 499;
  res.colormeshOnClose?.(hop);
  publish(channels.hopEnd, hop);
}
