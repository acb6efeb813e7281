// Passive outlier ejection (SPEC 2) as a policy step of the pipeline: consecutive failures eject an
// endpoint for a growing time, a dead lane falls back like an empty one, and it shows on /endpoints,
// /explain and in metrics.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { channels, type EjectionEvent } from '../../src/events.js';
import { startMetrics } from '../../src/telemetry/metrics.js';
import { deadPort, request, rules, sidecar, sleep, startEcho } from '../support/mesh.js';

describe('outlier ejection', () => {
  const metrics = startMetrics({ processMetrics: false } as never);
  after(() => metrics.stop());

  test('a dead lane is ejected after consecutiveFailures and then falls back; the ejection grows', async () => {
    const dead = await deadPort();
    const plain = await startEcho('untagged');
    const ejections: EjectionEvent[] = [];
    const onEjection = (m: unknown): void => void ejections.push(m as EjectionEvent);
    diagnostics_channel.subscribe(channels.ejection.name as string, onEjection);
    const sc = await sidecar({
      rules: rules(`
services:
  base:
    retries: 0
    outlierDetection: { consecutiveFailures: 3, baseEjectionMs: 300 }
    endpoints:
      - { address: "127.0.0.1:${dead}", color: blue }
      - { address: "${plain.address}" }
`),
    });
    const blue = (): Promise<{ status: number; route: string | undefined }> =>
      request(sc.ports.outbound as number, { headers: { host: 'base', baggage: 'color=blue' } }).then((r) => ({ status: r.status, route: r.headers['x-colormesh-route'] as string | undefined }));
    try {
      const first = [await blue(), await blue(), await blue()];
      assert.deepEqual(first.map((r) => r.status), [502, 502, 502], 'the first failures are answered as they are');
      const after = await blue();
      assert.deepEqual(after, { status: 200, route: 'base;color=blue;via=untagged' }, 'ejected: the blue lane falls back like an empty one');

      const endpoints = (await request(sc.ports.admin, { path: '/endpoints' })).json;
      assert.equal(endpoints.base.blue[0].ejected, true);
      const explained = (await request(sc.ports.admin, { path: '/explain?service=base&color=blue' })).json;
      assert.match(explained.reasons.join(' '), /1 ejected/);
      assert.equal(explained.endpoints.find((e: { color: string | null }) => e.color === 'blue').ejected, true);
      const text = await metrics.render();
      assert.match(text, /colormesh_outlier_ejections_total\{service="base",color="blue"\} 1/);
      assert.match(text, /colormesh_endpoints\{service="base",color="blue",health="ejected"\} 1/);

      // Let back after 300 ms; still dead, so three more failures eject it for twice as long.
      await sleep(400);
      assert.equal((await request(sc.ports.admin, { path: '/endpoints' })).json.base.blue[0].ejected, false);
      for (let i = 0; i < 3; i++) assert.equal((await blue()).status, 502);
      assert.equal((await blue()).status, 200);
      assert.deepEqual(ejections.filter((e) => e.ejected).map((e) => e.forMs), [300, 600]);
    } finally {
      diagnostics_channel.unsubscribe(channels.ejection.name as string, onEjection);
      await sc.drain();
      await plain.close();
    }
  });

  test('one success resets the count; force: true answers 503 once its lane is ejected; false turns it off', async () => {
    let failNext = 0;
    const flaky = await startEcho('flaky', (req, res) => {
      if (failNext-- > 0) return req.socket.destroy();
      // A fresh connection per request: a reset on a reused one would be retried as a stale pooled connection.
      res.setHeader('connection', 'close');
      res.end('ok');
    });
    const dead = await deadPort();
    const plain = await startEcho('untagged');
    const sc = await sidecar({
      rules: rules(`
services:
  flaky:
    retries: 0
    outlierDetection: { consecutiveFailures: 2 }
    endpoints:
      - { address: "${flaky.address}", color: blue }
      - { address: "${plain.address}" }
  forced:
    force: true
    retries: 0
    outlierDetection: { consecutiveFailures: 1 }
    endpoints:
      - { address: "127.0.0.1:${dead}", color: blue }
      - { address: "${plain.address}" }
  off:
    retries: 0
    outlierDetection: false
    endpoints:
      - { address: "127.0.0.1:${dead}", color: blue }
      - { address: "${plain.address}" }
`),
    });
    const call = (host: string): Promise<number> => request(sc.ports.outbound as number, { headers: { host, baggage: 'color=blue' } }).then((r) => r.status);
    try {
      failNext = 1;
      assert.equal(await call('flaky'), 502);
      assert.equal(await call('flaky'), 200, 'a success in between');
      failNext = 1;
      assert.equal(await call('flaky'), 502);
      assert.equal(await call('flaky'), 200, 'not ejected: the count was reset by the success');

      assert.equal(await call('forced'), 502);
      const forced = await request(sc.ports.outbound as number, { headers: { host: 'forced', baggage: 'color=blue' } });
      assert.equal(forced.status, 503);
      assert.equal(forced.json.error, 'no_endpoint');

      for (let i = 0; i < 8; i++) assert.equal(await call('off'), 502, 'outlierDetection: false never ejects');
    } finally {
      await sc.drain();
      await Promise.all([flaky.close(), plain.close()]);
    }
  });
});
