// Metrics move exactly with the events the proxy publishes: each via, each error kind, each reload result.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { channels, publish, type EndpointsEvent, type InvalidColorEvent, type ReloadEvent } from '../../src/events.js';
import type { Endpoint } from '../../src/core/types.js';
import { startMetrics, type Metrics } from '../../src/telemetry/metrics.js';
import { statusClass } from '../../src/telemetry/label-values.js';
import { runHop, seriesOf, valueOf } from '../support/telemetry-events.js';

describe('colormesh metrics', () => {
  let metrics: Metrics;
  const scrape = (): Promise<string> => metrics.render();

  beforeEach(() => {
    metrics = startMetrics({ processMetrics: false });
  });
  afterEach(() => metrics.stop());

  test('requests_total counts each via separately, by service, color and status class', async () => {
    const table: Array<{ via: 'exact' | 'untagged' | 'default' | 'passthrough'; color: string | undefined; status: number; times: number }> = [
      { via: 'exact', color: 'green', status: 200, times: 3 },
      { via: 'untagged', color: 'green', status: 200, times: 2 },
      { via: 'default', color: 'blue', status: 404, times: 1 },
      { via: 'passthrough', color: undefined, status: 502, times: 4 },
    ];
    for (const row of table) {
      for (let i = 0; i < row.times; i++) {
        const service = row.via === 'passthrough' ? '' : 'base-service';
        runHop({ direction: 'outbound', service, color: row.color, via: row.via, status: row.status }, row.via === 'passthrough' ? [] : [{ address: '127.0.0.1:9101', status: row.status }]);
      }
    }
    runHop({ direction: 'inbound', service: 'frontend', color: 'green', via: 'local', status: 200 });
    runHop({ direction: 'outbound', service: 'base-service', color: 'red', via: undefined, status: 503, errorCode: 'no_endpoint' });

    const text = await scrape();
    const requests = (labels: Record<string, string>): number => valueOf(text, 'colormesh_requests_total', labels);
    assert.equal(requests({ direction: 'outbound', service: 'base-service', color: 'green', via: 'exact', status_class: '2xx' }), 3);
    assert.equal(requests({ direction: 'outbound', service: 'base-service', color: 'green', via: 'untagged', status_class: '2xx' }), 2);
    assert.equal(requests({ direction: 'outbound', service: 'base-service', color: 'blue', via: 'default', status_class: '4xx' }), 1);
    assert.equal(requests({ direction: 'outbound', service: '-', color: '-', via: 'passthrough', status_class: '5xx' }), 4);
    assert.equal(requests({ direction: 'inbound', service: 'frontend', color: 'green', via: 'local', status_class: '2xx' }), 1);
    assert.equal(requests({ direction: 'outbound', color: 'red', via: 'none', status_class: '5xx' }), 1);
    assert.equal(requests({}), 12, 'no request counted twice or lost');
    assert.equal(valueOf(text, 'colormesh_no_endpoint_total', { service: 'base-service', color: 'red' }), 1);
    assert.equal(valueOf(text, 'colormesh_request_duration_seconds_count'), 12);
  });

  test('the duration histogram puts a 3 ms request in the 5 ms bucket, not the 2.5 ms one', async () => {
    runHop({ direction: 'inbound', service: 'frontend', via: 'local', durationMs: 3 });
    const text = await scrape();
    const bucket = (le: string): number => valueOf(text, 'colormesh_request_duration_seconds_bucket', { direction: 'inbound', le });
    assert.equal(bucket('0.0025'), 0);
    assert.equal(bucket('0.005'), 1);
    assert.equal(bucket('+Inf'), 1);
    assert.ok(Math.abs(valueOf(text, 'colormesh_request_duration_seconds_sum') - 0.003) < 1e-9);
  });

  test('upstream errors by kind: from attempts, and from hops that have no attempt events', async () => {
    runHop({ direction: 'outbound', service: 'base-service', color: 'blue', via: 'exact', status: 200 }, [
      { address: '127.0.0.1:1', errorKind: 'connect' },
      { address: '127.0.0.1:2', errorKind: 'connect' },
      { address: '127.0.0.1:3', status: 200 },
    ]);
    runHop({ direction: 'outbound', service: 'base-service', via: 'exact', status: 504, errorCode: 'upstream_timeout' }, [{ address: '127.0.0.1:4', errorKind: 'timeout' }]);
    runHop({ direction: 'gateway', service: 'frontend', via: 'exact', status: 502, errorCode: 'upstream_reset' }, [{ address: '127.0.0.1:5', errorKind: 'reset' }]);
    // inbound: the app is one target with no attempt events; the hop's error code is all there is
    runHop({ direction: 'inbound', service: 'frontend', via: 'local', status: 502, errorCode: 'upstream_unreachable' });
    runHop({ direction: 'inbound', service: 'frontend', via: 'local', status: 200, errorCode: 'upstream_reset' });

    const text = await scrape();
    const errors = (labels: Record<string, string>): number => valueOf(text, 'colormesh_upstream_errors_total', labels);
    assert.equal(errors({ direction: 'outbound', service: 'base-service', kind: 'connect' }), 2);
    assert.equal(errors({ direction: 'outbound', service: 'base-service', kind: 'timeout' }), 1, 'the attempt counted, not the hop again');
    assert.equal(errors({ direction: 'gateway', kind: 'reset' }), 1);
    assert.equal(errors({ direction: 'inbound', kind: 'connect' }), 1);
    assert.equal(errors({ direction: 'inbound', kind: 'reset' }), 1);
    assert.equal(errors({}), 6);
    assert.equal(valueOf(text, 'colormesh_upstream_retries_total', { direction: 'outbound', service: 'base-service', color: 'blue' }), 2);
    assert.equal(valueOf(text, 'colormesh_upstream_retries_total'), 2);
  });

  test('reloads by result, and config_info shows only the version in force', async () => {
    let text = await scrape();
    assert.equal(valueOf(text, 'colormesh_config_reloads_total', { result: 'success' }), 0);
    assert.equal(seriesOf(text, 'colormesh_config_reloads_total').length, 2, 'both results exported from the start');
    const reload = (event: ReloadEvent): void => publish(channels.reload, event);
    reload({ result: 'success', source: 'rules.yaml', hash: 'aaaaaaaaaaaa', version: 1, error: undefined });
    reload({ result: 'success', source: 'rules.yaml', hash: 'bbbbbbbbbbbb', version: 1, error: undefined });
    reload({ result: 'failure', source: 'rules.yaml', hash: 'bbbbbbbbbbbb', version: 1, error: 'line 3, column 1: unknown key' });
    text = await scrape();
    assert.equal(valueOf(text, 'colormesh_config_reloads_total', { result: 'success' }), 2);
    assert.equal(valueOf(text, 'colormesh_config_reloads_total', { result: 'failure' }), 1);
    assert.deepEqual(seriesOf(text, 'colormesh_config_info').map((s) => [s.labels, s.value]), [[{ hash: 'bbbbbbbbbbbb', version: '1' }, 1]]);
  });

  test('config_info is known from start-up when the loaded rules are passed in', async () => {
    const withConfig = startMetrics({ processMetrics: false, config: { hash: 'cccccccccccc', version: 1 } });
    try {
      assert.equal(valueOf(await withConfig.render(), 'colormesh_config_info', { hash: 'cccccccccccc', version: '1' }), 1);
    } finally {
      withConfig.stop();
    }
  });

  test('invalid colors by direction and source', async () => {
    const invalid = (event: InvalidColorEvent): void => publish(channels.invalidColor, event);
    invalid({ direction: 'inbound', source: 'baggage', value: 'Not_A_Color!' });
    invalid({ direction: 'inbound', source: 'baggage', value: 'x'.repeat(40) });
    invalid({ direction: 'outbound', source: 'pod', value: '--' });
    const text = await scrape();
    assert.equal(valueOf(text, 'colormesh_invalid_colors_total', { direction: 'inbound', source: 'baggage' }), 2);
    assert.equal(valueOf(text, 'colormesh_invalid_colors_total', { direction: 'outbound', source: 'pod' }), 1);
    assert.ok(!text.includes('Not_A_Color'), 'the invalid value itself never becomes a label');
  });

  test('ingress color assignments count entry hops by source, never outbound or forwarded colors', async () => {
    runHop({ direction: 'gateway', service: 'frontend', color: 'green', colorSource: 'rule', via: 'exact' }, [{ address: '127.0.0.1:1', status: 200 }]);
    runHop({ direction: 'inbound', service: 'frontend', color: 'blue', colorSource: 'split', via: 'local' });
    runHop({ direction: 'inbound', service: 'frontend', color: 'blue', colorSource: 'split', via: 'local' });
    runHop({ direction: 'inbound', service: 'frontend', color: 'green', colorSource: 'client', via: 'local' });
    runHop({ direction: 'inbound', service: 'backend', color: 'green', colorSource: 'baggage', via: 'local' });
    runHop({ direction: 'outbound', service: 'backend', color: 'green', colorSource: 'pod', via: 'exact' }, [{ address: '127.0.0.1:1', status: 200 }]);
    const text = await scrape();
    const assigned = (labels: Record<string, string>): number => valueOf(text, 'colormesh_ingress_color_assignments_total', labels);
    assert.equal(assigned({ source: 'rule', color: 'green' }), 1);
    assert.equal(assigned({ source: 'split', color: 'blue' }), 2);
    assert.equal(assigned({ source: 'client', color: 'green' }), 1);
    assert.equal(assigned({}), 4);
  });

  test('endpoints gauge follows each discovery report, dropping colors that went away', async () => {
    const endpoint = (address: string, color: string | undefined, healthy = true): Endpoint => ({ address, host: '127.0.0.1', port: Number(address.split(':')[1]), color, healthy, active: 0 });
    const report = (event: EndpointsEvent): void => publish(channels.endpoints, event);
    report({ service: 'base-service', endpoints: [endpoint('127.0.0.1:1', 'blue'), endpoint('127.0.0.1:2', 'blue', false), endpoint('127.0.0.1:3', 'green'), endpoint('127.0.0.1:4', undefined)] });
    let text = await scrape();
    assert.equal(valueOf(text, 'colormesh_endpoints', { service: 'base-service', color: 'blue', health: 'healthy' }), 1);
    assert.equal(valueOf(text, 'colormesh_endpoints', { service: 'base-service', color: 'blue', health: 'unhealthy' }), 1);
    assert.equal(valueOf(text, 'colormesh_endpoints', { service: 'base-service', color: '-', health: 'healthy' }), 1);
    report({ service: 'base-service', endpoints: [endpoint('127.0.0.1:1', 'blue'), endpoint('127.0.0.1:5', 'blue')] });
    text = await scrape();
    assert.deepEqual(seriesOf(text, 'colormesh_endpoints').map((s) => [s.labels['color'], s.labels['health'], s.value]), [['blue', 'healthy', 2]]);
  });

  test('statusClass', () => {
    assert.deepEqual([200, 204, 301, 404, 499, 503, 0, 600].map(statusClass), ['2xx', '2xx', '3xx', '4xx', '4xx', '5xx', 'unknown', 'unknown']);
  });
});

