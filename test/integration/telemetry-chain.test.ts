// Two real sidecars and two apps in one trace: client → sidecar A inbound SERVER → frontend app →
// sidecar A outbound CLIENT → sidecar B inbound SERVER → backend app; and the scrape counts it exactly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Sidecar } from '../../src/sidecar.js';
import { startTelemetry, type Telemetry } from '../../src/telemetry/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { parseTraceparent } from '../../src/telemetry/trace-context.js';
import { request, rules, sidecar, sleep, startEcho, type EchoServer } from '../support/mesh.js';
import { valueOf } from '../support/telemetry-events.js';

const CLIENT_TRACE = '0af7651916cd43dd8448eb211c80319c';
const CLIENT_SPAN = 'b7ad6b7169203331';

describe('a trace across two sidecars', () => {
  const exporter = new InMemorySpanExporter();
  const processor = new SimpleSpanProcessor(exporter);
  let telemetry: Telemetry;
  let backend: EchoServer, frontend: EchoServer;
  let a: Sidecar, b: Sidecar;
  /** what the frontend app saw, and the span id it used as "its own" span for the call onward */
  const frontendSeen: { traceparent?: string; appSpanId?: string } = {};

  before(async () => {
    telemetry = await startTelemetry({ service: 'mesh-test', color: undefined, logger: createLogger({ level: 'silent', sync: true }), processMetrics: false, spanProcessors: [processor], env: {} });
    const metrics = async () => ({ contentType: telemetry.metrics.contentType, body: await telemetry.metrics.render() });
    backend = await startEcho('backend');
    b = await sidecar({ rules: rules('services: {}\n'), service: 'backend', color: 'green', appPort: backend.port, metrics });
    // The frontend app behaves like an instrumented app: it opens its own span under the one it
    // received and calls the backend through its sidecar's outbound listener (explicit proxy).
    frontend = await startEcho('frontend', (req, res) => {
      const received = parseTraceparent(req.headers.traceparent);
      frontendSeen.traceparent = req.headers.traceparent as string;
      frontendSeen.appSpanId = randomBytes(8).toString('hex');
      const outbound = (a.ports.outbound as number);
      const traceparent = `00-${received?.traceId ?? CLIENT_TRACE}-${frontendSeen.appSpanId}-01`;
      void request(outbound, { path: 'http://backend:8080/orders', headers: { traceparent, baggage: String(req.headers.baggage ?? '') } }).then((reply) => {
        res.writeHead(reply.status, { 'content-type': 'application/json' });
        res.end(reply.text);
      }, () => res.writeHead(500).end());
    });
    a = await sidecar({
      rules: rules(`
ingress:
  entrypoints: [frontend]
  rules:
    - match: { header: { name: x-canary, exact: "true" } }
      color: green
services:
  backend:
    port: 8080
    endpoints:
      - { address: "127.0.0.1:${b.ports.inbound}", color: green }
`),
      service: 'frontend',
      color: 'blue',
      appPort: frontend.port,
      metrics,
    });
  });
  after(async () => {
    await Promise.all([a.drain(), b.drain()]);
    await Promise.all([frontend.close(), backend.close()]);
    await telemetry.shutdown();
  });

  /** Hops end when their responses close, a moment after the client has its answer: poll, bounded. */
  async function spans(count: number): Promise<ReadableSpan[]> {
    for (let i = 0; i < 100; i++) {
      await processor.forceFlush();
      if (exporter.getFinishedSpans().length >= count) break;
      await sleep(20);
    }
    return exporter.getFinishedSpans();
  }

  test('every span nests under the one before it, and the apps see the sidecar spans as parents', async () => {
    const reply = await request(a.ports.inbound as number, { path: '/checkout', headers: { 'x-canary': 'true', traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` } });
    assert.equal(reply.status, 200);
    const echoed = JSON.parse(reply.text) as { headers: http.IncomingHttpHeaders };
    const all = await spans(3);
    assert.equal(all.length, 3, `spans: ${all.map((s) => `${s.kind}:${String(s.attributes['colormesh.direction'])}`).join(', ')}`);
    const find = (kind: SpanKind, direction: string, service: string): ReadableSpan => {
      const span = all.find((s) => s.kind === kind && s.attributes['colormesh.direction'] === direction && s.attributes['colormesh.service'] === service);
      assert.ok(span, `${direction} span of ${service}`);
      return span;
    };
    const aInbound = find(SpanKind.SERVER, 'inbound', 'frontend');
    const aOutbound = find(SpanKind.CLIENT, 'outbound', 'backend');
    const bInbound = find(SpanKind.SERVER, 'inbound', 'backend');

    for (const span of all) assert.equal(span.spanContext().traceId, CLIENT_TRACE);
    assert.equal(aInbound.parentSpanContext?.spanId, CLIENT_SPAN, 'A inbound under the client');
    assert.equal(parseTraceparent(frontendSeen.traceparent)?.spanId, aInbound.spanContext().spanId, 'frontend app under A inbound');
    assert.equal(aOutbound.parentSpanContext?.spanId, frontendSeen.appSpanId, 'A outbound under the frontend app span');
    assert.equal(bInbound.parentSpanContext?.spanId, aOutbound.spanContext().spanId, 'B inbound under A outbound');
    assert.equal(parseTraceparent(echoed.headers.traceparent)?.spanId, bInbound.spanContext().spanId, 'backend app under B inbound');

    assert.equal(aInbound.attributes['colormesh.color'], 'green');
    assert.equal(aInbound.attributes['colormesh.color_source'], 'rule');
    assert.equal(aOutbound.attributes['colormesh.via'], 'exact');
    assert.equal(aOutbound.attributes['colormesh.endpoint.color'], 'green');
    assert.equal(aOutbound.attributes['colormesh.endpoint.address'], `127.0.0.1:${b.ports.inbound}`);
    assert.equal(aOutbound.attributes['http.response.status_code'], 200);
    assert.equal(bInbound.attributes['colormesh.color_source'], 'baggage');
  });

  test('the metrics port shows exactly that traffic, per direction, color and via', async () => {
    const scrape = await request(a.ports.metrics, { path: '/metrics' });
    assert.equal(scrape.status, 200);
    const requests = (labels: Record<string, string>): number => valueOf(scrape.text, 'colormesh_requests_total', labels);
    assert.equal(requests({ direction: 'inbound', service: 'frontend', color: 'green', via: 'local', status_class: '2xx' }), 1);
    assert.equal(requests({ direction: 'outbound', service: 'backend', color: 'green', via: 'exact', status_class: '2xx' }), 1);
    assert.equal(requests({ direction: 'inbound', service: 'backend', color: 'green', via: 'local', status_class: '2xx' }), 1);
    assert.equal(requests({}), 3);
    assert.equal(valueOf(scrape.text, 'colormesh_ingress_color_assignments_total', { source: 'rule', color: 'green' }), 1);
    assert.equal(valueOf(scrape.text, 'colormesh_endpoints', { service: 'backend', color: 'green', health: 'healthy' }), 1);
  });
});
