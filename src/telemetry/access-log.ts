// One access line per proxied request, written from the hopEnd event so the proxy itself never logs.
import type { HopEvent } from '../events.js';
import type { HopTelemetry } from './hop-state.js';
import type { Logger } from './logger.js';
import { redactHeaders, redactedHeaderNames } from './redact.js';
import { subscribeChannels } from './subscriptions.js';
import { parseTraceparent } from './trace-context.js';

export interface AccessLogOptions {
  /** log 1 in N requests that went well (5xx and the sidecar's own error answers always); 1 = every request */
  sampleEvery?: number;
  /** header names never logged, beyond the fixed ones; default: COLORMESH_LOG_REDACT_HEADERS */
  redactHeaders?: readonly string[];
}

/**
 * The ids that tie the line to a trace: the sidecar's own span when tracing made one, else the
 * caller's (from the incoming traceparent), so logs and traces join even with tracing off.
 */
export function traceIdsOf(hop: HopEvent): { trace_id: string | undefined; span_id: string | undefined } {
  const state = hop.telemetry as HopTelemetry | undefined;
  if (state?.traceId !== undefined) return { trace_id: state.traceId, span_id: state.spanId };
  const ids = parseTraceparent(hop.incomingTraceparent);
  return { trace_id: ids?.traceId, span_id: ids?.spanId };
}

/** Subscribes the access log; returns the function that unsubscribes it. */
export function subscribeAccessLog(logger: Logger, opts: AccessLogOptions = {}): () => void {
  const every = Math.max(1, Math.floor(opts.sampleEvery ?? 1));
  const sensitive = new Set([...redactedHeaderNames(), ...(opts.redactHeaders ?? []).map((name) => name.toLowerCase())]);
  let seen = 0;
  const onHopEnd = (message: unknown): void => {
    const hop = message as HopEvent;
    if (every > 1 && hop.status < 500 && hop.errorCode === undefined && ++seen % every !== 0) return;
    if (!logger.isLevelEnabled('info')) return;
    const ids = traceIdsOf(hop);
    const line: Record<string, unknown> = {
      type: 'access',
      direction: hop.direction,
      service: hop.service || undefined,
      color: hop.color ?? null,
      colorSource: hop.colorSource,
      via: hop.via ?? null,
      upstream: hop.upstream ?? null,
      upstreamColor: hop.upstreamColor ?? null,
      attempts: hop.attempts,
      method: hop.req.method,
      status: hop.status,
      error: hop.errorCode ?? undefined,
      shadow: hop.shadow || undefined,
      mirrored: hop.mirrored || undefined,
      durationMs: Math.round(hop.durationMs * 1000) / 1000,
      trace_id: ids.trace_id,
      span_id: ids.span_id,
    };
    // Headers only at debug: they are large, and even redacted they may say more than an operator needs.
    if (logger.isLevelEnabled('debug')) {
      line['requestHeaders'] = redactHeaders(hop.req.headers, sensitive);
      const relayed = hop.responseHeaders;
      if (relayed !== undefined) line['responseHeaders'] = redactHeaders(headersObject(relayed), sensitive);
      else if (hop.res !== undefined) line['responseHeaders'] = redactHeaders(hop.res.getHeaders(), sensitive);
    }
    logger.info(line, 'request');
  };
  return subscribeChannels({ hopEnd: onHopEnd });
}

/** A flat [name, value, …] header list as an object (lower-cased names; repeated names as arrays). */
function headersObject(flat: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < flat.length; i += 2) {
    const name = (flat[i] as string).toLowerCase();
    const value = flat[i + 1] as string;
    const seen = out[name];
    out[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return out;
}