describe('bounded color labels', () => {
  test('past the cap, new colors are reported as _other; allow-listed colors always keep their name', async () => {
    const metrics = startMetrics({ processMetrics: false, maxLabelValues: 3, colors: ['blue', 'green'] });
    try {
      const colors = ['blue', 'green', 'c1', 'c2', 'c3', 'c4', 'c5', 'c1', 'green'];
      for (const color of colors) runHop({ direction: 'inbound', service: 'frontend', color, via: 'local' });
      const text = await metrics.render();
      const byColor = Object.fromEntries(seriesOf(text, 'colormesh_requests_total').map((s) => [s.labels['color'], s.value]));
      assert.deepEqual(byColor, { blue: 1, green: 2, c1: 2, c2: 1, c3: 1, _other: 2 });
    } finally {
      metrics.stop();
    }
  });

  test('ten thousand distinct colors make at most cap + 1 series', async () => {
    const metrics = startMetrics({ processMetrics: false });
    try {
      for (let i = 0; i < 10_000; i++) runHop({ direction: 'inbound', service: 'frontend', color: `lane-${i}`, via: 'local' });
      const text = await metrics.render();
      assert.equal(seriesOf(text, 'colormesh_requests_total').length, 51);
      assert.equal(valueOf(text, 'colormesh_requests_total', { color: '_other' }), 10_000 - 50);
    } finally {
      metrics.stop();
    }
  });
});
