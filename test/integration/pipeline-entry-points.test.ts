// Every entry point goes through the one pipeline: the loop guard, route header, deadline, events
// and errors hold on each of them by construction. Regression tests for the defects the request-path
// rework fixed are named after them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import http from 'node:http';
import net from 'node:net';
import { channels, type HopEvent } from '../../src/events.js';
import type { Sidecar } from '../../src/sidecar.js';
import { deadPort, request, rules, sidecar, sleep, startEcho, type EchoServer } from '../support/mesh.js';

/** Collects the hops published on hopEnd while `fn` runs (and a moment after, as hops end on close). */
async function hopsDuring(fn: () => Promise<void>): Promise<HopEvent[]> {
  const seen: HopEvent[] = [];
  const onEnd = (m: unknown): void => void seen.push(m as HopEvent);
  diagnostics_channel.subscribe(channels.hopEnd.name as string, onEnd);
  try {
    await fn();
    await sleep(50);
  } finally {
    diagnostics_channel.unsubscribe(channels.hopEnd.name as string, onEnd);
  }
  return seen;
}

/** Sends raw bytes and resolves with what came back before the connection closed or `ms` passed. */
function raw(port: number, text: string, ms = 1500): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    const done = (): void => {
      socket.destroy();
      resolve(got);
    };
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (got += d));
    socket.on('connect', () => socket.write(text));
    socket.on('close', done);
    socket.on('error', done);
    setTimeout(done, ms).unref();
  });
}

