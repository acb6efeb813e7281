// The outbound listener against real upstream servers: where each request lands, what it carries.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deadPort, request, rules, sidecar, startEcho, type EchoServer } from '../support/mesh.js';
import type { Sidecar } from '../../src/sidecar.js';

describe('outbound routing by color', () => {
  let blue: EchoServer, green: EchoServer, plain: EchoServer, other: EchoServer;
  let sc: Sidecar;
  let port: number;

  before(async () => {
    [blue, green, plain, other] = await Promise.all([startEcho('base-blue'), startEcho('base-green'), startEcho('base-untagged'), startEcho('outside')]);
    sc = await sidecar({
      rules: rules(`
services:
  base-service:
    port: 8080
    endpoints:
      - { address: "${blue.address}", color: blue }
      - { address: "${green.address}", color: green }
      - { address: "${plain.address}" }
  live-only:
    port: 8080
    defaultColor: blue
    endpoints:
      - { address: "${blue.address}", color: blue }
      - { address: "${green.address}", color: green }
  strict:
    port: 8080
    force: true
    endpoints:
      - { address: "${blue.address}", color: blue }
      - { address: "${plain.address}" }
`),
    });
    port = sc.ports.outbound as number;
  });
  after(async () => {
    await sc.drain();
    await Promise.all([blue, green, plain, other].map((s) => s.close()));
  });

  test('explicit proxy: a blue request reaches the blue endpoint and says so', async () => {
    const r = await request(port, { path: 'http://base-service:8080/x?y=1', headers: { baggage: 'color=blue' } });
    assert.equal(r.status, 200);
    assert.equal(r.json.name, 'base-blue');
    assert.equal(r.json.url, '/x?y=1', 'absolute-form is forwarded as origin-form');
    assert.equal(r.json.headers.host, 'base-service:8080');
    assert.equal(r.headers['x-colormesh-route'], 'base-service;color=blue;via=exact');
  });

  test('transparent: origin-form routed by Host, every FQDN form of the service', async () => {
    for (const host of ['base-service:8080', 'base-service', 'base-service.shop', 'base-service.shop.svc:8080', 'base-service.shop.svc.cluster.local:8080']) {
      const r = await request(port, { path: '/', headers: { host, baggage: 'color=green' } });
      assert.equal(r.json.name, 'base-green', host);
      assert.equal(r.headers['x-colormesh-route'], 'base-service;color=green;via=exact', host);
    }
  });

  test('no color goes to untagged; an unknown color falls back to untagged and keeps its color', async () => {
    const none = await request(port, { headers: { host: 'base-service:8080' } });
    assert.equal(none.json.name, 'base-untagged');
    assert.equal(none.headers['x-colormesh-route'], 'base-service;color=-;via=untagged');
    assert.equal(none.json.headers.baggage, undefined);
    const red = await request(port, { headers: { host: 'base-service:8080', baggage: 'color=red' } });
    assert.equal(red.json.name, 'base-untagged');
    assert.equal(red.headers['x-colormesh-route'], 'base-service;color=red;via=untagged');
    assert.equal(red.json.headers.baggage, 'color=red', 'the color travels on past the fallback');
  });

  test('defaultColor is the live color when there is no untagged endpoint', async () => {
    const r = await request(port, { headers: { host: 'live-only:8080', baggage: 'color=canary' } });
    assert.equal(r.json.name, 'base-blue');
    assert.equal(r.headers['x-colormesh-route'], 'live-only;color=canary;via=default');
    assert.equal(r.json.headers.baggage, 'color=canary');
  });

  test('force: a missing color is a 503 no_endpoint, not a fallback', async () => {
    const r = await request(port, { headers: { host: 'strict:8080', baggage: 'color=green' } });
    assert.equal(r.status, 503);
    assert.deepEqual(r.json, { error: 'no_endpoint', service: 'strict', color: 'green' });
    assert.match(String(r.headers['x-colormesh-route']), /^strict;color=green;/);
    const ok = await request(port, { headers: { host: 'strict:8080' } });
    assert.equal(ok.json.name, 'base-untagged');
  });

  test('other baggage members pass byte for byte, in order; case and OWS of the color are normalised', async () => {
    const r = await request(port, { headers: { host: 'base-service:8080', baggage: 'userId=alice%20b;prop=1, color = BLUE ,k2=a=b' } });
    assert.equal(r.json.name, 'base-blue');
    const sent = String(r.json.headers.baggage);
    assert.ok(sent.startsWith('userId=alice%20b;prop=1'), sent);
    assert.ok(sent.includes('k2=a=b'), sent);
    assert.match(sent, /color=blue/);
  });

  test('malformed baggage never fails a request', async () => {
    const r = await request(port, { headers: { host: 'base-service:8080', baggage: ',,=;;,color,%%%=x' } });
    assert.equal(r.status, 200);
    assert.equal(r.json.name, 'base-untagged');
  });

  test('hosts outside the mesh pass through under the default allow policy', async () => {
    const r = await request(port, { path: `http://127.0.0.1:${other.port}/out`, headers: { baggage: 'color=blue' } });
    assert.equal(r.status, 200);
    assert.equal(r.json.name, 'outside');
    assert.equal(r.json.headers.baggage, 'color=blue');
  });

  test('the wrong port of a service is not the service', async () => {
    const r = await request(port, { headers: { host: `base-service:${await deadPort()}` } });
    assert.equal(r.status, 502);
    assert.equal(r.json.error, 'upstream_unreachable');
  });

  test('round-robin spreads a color set evenly', async () => {
    const before = { blue: blue.hits, green: green.hits };
    for (let i = 0; i < 20; i++) await request(port, { headers: { host: 'live-only:8080' } });
    // live-only has no untagged endpoints and defaultColor blue, so all go to blue
    assert.equal(blue.hits - before.blue, 20);
    assert.equal(green.hits - before.green, 0);
  });
});

