// Tracing configured only by OTEL_* variables exports OTLP/HTTP to a collector (a loopback stand-in here).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTelemetry } from '../../src/telemetry/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { runHop } from '../support/telemetry-events.js';

const TRACE_ID = '5bf92f3577b34da6a3ce929d0e0e4736';

interface OtlpAttribute { key: string; value: { stringValue?: string; intValue?: string | number } }
interface OtlpSpan { traceId: string; spanId: string; parentSpanId?: string; kind: number; attributes: OtlpAttribute[] }
interface OtlpExport { resourceSpans: Array<{ resource: { attributes: OtlpAttribute[] }; scopeSpans: Array<{ spans: OtlpSpan[] }> }> }

const attr = (list: OtlpAttribute[], key: string): string | number | undefined => {
  const value = list.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue !== undefined ? Number(value.intValue) : undefined);
};

describe('OTLP/HTTP export from OTEL_* variables', () => {
  const received: OtlpExport[] = [];
  let collector: http.Server;
  let endpoint: string;
  const saved = { ...process.env };

  before(async () => {
    collector = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        if (req.url === '/v1/traces') received.push(JSON.parse(body) as OtlpExport);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  });
  after(async () => {
    process.env = saved;
    await new Promise<void>((resolve) => collector.close(() => resolve()));
  });

  async function exportOneHop(env: Record<string, string>): Promise<OtlpExport[]> {
    received.length = 0;
    process.env = { ...saved, ...env };
    delete process.env['OTEL_SERVICE_NAME'];
    if (env['OTEL_SERVICE_NAME'] !== undefined) process.env['OTEL_SERVICE_NAME'] = env['OTEL_SERVICE_NAME'];
    const telemetry = await startTelemetry({ service: 'frontend', color: 'green', logger: createLogger({ level: 'silent', sync: true }), processMetrics: false });
    try {
      assert.equal(telemetry.tracing, true);
      runHop({ direction: 'inbound', service: 'frontend', color: 'green', via: 'local', headers: { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` } });
    } finally {
      await telemetry.shutdown(); // must flush the batch before resolving
      process.env = { ...saved };
    }
    return received;
  }

  test('OTEL_EXPORTER_OTLP_ENDPOINT alone turns tracing on; service.name defaults to the pod service', async () => {
    const exports = await exportOneHop({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    const resourceSpans = exports.flatMap((e) => e.resourceSpans);
    const spans = resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    assert.equal(spans.length, 1, 'flushed on shutdown');
    const [span] = spans as [OtlpSpan];
    assert.equal(span.traceId, TRACE_ID);
    assert.equal(span.parentSpanId, '00f067aa0ba902b7');
    assert.equal(span.kind, 2, 'SPAN_KIND_SERVER');
    assert.equal(attr(span.attributes, 'colormesh.color'), 'green');
    assert.equal(attr(span.attributes, 'http.response.status_code'), 200);
    const resource = resourceSpans[0]?.resource.attributes ?? [];
    assert.equal(attr(resource, 'service.name'), 'frontend');
    assert.equal(attr(resource, 'colormesh.pod.color'), 'green');
  });

  test('OTEL_SERVICE_NAME wins over the pod service', async () => {
    const exports = await exportOneHop({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${endpoint}/v1/traces`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: 'edge-sidecar' });
    assert.equal(attr(exports[0]?.resourceSpans[0]?.resource.attributes ?? [], 'service.name'), 'edge-sidecar');
  });
});