describe('one pipeline for every entry point', () => {
  let app: EchoServer, slow: EchoServer, blue: EchoServer;
  let sc: Sidecar, gw: Sidecar;

  before(async () => {
    app = await startEcho('app');
    blue = await startEcho('blue');
    slow = await startEcho('slow', (_req, res) => void setTimeout(() => res.end('late'), 1500).unref());
    const yaml = `
ingress:
  entrypoints: [edge]
  rules:
    - match: { header: { name: x-canary, exact: "true" } }
      color: blue
services:
  base:
    port: 8080
    endpoints:
      - { address: "${blue.address}", color: blue }
  slow:
    timeoutMs: 200
    retries: 0
    endpoints:
      - { address: "${slow.address}" }
`;
    sc = await sidecar({ rules: rules(yaml), service: 'web', appPort: app.port });
    gw = await sidecar({ rules: rules(yaml.replace('  base:', '  edge:\n    endpoints:\n      - { address: "' + slow.address + '" }\n    timeoutMs: 200\n  base:')), gateway: { service: 'edge', port: 0 } });
  });
  after(async () => {
    await Promise.all([sc.drain(), gw.drain()]);
    await Promise.all([app.close(), slow.close(), blue.close()]);
  });

  test('outbound: route header, hop events, and the deadline', async () => {
    const out = sc.ports.outbound as number;
    const hops = await hopsDuring(async () => {
      const ok = await request(out, { path: 'http://base:8080/x', headers: { baggage: 'color=blue' } });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers['x-colormesh-route'], 'base;color=blue;via=exact');
      const late = await request(out, { headers: { host: 'slow' } });
      assert.equal(late.status, 504);
      assert.equal(late.json.error, 'upstream_timeout');
    });
    const outbound = hops.filter((h) => h.direction === 'outbound');
    assert.deepEqual(outbound.map((h) => [h.service, h.status]), [['base', 200], ['slow', 504]]);
  });

  test('inbound: the app gets origin-form (10.11), the hop is published, no route header is added', async () => {
    const hops = await hopsDuring(async () => {
      const r = await request(sc.ports.inbound as number, { path: 'http://evil.example/x?y=1', headers: { host: 'web' } });
      assert.equal(r.status, 200);
      assert.equal(r.json.url, '/x?y=1');
      assert.equal(r.json.headers.host, 'evil.example');
      assert.equal(r.headers['x-colormesh-route'], undefined);
    });
    assert.ok(hops.some((h) => h.direction === 'inbound' && h.status === 200 && h.via === 'local'));
  });

  test('gateway: the deadline holds there too, and the edge hides the route header (10.16)', async () => {
    const hops = await hopsDuring(async () => {
      const r = await request(gw.ports.gateway as number, { headers: { host: 'edge.example' } });
      assert.equal(r.status, 504);
      assert.equal(r.headers['x-colormesh-route'], undefined);
    });
    assert.ok(hops.some((h) => h.direction === 'gateway' && h.status === 504 && h.errorCode === 'upstream_timeout'));
  });

  test('the loop guard decides by the address connected to: every spelling of the own port is refused', async () => {
    const out = sc.ports.outbound as number;
    for (const host of ['127.0.0.1', '0x7f000001', '2130706433', '0177.0.0.1', '0', 'localhost']) {
      const r = await request(out, { path: `http://${host}:${out}/`, timeoutMs: 3000 });
      assert.equal(r.status, 400, `${host}: ${r.text}`);
      assert.match(r.json.message, /own/);
    }
    // the admin port is one of this sidecar's listeners too (10.4)
    const admin = await request(out, { path: `http://0x7f000001:${sc.ports.admin}/config`, timeoutMs: 3000 });
    assert.equal(admin.status, 400);
  });

  test('the hop counter: sent on incremented, refused at 16 (508), never handed to the app', async () => {
    const out = sc.ports.outbound as number;
    const passed = await request(out, { path: 'http://base:8080/x', headers: { baggage: 'color=blue', 'x-colormesh-hops': '3' } });
    assert.equal(passed.json.headers['x-colormesh-hops'], '4');
    const fresh = await request(out, { path: 'http://base:8080/x', headers: { baggage: 'color=blue' } });
    assert.equal(fresh.json.headers['x-colormesh-hops'], '1');
    const looped = await request(out, { path: 'http://base:8080/x', headers: { baggage: 'color=blue', 'x-colormesh-hops': '16' } });
    assert.equal(looped.status, 508);
    assert.equal(looped.json.error, 'loop_detected');
    const toApp = await request(sc.ports.inbound as number, { headers: { 'x-colormesh-hops': '5' } });
    assert.equal(toApp.json.headers['x-colormesh-hops'], undefined);
  });

  test('upgrade to the outbound listener\'s own port is refused, not looped (regression)', async () => {
    const out = sc.ports.outbound as number;
    const reply = await raw(out, `GET http://127.0.0.1:${out}/ws HTTP/1.1\r\nHost: 127.0.0.1:${out}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
    assert.match(reply, /^HTTP\/1.1 400/);
    const spelled = await raw(out, `GET http://2130706433:${out}/ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
    assert.match(spelled, /^HTTP\/1.1 400/);
  });

  test('CONNECT: refused to the own port and to a mesh service; tunnelled to an outside host', async () => {
    const out = sc.ports.outbound as number;
    assert.match(await raw(out, `CONNECT 0x7f000001:${out} HTTP/1.1\r\nHost: x\r\n\r\n`), /^HTTP\/1.1 400/);
    assert.match(await raw(out, `CONNECT base:8080 HTTP/1.1\r\nHost: base:8080\r\n\r\n`), /^HTTP\/1.1 400[^]*mesh service base/);
    const tunnel = await raw(out, `CONNECT 127.0.0.1:${app.port} HTTP/1.1\r\nHost: x\r\n\r\nGET /t HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`);
    assert.match(tunnel, /^HTTP\/1.1 200 Connection Established\r\n\r\nHTTP\/1.1 200/);
  });

  test('a host outside the mesh that refuses: 502 naming the host, with the passthrough route', async () => {
    const port = await deadPort();
    const r = await request(sc.ports.outbound as number, { path: `http://127.0.0.1:${port}/x` });
    assert.equal(r.status, 502);
    assert.deepEqual(r.json, { error: 'upstream_unreachable', service: '127.0.0.1', color: null });
    assert.equal(r.headers['x-colormesh-route'], '127.0.0.1;color=-;via=passthrough');
  });

  test('credentials in an explicit-proxy URL never reach the upstream Host (regression)', async () => {
    const r = await request(sc.ports.outbound as number, { path: 'http://alice:s3cret@base:8080/x', headers: { baggage: 'color=blue' } });
    assert.equal(r.status, 200);
    assert.equal(r.json.headers.host, 'base:8080');
    assert.ok(!JSON.stringify(r.json.headers).includes('s3cret'));
  });

  test('hop-by-hop headers are stripped both ways, with every header Connection names (10.6)', async () => {
    const hopper = await startEcho('hopper', (req, res) => {
      res.writeHead(200, { connection: 'x-secret-hop, keep-alive', 'x-secret-hop': 'server', 'keep-alive': 'timeout=5', 'x-end': 'kept', 'content-type': 'application/json' });
      res.end(JSON.stringify(req.headers));
    });
    const local = await sidecar({ rules: rules(`services:\n  hop:\n    endpoints:\n      - { address: "${hopper.address}" }\n`) });
    try {
      const r = await request(local.ports.outbound as number, {
        headers: { host: 'hop', connection: 'x-client-hop', 'x-client-hop': 'client', te: 'trailers', 'proxy-connection': 'keep-alive', 'x-kept': 'yes' },
      });
      assert.equal(r.status, 200);
      const seen = JSON.parse(r.text) as Record<string, string>;
      for (const name of ['x-client-hop', 'te', 'proxy-connection']) assert.equal(seen[name], undefined, `${name} reached the upstream`);
      assert.equal(seen['x-kept'], 'yes');
      assert.equal(r.headers['x-secret-hop'], undefined, 'a header the upstream named in Connection reached the client');
      assert.notEqual(r.headers['keep-alive'], 'timeout=5', 'the upstream\'s Keep-Alive reached the client');
      assert.equal(r.headers['x-end'], 'kept');
    } finally {
      await local.drain();
      await hopper.close();
    }
  });

  test('a request carrying Trailer, and an upstream answering Trailer with Content-Length, do not crash (10.1, 10.2)', async () => {
    // Node refuses to send this itself, so the upstream answers with raw bytes.
    const trailing = net.createServer((socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nTrailer: x-checksum\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok'));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => trailing.listen(0, '127.0.0.1', () => r()));
    const port = (trailing.address() as net.AddressInfo).port;
    const local = await sidecar({ rules: rules(`services: {}\n`), appPort: port });
    try {
      // Node's client refuses to send a Trailer header without a chunked body: raw bytes again.
      const viaOutbound = await raw(local.ports.outbound as number, `GET http://127.0.0.1:${port}/ HTTP/1.1\r\nHost: x\r\nTrailer: x-checksum\r\nConnection: close\r\n\r\n`);
      assert.match(viaOutbound, /^HTTP\/1.1 200[^]*\r\n\r\nok$/);
      assert.doesNotMatch(viaOutbound, /trailer:/i);
      const viaInbound = await raw(local.ports.inbound as number, `POST / HTTP/1.1\r\nHost: x\r\nTrailer: x-checksum\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi`);
      assert.match(viaInbound, /^HTTP\/1.1 200/);
      assert.equal((await request(local.ports.inbound as number)).status, 200, 'still serving');
    } finally {
      await local.drain();
      trailing.close();
    }
  });

  test('a WebSocket handshake through the gateway gets its 101 (10.8)', async () => {
    const ws = http.createServer();
    ws.on('upgrade', (req, socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nx-color: ' + String(req.headers.baggage) + '\r\n\r\n');
      socket.end();
    });
    await new Promise<void>((r) => ws.listen(0, '127.0.0.1', () => r()));
    const port = (ws.address() as net.AddressInfo).port;
    const edge = await sidecar({ rules: rules(`ingress:\n  entrypoints: [front]\n  rules:\n    - match: { header: { name: x-canary, exact: "true" } }\n      color: blue\nservices:\n  front:\n    endpoints:\n      - { address: "127.0.0.1:${port}", color: blue }\n`), gateway: { service: 'front', port: 0 } });
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }): void => void warnings.push(w.code ?? w.name);
    process.on('warning', onWarning);
    try {
      const reply = await raw(edge.ports.gateway as number, 'GET /ws HTTP/1.1\r\nHost: front\r\nx-canary: true\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
      assert.match(reply, /^HTTP\/1.1 101/);
      assert.match(reply, /x-color: color=blue/);
      await sleep(20);
      // On Node 22+, http-proxy's util._extend would print DEP0060 for every sidecar that tunnels.
      assert.ok(!warnings.includes('DEP0060'), `warnings: ${warnings.join(', ')}`);
    } finally {
      process.off('warning', onWarning);
      await edge.drain();
      ws.close();
    }
  });

  test('Upgrade: h2c (curl --http2) is served as HTTP/1.1 (10.7)', async () => {
    const reply = await raw(sc.ports.inbound as number, 'GET /h2c HTTP/1.1\r\nHost: web\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n');
    assert.match(reply, /^HTTP\/1.1 200/);
    const body = reply.slice(reply.indexOf('\r\n\r\n') + 4);
    assert.match(body, /"url":"\/h2c"/);
    assert.doesNotMatch(body, /"upgrade"/, 'the Upgrade header did not reach the app');
  });

  test('two Host headers are refused (10.13); 1500 small headers all reach the upstream (10.14)', async () => {
    assert.match(await raw(sc.ports.outbound as number, 'GET / HTTP/1.1\r\nHost: base:8080\r\nHost: evil\r\n\r\n'), /^HTTP\/1.1 400/);
    const many = await startEcho('many', (req, res) => res.end(String(req.rawHeaders.length / 2)));
    many.server.maxHeadersCount = 0;
    const local = await sidecar({ rules: rules('services: {}\n'), appPort: many.port });
    try {
      const lines = Array.from({ length: 1500 }, (_, i) => `x-h${i}: ${i}`).join('\r\n');
      const reply = await raw(local.ports.inbound as number, `GET / HTTP/1.1\r\nHost: app\r\n${lines}\r\nbaggage: color=blue\r\nConnection: close\r\n\r\n`);
      assert.match(reply, /^HTTP\/1.1 200/);
      const count = Number(reply.slice(reply.indexOf('\r\n\r\n') + 4));
      assert.ok(count >= 1502, `the app saw ${count} headers`);
    } finally {
      await local.drain();
      await many.close();
    }
  });
});
