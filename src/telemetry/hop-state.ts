// The per-hop state the telemetry subscribers share through the one free slot (`hop.telemetry`) of an event.
import type { Span } from '@opentelemetry/api';
import type { AttemptEvent, HopEvent } from '../events.js';

export interface HopTelemetry {
  /** the SERVER span of an inbound/gateway hop, or the lone CLIENT span of a pass-through */
  span: Span | undefined;
  /** ids the access log prints: the hop's own span when tracing is on */
  traceId: string | undefined;
  spanId: string | undefined;
  /** attempt spans tracing started, so a hop without any still gets one CLIENT span */
  attemptSpans: number;
}

/** The hop's telemetry state, created on first use. */
export function hopTelemetry(hop: HopEvent): HopTelemetry {
  let state = hop.telemetry as HopTelemetry | undefined;
  if (state === undefined) {
    state = { span: undefined, traceId: undefined, spanId: undefined, attemptSpans: 0 };
    hop.telemetry = state;
  }
  return state;
}

/** The CLIENT span of one attempt, when tracing is on. */
export function attemptSpan(event: AttemptEvent): Span | undefined {
  return event.telemetry as Span | undefined;
}