describe('outbound policy deny', () => {
  test('a host outside the rules is a 502 not_in_mesh', async () => {
    const sc = await sidecar({ rules: rules('outboundPolicy: deny\nservices: {}\n') });
    try {
      const r = await request(sc.ports.outbound as number, { path: 'http://example.invalid/x' });
      assert.equal(r.status, 502);
      assert.equal(r.json.error, 'not_in_mesh');
      assert.ok(r.headers['x-colormesh-route']);
    } finally {
      await sc.drain();
    }
  });
});

describe('color from the trace table and from the pod', () => {
  test('an app that forwards only traceparent keeps its lane; otherwise the pod color applies', async () => {
    const app = await startEcho('app');
    const blue = await startEcho('blue');
    const plain = await startEcho('plain');
    const green = await startEcho('green');
    const sc = await sidecar({
      service: 'middle',
      color: 'green',
      appPort: app.port,
      rules: rules(`
services:
  next:
    endpoints:
      - { address: "${blue.address}", color: blue }
      - { address: "${green.address}", color: green }
      - { address: "${plain.address}" }
`),
    });
    try {
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const inbound = await request(sc.ports.inbound as number, { headers: { baggage: 'color=blue', traceparent } });
      assert.equal(inbound.json.headers.baggage, 'color=blue');
      const out = await request(sc.ports.outbound as number, { headers: { host: 'next', traceparent } });
      assert.equal(out.json.name, 'blue', 'color recovered from the trace table');
      assert.equal(out.json.headers.baggage, 'color=blue', 'and written into the outgoing baggage');
      const unknownTrace = await request(sc.ports.outbound as number, { headers: { host: 'next', traceparent: '00-11111111111111111111111111111111-00f067aa0ba902b7-01' } });
      assert.equal(unknownTrace.json.name, 'green', 'the pod color applies last');
    } finally {
      await sc.drain();
      await Promise.all([app, blue, plain, green].map((s) => s.close()));
    }
  });
});
