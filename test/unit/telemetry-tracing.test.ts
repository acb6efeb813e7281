// Spans from synthetic hops, caught by an in-memory exporter: kinds, parents, attributes, and the
// traceparent written onward so the next hop (or the app) nests under the sidecar's span.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startTelemetry, tracingConfigured, type Telemetry } from '../../src/telemetry/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { parseTraceparent } from '../../src/telemetry/trace-context.js';
import { endHop, makeHop, runAttempt, runHop, startHop } from '../support/telemetry-events.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const CALLER = `00-${TRACE_ID}-${CALLER_SPAN}-01`;

const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan): string => span.spanContext().spanId;

describe('tracing from proxy events', () => {
  const exporter = new InMemorySpanExporter();
  const processor = new SimpleSpanProcessor(exporter);
  // Resource attributes detected asynchronously (host.id) hold exports back until they settle.
  const finished = async (): Promise<ReadableSpan[]> => {
    await processor.forceFlush();
    return exporter.getFinishedSpans();
  };
  const lines: Array<Record<string, unknown>> = [];
  let telemetry: Telemetry;

  before(async () => {
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const logger = createLogger({ level: 'info', sync: true, destination });
    telemetry = await startTelemetry({ service: 'frontend', color: 'blue', logger, processMetrics: false, spanProcessors: [processor], env: {} });
  });
  afterEach(() => {
    exporter.reset();
    lines.length = 0;
  });
  after(() => telemetry.shutdown());

  test('tracing is on when an exporter is passed in', async () => {
    assert.equal(telemetry.tracing, true);
  });

  test('inbound: a SERVER span under the caller, and the app receives that span as its parent', async () => {
    const hop = makeHop({ direction: 'inbound', service: 'frontend', color: 'green', colorSource: 'baggage', via: 'local', headers: { traceparent: CALLER }, url: '/cart?token=secret' });
    startHop(hop);
    const toApp = parseTraceparent(hop.req.headers.traceparent);
    endHop(hop, 200);
    const [span] = (await finished());
    assert.ok(span);
    assert.equal(span.kind, SpanKind.SERVER);
    assert.equal(span.spanContext().traceId, TRACE_ID);
    assert.equal(parentOf(span), CALLER_SPAN);
    assert.deepEqual(toApp, { traceId: TRACE_ID, spanId: idOf(span) });
    assert.equal(span.attributes['http.request.method'], 'GET');
    assert.equal(span.attributes['url.path'], '/cart', 'no query string in traces');
    assert.equal(span.attributes['http.response.status_code'], 200);
    assert.equal(span.attributes['server.address'], 'base-service');
    assert.equal(span.attributes['server.port'], 8080);
    assert.equal(span.attributes['colormesh.color'], 'green');
    assert.equal(span.attributes['colormesh.color_source'], 'baggage');
    assert.equal(span.attributes['colormesh.via'], 'local');
    assert.equal(span.status.code, SpanStatusCode.UNSET);
    assert.equal(span.resource.attributes['service.name'], 'frontend');
    assert.equal(span.resource.attributes['colormesh.pod.color'], 'blue');
    const access = lines.find((line) => line['type'] === 'access');
    assert.equal(access?.['trace_id'], TRACE_ID);
    assert.equal(access?.['span_id'], idOf(span), 'the access line names the sidecar span');
  });

  test('outbound: one CLIENT span per attempt, each a child of the app span, each sent with its own id', async () => {
    const hop = makeHop({ direction: 'outbound', service: 'base-service', color: 'green', colorSource: 'trace', via: 'exact', headers: { traceparent: CALLER } });
    startHop(hop);
    const first = runAttempt(hop, { address: '127.0.0.1:9101', color: 'green', errorKind: 'connect' });
    const second = runAttempt(hop, { address: '127.0.0.1:9102', color: 'green', status: 200 });
    endHop(hop, 200);
    const spans = (await finished());
    assert.equal(spans.length, 2, 'no span for the outbound hop itself');
    const [failed, ok] = spans as [ReadableSpan, ReadableSpan];
    for (const span of spans) {
      assert.equal(span.kind, SpanKind.CLIENT);
      assert.equal(span.spanContext().traceId, TRACE_ID);
      assert.equal(parentOf(span), CALLER_SPAN, 'a retry is a sibling, not a child of the failed attempt');
    }
    assert.equal(parseTraceparent(first.sentTraceparent)?.spanId, idOf(failed));
    assert.equal(parseTraceparent(second.sentTraceparent)?.spanId, idOf(ok));
    assert.equal(failed.status.code, SpanStatusCode.ERROR);
    assert.equal(failed.attributes['error.type'], 'upstream_unreachable');
    assert.equal(failed.attributes['colormesh.error_code'], 'upstream_unreachable');
    assert.equal(failed.attributes['colormesh.retry_count'], 0);
    assert.equal(ok.attributes['colormesh.retry_count'], 1);
    assert.equal(ok.attributes['http.request.resend_count'], 1);
    assert.equal(ok.attributes['colormesh.endpoint.address'], '127.0.0.1:9102');
    assert.equal(ok.attributes['colormesh.endpoint.color'], 'green');
    assert.equal(ok.attributes['colormesh.via'], 'exact');
    assert.equal(ok.attributes['colormesh.color_source'], 'trace');
    assert.equal(ok.attributes['url.full'], 'http://127.0.0.1:9102/items');
    assert.equal(ok.attributes['http.response.status_code'], 200);
    assert.equal(ok.status.code, SpanStatusCode.UNSET);
  });

  test('two sidecars and an app: client → A outbound CLIENT → B inbound SERVER → app', async () => {
    const outbound = makeHop({ direction: 'outbound', service: 'backend', color: 'green', via: 'exact', headers: { traceparent: CALLER } });
    startHop(outbound);
    const { sentTraceparent } = runAttempt(outbound, { address: '127.0.0.1:15006', status: 200 });
    const inbound = makeHop({ direction: 'inbound', service: 'backend', color: 'green', via: 'local', headers: { traceparent: sentTraceparent as string } });
    startHop(inbound);
    const toApp = parseTraceparent(inbound.req.headers.traceparent);
    endHop(inbound, 200);
    endHop(outbound, 200);
    const client = (await finished()).find((s) => s.kind === SpanKind.CLIENT) as ReadableSpan;
    const server = (await finished()).find((s) => s.kind === SpanKind.SERVER) as ReadableSpan;
    assert.equal(parentOf(client), CALLER_SPAN);
    assert.equal(parentOf(server), idOf(client));
    assert.equal(toApp?.spanId, idOf(server));
    assert.equal(new Set([client, server].map((s) => s.spanContext().traceId)).size, 1);
  });

  test('gateway: attempts nest under the gateway SERVER span; no incoming trace starts a new one', async () => {
    runHop({ direction: 'gateway', service: 'frontend', color: 'blue', colorSource: 'split', via: 'exact', status: 503 }, [{ address: '127.0.0.1:9', status: 503 }]);
    const server = (await finished()).find((s) => s.kind === SpanKind.SERVER) as ReadableSpan;
    const client = (await finished()).find((s) => s.kind === SpanKind.CLIENT) as ReadableSpan;
    assert.equal(parentOf(server), undefined, 'a root span');
    assert.equal(parentOf(client), idOf(server));
    assert.equal(server.status.code, SpanStatusCode.ERROR, 'a 5xx fails a SERVER span');
    assert.equal(server.attributes['error.type'], '503');
    assert.equal(server.attributes['colormesh.color_source'], 'split');
  });

  test('refused hops still leave a span: outbound no_endpoint, inbound bad request without hopStart', async () => {
    runHop({ direction: 'outbound', service: 'base-service', color: 'red', via: undefined, status: 503, errorCode: 'no_endpoint', headers: { traceparent: CALLER } });
    const refused = makeHop({ direction: 'inbound', service: 'frontend', headers: { traceparent: CALLER } });
    endHop(refused, 400, 'bad_request');
    const [noEndpoint, badRequest] = (await finished()) as [ReadableSpan, ReadableSpan];
    assert.equal(noEndpoint.kind, SpanKind.CLIENT);
    assert.equal(parentOf(noEndpoint), CALLER_SPAN);
    assert.equal(noEndpoint.attributes['colormesh.error_code'], 'no_endpoint');
    assert.equal(noEndpoint.status.code, SpanStatusCode.ERROR);
    assert.equal(badRequest.kind, SpanKind.SERVER);
    assert.equal(badRequest.attributes['error.type'], 'bad_request');
    assert.equal(badRequest.status.code, SpanStatusCode.UNSET, 'a 4xx is the client\'s doing');
  });

  test('an unsampled caller gets an unsampled child: nothing exported, the flag passed on', async () => {
    const hop = makeHop({ direction: 'inbound', service: 'frontend', via: 'local', headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-00` } });
    startHop(hop);
    const toApp = hop.req.headers.traceparent as string;
    endHop(hop, 200);
    assert.equal((await finished()).length, 0);
    assert.match(toApp, new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-00$`));
  });
});

describe('tracingConfigured reads the standard OTEL_* variables', () => {
  const cases: Array<[NodeJS.ProcessEnv, boolean]> = [
    [{}, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }, true],
    [{ OTEL_TRACES_EXPORTER: 'otlp' }, true],
    [{ OTEL_TRACES_EXPORTER: 'console' }, true],
    [{ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, false],
    [{ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, false],
  ];
  for (const [env, expected] of cases) {
    test(`${JSON.stringify(env)} → ${expected}`, () => assert.equal(tracingConfigured(env), expected));
  }

  test('with nothing configured startTelemetry traces nothing and leaves traceparent alone', async () => {
    const telemetry = await startTelemetry({ service: 'frontend', color: undefined, logger: createLogger({ level: 'silent', sync: true }), processMetrics: false, env: {} });
    try {
      assert.equal(telemetry.tracing, false);
      const hop = makeHop({ direction: 'inbound', service: 'frontend', via: 'local', headers: { traceparent: CALLER } });
      startHop(hop);
      assert.equal(hop.req.headers.traceparent, CALLER);
      endHop(hop, 200);
    } finally {
      await telemetry.shutdown();
    }
  });
});
