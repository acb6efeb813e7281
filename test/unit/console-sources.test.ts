// The console's metrics sources: scraping sidecars (one dead sidecar blanks only its own figures) and
// asking Prometheus (each lane-map series from one PromQL query), against fake servers on port 0.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SERVED } from '../../src/console/lanes.js';
import type { Sample } from '../../src/release/prom-text.js';
import { prometheusSource, promQueries, scrapeSource, servedSeries, vectorSamples, wantedLines } from '../../src/console/sources.js';

describe('servedSeries', () => {
  test('a sidecar\'s inbound requests, labelled with the color of its pod', () => {
    const samples: Sample[] = [
      { name: 'colormesh_pod_info', labels: { pod_service: 'base', pod_color: '-' }, value: 1 },
      { name: 'colormesh_requests_total', labels: { direction: 'inbound', service: 'base', color: 'green', via: 'local', status_class: '2xx' }, value: 7 },
      { name: 'colormesh_requests_total', labels: { direction: 'outbound', service: 'other', color: 'green', via: 'exact', status_class: '2xx' }, value: 3 },
    ];
    assert.deepEqual(servedSeries(samples), [{ name: SERVED, labels: { service: 'base', color: 'green', pod_color: '-', status_class: '2xx' }, value: 7 }]);
    assert.deepEqual(servedSeries(samples.slice(1)), [], 'no pod info: nothing to say');
  });
});

describe('wantedLines', () => {
  test('keeps only the series the lane map reads, so an odd line elsewhere cannot fail a scrape', () => {
    const text = [
      '# HELP colormesh_requests_total Proxied requests',
      'colormesh_requests_total{direction="inbound"} 3',
      'colormesh_requests_total_extra 1',
      'colormesh_nodejs_eventloop_lag_mean_seconds Nan',
      'colormesh_pod_info{pod_service="a",pod_color="-"} 1',
      'colormesh_endpoints 2',
    ].join('\n');
    assert.equal(wantedLines(text), 'colormesh_requests_total{direction="inbound"} 3\ncolormesh_pod_info{pod_service="a",pod_color="-"} 1\ncolormesh_endpoints 2');
  });
});

describe('vectorSamples', () => {
  test('an instant vector becomes named samples', () => {
    const text = JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [
      { metric: { service: 'base', color: 'blue', le: '+Inf' }, value: [1, '2.5'] },
      { metric: { service: 'base', color: 'blue', le: '0.1' }, value: [1, 'NaN'] },
    ] } });
    assert.deepEqual(vectorSamples(text, 'colormesh_request_duration_seconds_bucket', { direction: 'inbound' }), [
      { name: 'colormesh_request_duration_seconds_bucket', labels: { service: 'base', color: 'blue', le: '+Inf', direction: 'inbound' }, value: 2.5 },
    ]);
  });
  test('an error answer throws with Prometheus\' message', () => {
    assert.throws(() => vectorSamples('{"status":"error","error":"parse error"}', 'x'), /parse error/);
  });
});

describe('against fake servers', () => {
  let server: http.Server;
  let base = '';
  let count = 0;
  const queries: string[] = [];
  before(async () => {
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/metrics') {
        count += 10;
        res.end(`# TYPE colormesh_requests_total counter\ncolormesh_requests_total{direction="inbound",service="base",color="blue",via="local",status_class="2xx"} ${count}\ncolormesh_endpoints{service="base",color="blue",health="healthy"} 1\nother_metric 5\n`);
        return;
      }
      if (url.pathname === '/api/v1/query') {
        queries.push(url.searchParams.get('query') ?? '');
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: { service: 'base', color: 'blue' }, value: [0, '4'] }] } }));
        return;
      }
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  test('scrape: rates between scrapes, gauges tagged with their sidecar, a dead URL reported on its own', async () => {
    const source = scrapeSource([`${base}/metrics`, `${base}/gone`], 10_000);
    await source.sample(Date.now());
    await new Promise((r) => setTimeout(r, 200));
    const { samples, targets } = await source.sample(Date.now());
    assert.deepEqual(targets.map((t) => [t.ok, t.error]), [[true, undefined], [false, 'HTTP 404']]);
    const rate = samples.find((s) => s.name === 'colormesh_requests_total');
    assert.ok(rate !== undefined && rate.value > 10 && rate.value < 100, `10 more in ~0.2 s: ${rate?.value}`);
    assert.equal(samples.find((s) => s.name === 'colormesh_endpoints')?.labels['instance'], `${base}/metrics`);
    assert.equal(samples.find((s) => s.name === 'other_metric'), undefined, 'only what the lane map reads is kept');
  });

  test('Prometheus: one query per series, each result named', async () => {
    queries.length = 0;
    const { samples, targets } = await prometheusSource(base, '30s').sample(Date.now());
    assert.deepEqual(targets, [{ url: base, ok: true }]);
    assert.deepEqual(queries, promQueries('30s').map((q) => q.query));
    assert.deepEqual(samples.map((s) => s.name).sort(), promQueries('30s').map((q) => q.name).sort());
  });

  test('Prometheus unreachable: reported, no figures', async () => {
    const { samples, targets } = await prometheusSource('http://127.0.0.1:1').sample(Date.now());
    assert.deepEqual(samples, []);
    assert.equal(targets[0]?.ok, false);
  });
});
