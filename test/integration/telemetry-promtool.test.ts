// A real scrape over HTTP after some traffic, checked by Prometheus' own linter (`promtool check metrics`).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { channels, publish, type EndpointsEvent, type ReloadEvent } from '../../src/events.js';
import { startTelemetry, type Telemetry } from '../../src/telemetry/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { runHop, valueOf } from '../support/telemetry-events.js';

const promtoolMissing = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).error !== undefined;

function get(port: number, path: string): Promise<{ status: number; contentType: string; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), body }));
    }).on('error', reject);
  });
}

function promtool(args: string[], stdin = ''): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
    child.stdin.end(stdin);
  });
}

describe('a real /metrics scrape', () => {
  let telemetry: Telemetry;
  let server: http.Server;
  let port: number;

  before(async () => {
    telemetry = await startTelemetry({
      service: 'frontend',
      color: 'blue',
      logger: createLogger({ level: 'silent', sync: true }),
      config: { hash: '0123456789ab', version: 1, colors: ['blue', 'green'] },
      env: {},
    });
    // The same wiring the sidecar's metrics server uses.
    server = http.createServer((req, res) => {
      if (req.url !== '/metrics') return void res.writeHead(404).end();
      void telemetry.metrics.render().then((body) => {
        res.writeHead(200, { 'content-type': telemetry.metrics.contentType });
        res.end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    // Enough traffic that every family has samples.
    runHop({ direction: 'gateway', service: 'frontend', color: 'green', colorSource: 'rule', via: 'exact' }, [{ address: '127.0.0.1:1', errorKind: 'connect' }, { address: '127.0.0.1:2', status: 200 }]);
    runHop({ direction: 'outbound', service: 'base-service', color: 'green', via: 'untagged', status: 504, errorCode: 'upstream_timeout' }, [{ address: '127.0.0.1:3', errorKind: 'timeout' }]);
    runHop({ direction: 'outbound', service: 'base-service', color: 'red', status: 503, errorCode: 'no_endpoint' });
    publish<ReloadEvent>(channels.reload, { result: 'failure', source: 'rules.yaml', hash: '0123456789ab', version: 1, error: 'bad' });
    publish<EndpointsEvent>(channels.endpoints, { service: 'base-service', endpoints: [{ address: '127.0.0.1:3', host: '127.0.0.1', port: 3, color: 'green', healthy: true, active: 0 }] });
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await telemetry.shutdown();
  });

  test('is Prometheus text with every colormesh family and the process metrics', async () => {
    const { status, contentType, body } = await get(port, '/metrics');
    assert.equal(status, 200);
    assert.match(contentType, /^text\/plain; version=0\.0\.4/);
    for (const family of [
      'colormesh_requests_total', 'colormesh_request_duration_seconds', 'colormesh_upstream_retries_total',
      'colormesh_upstream_errors_total', 'colormesh_no_endpoint_total', 'colormesh_invalid_colors_total',
      'colormesh_ingress_color_assignments_total', 'colormesh_config_reloads_total', 'colormesh_config_info',
      'colormesh_endpoints', 'colormesh_pod_info', 'colormesh_nodejs_eventloop_lag_seconds', 'colormesh_process_cpu_seconds_total',
    ]) {
      assert.match(body, new RegExp(`^# TYPE ${family} `, 'm'), family);
    }
    assert.equal(valueOf(body, 'colormesh_requests_total'), 3);
    assert.equal(valueOf(body, 'colormesh_config_info', { hash: '0123456789ab', version: '1' }), 1);
    assert.equal(valueOf(body, 'colormesh_pod_info', { pod_service: 'frontend', pod_color: 'blue' }), 1);
    assert.doesNotMatch(body, /(path|user|trace_id|span_id)="/, 'no unbounded labels');
  });

  test('passes promtool check metrics', { skip: promtoolMissing ? 'promtool not installed (Debian: apt-get install -y --no-install-recommends prometheus)' : false }, async () => {
    const { body } = await get(port, '/metrics');
    const { code, output } = await promtool(['check', 'metrics'], body);
    assert.equal(output.trim(), '', `promtool found problems:\n${output}`);
    assert.equal(code, 0);
  });

  test('every PromQL query in docs/observability.md parses', { skip: promtoolMissing ? 'promtool not installed' : false }, async () => {
    const queries = promqlOfDocs(readFileSync(new URL('../../../docs/observability.md', import.meta.url), 'utf8'));
    assert.ok(queries.length >= 10, `found ${queries.length} queries`);
    const dir = mkdtempSync(join(tmpdir(), 'colormesh-promql-'));
    try {
      const rulesFile = join(dir, 'docs-rules.yaml');
      // Recording rules are the cheapest thing promtool fully parses PromQL for.
      const rules = queries.map((expr, i) => `      - record: colormesh:docs_query_${i}\n        expr: ${JSON.stringify(expr)}`).join('\n');
      writeFileSync(rulesFile, `groups:\n  - name: docs\n    rules:\n${rules}\n`);
      const { code, output } = await promtool(['check', 'rules', rulesFile]);
      assert.equal(code, 0, output);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The queries of the ```promql blocks: a block is one query, or several each after a # comment line. */
function promqlOfDocs(markdown: string): string[] {
  const queries: string[] = [];
  for (const block of markdown.matchAll(/```promql\n([\s\S]*?)```/g)) {
    let current: string[] = [];
    const flush = (): void => {
      if (current.length > 0) queries.push(current.join('\n'));
      current = [];
    };
    for (const line of (block[1] as string).split('\n')) {
      if (line.trim().startsWith('#')) flush();
      else if (line.trim() !== '') current.push(line);
    }
    flush();
  }
  return queries;
}
