// Scraping the lanes' counters: every failure names the URL that failed, only the series a rollout needs
// are kept, and a Prometheus vector answer becomes the same samples.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { lanesQuery, metricsScraper, parsePrometheusVector, prometheusScraper, ScrapeError } from '../../src/release/scrape.js';
import { deadPort } from '../support/mesh.js';

const METRICS = [
  '# TYPE colormesh_requests_total counter',
  'colormesh_requests_total{direction="inbound",service="web",color="green",via="none",status_class="2xx"} 7',
  'colormesh_requests_total{direction="outbound",service="web",color="green",via="exact",status_class="2xx"} 9',
  'colormesh_nodejs_heap_size_total_bytes 123',
  '',
].join('\n');

describe('scrapers', () => {
  let server: http.Server;
  let base = '';
  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/metrics') return void res.end(METRICS);
      if (req.url === '/html') return void res.end('<html><body>not metrics</body></html>\n');
      if (req.url === '/slow') return void setTimeout(() => res.end(METRICS), 1000);
      if (req.url?.startsWith('/api/v1/query')) {
        const query = new URL(req.url, 'http://x').searchParams.get('query');
        res.setHeader('content-type', 'application/json');
        return void res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [
          { metric: { __name__: 'colormesh_requests_total', direction: 'inbound', color: 'green', status_class: '5xx', instance: 'a', query: query ?? '' }, value: [1, '3'] },
        ] } }));
      }
      res.statusCode = 404;
      res.end('nope');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  test('keeps only the inbound lane series, per URL', async () => {
    const reading = await metricsScraper([`${base}/metrics`]).read();
    assert.deepEqual([...reading.keys()], [`${base}/metrics`]);
    assert.deepEqual(reading.get(`${base}/metrics`)?.map((s) => s.value), [7]);
  });

  // Generous timeouts except for the slow case: a loaded CI machine must not turn a good URL into a failure.
  const failures: Array<[string, (base: string) => Promise<string>, RegExp, number]> = [
    ['refused', async () => `http://127.0.0.1:${await deadPort()}/metrics`, /ECONNREFUSED/, 5000],
    ['not 200', async (b) => `${b}/missing`, /HTTP 404/, 5000],
    ['not the exposition format', async (b) => `${b}/html`, /line 1 is not a Prometheus sample/, 5000],
    ['too slow', async (b) => `${b}/slow`, /no answer within 200 ms/, 200],
  ];
  for (const [why, url, message, timeoutMs] of failures) {
    test(`a URL that fails (${why}) is named in the error`, async () => {
      const target = await url(base);
      const urls = timeoutMs >= 5000 ? [`${base}/metrics`, target] : [target];
      await assert.rejects(metricsScraper(urls, timeoutMs).read(), (err: Error) => {
        assert.ok(err instanceof ScrapeError);
        assert.equal(err.url, target);
        assert.ok(err.message.startsWith(`cannot scrape ${target}: `), err.message);
        assert.match(err.message, message);
        return true;
      });
    });
  }

  test('Prometheus: one instant query for the lanes\' raw series', async () => {
    const reading = await prometheusScraper(base, ['green', 'blue']).read();
    const samples = reading.get(base) ?? [];
    assert.equal(samples.length, 1);
    assert.equal(samples[0]?.labels['query'], lanesQuery(['green', 'blue']));
    assert.equal(samples[0]?.labels['instance'], 'a');
    assert.equal(samples[0]?.name, 'colormesh_requests_total');
  });

  test('Prometheus errors name the URL', () => {
    assert.throws(() => parsePrometheusVector('{"status":"error","error":"bad query"}', 'http://p/api'), /cannot scrape http:\/\/p\/api: Prometheus answered error: bad query/);
    assert.throws(() => parsePrometheusVector('nope', 'http://p/api'), /not JSON/);
    assert.throws(() => parsePrometheusVector('{"status":"success","data":{"resultType":"matrix","result":[]}}', 'http://p/api'), /expected a vector/);
  });
});
