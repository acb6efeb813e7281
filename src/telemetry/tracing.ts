// OpenTelemetry traces: the SDK set up from OTEL_* variables, fed by the proxy's events — a SERVER
// span per inbound/gateway hop, a CLIENT span per upstream attempt, each written onward in traceparent.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, defaultTextMapGetter, defaultTextMapSetter, propagation, trace } from '@opentelemetry/api';
import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { AttemptEvent, HopEvent } from '../events.js';
import { attemptSpan, hopTelemetry } from './hop-state.js';
import { subscribeChannels } from './subscriptions.js';
import { tracingConfigured } from './tracing-config.js';
import { clientStartAttributes, hopEndAttributes, serverStartAttributes, attemptEndAttributes } from './span-attributes.js';

export interface TracingOptions {
  /** the pod's service: service.name unless OTEL_SERVICE_NAME (or service.name in OTEL_RESOURCE_ATTRIBUTES) says otherwise */
  service: string | undefined;
  color: string | undefined;
  /** span processors to use instead of the OTEL_* exporters (tests pass an in-memory exporter here); turns tracing on */
  spanProcessors?: SpanProcessor[];
  env?: NodeJS.ProcessEnv;
}

export interface Tracing {
  /** flushes spans still buffered and releases the global OpenTelemetry registrations */
  shutdown(): Promise<void>;
}

function serviceNameFromEnv(env: NodeJS.ProcessEnv): boolean {
  if (env['OTEL_SERVICE_NAME']) return true;
  return (env['OTEL_RESOURCE_ATTRIBUTES'] ?? '').split(',').some((pair) => pair.trim().startsWith('service.name='));
}

/** Starts tracing, or returns undefined when it is off. */
export function startTracing(opts: TracingOptions): Tracing | undefined {
  const env = opts.env ?? process.env;
  if (opts.spanProcessors === undefined && !tracingConfigured(env)) return undefined;
  const sdk = new NodeSDK({
    serviceName: serviceNameFromEnv(env) ? undefined : (opts.service ?? 'colormesh'),
    // Merged onto the default resource so telemetry.sdk.* stay; detectors (env, process, host) add the rest.
    resource: defaultResource().merge(resourceFromAttributes(opts.color === undefined ? {} : { 'colormesh.pod.color': opts.color })),
    // The sidecar's own http module must not be traced: every request would show up twice.
    instrumentations: [],
    // Metrics are prom-client's job and nothing here writes OpenTelemetry logs: no exporters for them.
    metricReaders: [],
    logRecordProcessors: [],
    ...(opts.spanProcessors !== undefined ? { spanProcessors: opts.spanProcessors } : {}),
  });
  sdk.start();
  const tracer = trace.getTracer('colormesh');
  const unsubscribe = subscribeSpans(tracer);
  return {
    async shutdown() {
      unsubscribe();
      await sdk.shutdown();
      // A later start in the same process (tests, a restart) must be able to register again.
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

// Our own propagator, not the global one: only traceparent/tracestate are ours to rewrite, baggage never (SPEC 3).
const traceContext = new W3CTraceContextPropagator();

function parentFrom(traceparent: string | undefined, tracestate: string | string[] | undefined): Context {
  if (traceparent === undefined) return ROOT_CONTEXT;
  const carrier = { traceparent, tracestate: typeof tracestate === 'string' ? tracestate : undefined };
  return traceContext.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
}

/** Rewrites the request's traceparent (and tracestate) so whatever it reaches next nests under `span`. */
function writeOnward(span: Span, headers: Record<string, unknown>): void {
  traceContext.inject(trace.setSpan(ROOT_CONTEXT, span), headers, defaultTextMapSetter);
}

function endSpan(span: Span, attributes: Attributes, failed: boolean, errorType: string | undefined): void {
  span.setAttributes(attributes);
  if (failed) span.setStatus({ code: SpanStatusCode.ERROR, ...(errorType !== undefined ? { message: errorType } : {}) });
  span.end();
}

function subscribeSpans(tracer: Tracer): () => void {
  const startHopSpan = (hop: HopEvent, kind: SpanKind, attributes: Attributes): Span => {
    const parent = parentFrom(hop.incomingTraceparent, hop.req.headers.tracestate);
    const span = tracer.startSpan(hop.req.method ?? 'HTTP', { kind, startTime: hop.startedAt, attributes }, parent);
    const state = hopTelemetry(hop);
    state.span = span;
    state.traceId = span.spanContext().traceId;
    state.spanId = span.spanContext().spanId;
    return span;
  };

  const onHopStart = (message: unknown): void => {
    const hop = message as HopEvent;
    if (hop.direction === 'outbound' && hop.via !== 'passthrough') return; // its attempts carry the spans
    const span = hop.direction === 'outbound'
      ? startHopSpan(hop, SpanKind.CLIENT, clientStartAttributes(hop, hop.upstream, undefined, 1))
      : startHopSpan(hop, SpanKind.SERVER, serverStartAttributes(hop));
    writeOnward(span, hop.req.headers);
  };

  const onHopEnd = (message: unknown): void => {
    const hop = message as HopEvent;
    const state = hopTelemetry(hop);
    let span = state.span;
    if (span === undefined) {
      // A hop refused before forwarding (bad request, no endpoint) still belongs in the trace.
      if (hop.direction !== 'outbound') span = startHopSpan(hop, SpanKind.SERVER, serverStartAttributes(hop));
      else if (state.attemptSpans === 0) span = startHopSpan(hop, SpanKind.CLIENT, clientStartAttributes(hop, hop.upstream, undefined, 0));
      else return;
    }
    const isServer = hop.direction !== 'outbound';
    const { attributes, failed, errorType } = hopEndAttributes(hop, isServer);
    endSpan(span, attributes, failed, errorType);
  };

  const onAttemptStart = (message: unknown): void => {
    const event = message as AttemptEvent;
    const hop = event.hop;
    const state = hopTelemetry(hop);
    // Gateway attempts nest under the gateway's SERVER span; outbound ones under the app's span.
    const parent = state.span !== undefined ? trace.setSpan(ROOT_CONTEXT, state.span) : parentFrom(hop.incomingTraceparent, hop.req.headers.tracestate);
    const attributes = clientStartAttributes(hop, event.address, event.endpointColor, event.attempt);
    const span = tracer.startSpan(hop.req.method ?? 'HTTP', { kind: SpanKind.CLIENT, attributes }, parent);
    event.telemetry = span;
    state.attemptSpans++;
    if (state.span === undefined) {
      state.traceId = span.spanContext().traceId;
      state.spanId = span.spanContext().spanId;
    }
    writeOnward(span, hop.req.headers);
  };

  const onAttemptEnd = (message: unknown): void => {
    const event = message as AttemptEvent;
    const span = attemptSpan(event);
    if (span === undefined) return;
    event.telemetry = undefined;
    const { attributes, failed, errorType } = attemptEndAttributes(event);
    endSpan(span, attributes, failed, errorType);
  };

  return subscribeChannels({ hopStart: onHopStart, hopEnd: onHopEnd, attemptStart: onAttemptStart, attemptEnd: onAttemptEnd });
}
