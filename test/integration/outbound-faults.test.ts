// The outbound listener under faults: dead endpoints, retries, timeouts, client aborts, big headers.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { freePorts, request, rules, sidecar, sleep, startEcho } from '../support/mesh.js';

describe('retries and upstream errors', () => {
  test('a refused connection is retried on another endpoint of the same set, for any method', async () => {
    const live = await startEcho('live');
    const live2 = await startEcho('live-untagged');
    const [dead1, dead2] = await freePorts(2); // closed again: connections to them are refused
    const sc = await sidecar({
      rules: rules(`
services:
  svc:
    retries: 2
    endpoints:
      - { address: "127.0.0.1:${dead1}", color: blue }
      - { address: "127.0.0.1:${dead2}", color: blue }
      - { address: "${live.address}", color: blue }
      - { address: "${live2.address}" }
`),
    });
    try {
      for (let i = 0; i < 6; i++) {
        const r = await request(sc.ports.outbound as number, { method: 'POST', headers: { host: 'svc', baggage: 'color=blue', 'content-type': 'text/plain' }, body: `payload-${i}` });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.name, 'live');
        assert.equal(r.json.body, `payload-${i}`, 'the body is replayed whole on the retry');
        assert.equal(r.headers['x-colormesh-route'], 'svc;color=blue;via=exact');
      }
    } finally {
      await sc.drain();
      await Promise.all([live.close(), live2.close()]);
    }
  });

  test('when every attempt fails to connect: 502 upstream_unreachable as JSON with the route header', async () => {
    const [dead1, dead2] = await freePorts(2);
    const sc = await sidecar({
      rules: rules(`
services:
  svc:
    endpoints:
      - { address: "127.0.0.1:${dead1}" }
      - { address: "127.0.0.1:${dead2}" }
`),
    });
    try {
      const r = await request(sc.ports.outbound as number, { headers: { host: 'svc' } });
      assert.equal(r.status, 502);
      assert.deepEqual(r.json, { error: 'upstream_unreachable', service: 'svc', color: null });
      assert.equal(r.headers['x-colormesh-route'], 'svc;color=-;via=untagged');
      assert.ok(!r.text.includes('at '), 'no stack trace');
    } finally {
      await sc.drain();
    }
  });

  test('an upstream slower than timeoutMs gets a 504 upstream_timeout, and is not retried', async () => {
    let calls = 0;
    const slow = await startEcho('slow', (_req, res) => {
      calls++;
      setTimeout(() => res.end('late'), 2000).unref();
    });
    const slow2 = await startEcho('slow2', (_req, res) => {
      calls++;
      setTimeout(() => res.end('late'), 2000).unref();
    });
    const sc = await sidecar({ rules: rules(`services:\n  svc:\n    timeoutMs: 200\n    endpoints:\n      - { address: "${slow.address}" }\n      - { address: "${slow2.address}" }\n`) });
    try {
      const started = Date.now();
      const r = await request(sc.ports.outbound as number, { headers: { host: 'svc' } });
      assert.equal(r.status, 504);
      assert.equal(r.json.error, 'upstream_timeout');
      assert.ok(Date.now() - started < 1500, 'answered at the deadline, not when the upstream did');
      assert.equal(calls, 1);
    } finally {
      await sc.drain();
      await Promise.all([slow.close(), slow2.close()]);
    }
  });

  test('a client that goes away takes its upstream request with it (http-proxy leak)', async () => {
    let upstreamClosed = 0;
    const hang = await startEcho('hang', (req) => {
      req.socket.on('close', () => upstreamClosed++);
    });
    const sc = await sidecar({ rules: rules(`services:\n  svc:\n    endpoints:\n      - { address: "${hang.address}" }\n`) });
    try {
      const req = http.request({ host: '127.0.0.1', port: sc.ports.outbound, path: '/', headers: { host: 'svc' }, agent: false });
      req.on('error', () => undefined);
      req.end();
      await sleep(200);
      req.destroy();
      for (let i = 0; i < 40 && upstreamClosed === 0; i++) await sleep(25);
      assert.equal(upstreamClosed, 1, 'the upstream connection was closed when the client left');
      const snapshot = sc.state.registry.sets('svc').all[0];
      assert.equal(snapshot?.active, 0, 'the in-flight counter went back to zero');
    } finally {
      await sc.drain();
      await hang.close();
    }
  });

  test('oversized request headers get 431 and the sidecar keeps serving', async () => {
    const up = await startEcho('up');
    const sc = await sidecar({ rules: rules(`services:\n  svc:\n    endpoints:\n      - { address: "${up.address}" }\n`) });
    try {
      const r = await request(sc.ports.outbound as number, { headers: { host: 'svc', 'x-big': 'a'.repeat(20_000) } }).catch(() => ({ status: 431 }));
      assert.equal(r.status, 431);
      const ok = await request(sc.ports.outbound as number, { headers: { host: 'svc' } });
      assert.equal(ok.status, 200);
    } finally {
      await sc.drain();
      await up.close();
    }
  });

  test('an upstream that dies mid-body cuts the client connection instead of hanging it', async () => {
    const broken = await startEcho('broken', (_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 50);
    });
    const sc = await sidecar({ rules: rules(`services:\n  svc:\n    endpoints:\n      - { address: "${broken.address}" }\n`) });
    try {
      const outcome = await request(sc.ports.outbound as number, { headers: { host: 'svc' }, timeoutMs: 3000 }).then(
        () => 'completed',
        (err: Error) => (err.message === 'client timeout' ? 'hung' : 'cut'),
      );
      assert.equal(outcome, 'cut');
    } finally {
      await sc.drain();
      await broken.close();
    }
  });
});
