// The inbound listener and the gateway against real servers: ingress coloring, baggage, upgrades.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { deadPort, request, rules, sidecar, startEcho } from '../support/mesh.js';

const ENTRY_RULES = `
colors: [blue, green]
ingress:
  entrypoints: [frontend]
  rules:
    - match: { header: { name: X-Canary, exact: "true" } }
      color: green
    - match: { cookie: { name: lane, prefix: "b" } }
      color: blue
  split:
    weights: { blue: 80, green: 20 }
    stickyBy: { header: x-user-id }
services: {}
`;

describe('inbound', () => {
  test('a non-entry pod passes the caller color to the app in baggage', async () => {
    const app = await startEcho('app');
    const sc = await sidecar({ service: 'order', appPort: app.port, rules: rules(ENTRY_RULES) });
    try {
      const r = await request(sc.ports.inbound as number, { headers: { baggage: 'a=1,color=green,b=2' } });
      assert.equal(r.status, 200);
      assert.equal(r.json.headers.baggage, 'a=1,color=green,b=2');
      assert.equal(r.headers['x-colormesh-route'], undefined, 'the route header is an outbound thing');
      const invalid = await request(sc.ports.inbound as number, { headers: { baggage: 'a=1,color=Not_A_Color!' } });
      assert.equal(invalid.json.headers.baggage, 'a=1', 'an invalid color is dropped, the rest kept');
      const notAllowed = await request(sc.ports.inbound as number, { headers: { baggage: 'color=red' } });
      assert.equal(notAllowed.json.headers.baggage, undefined, 'a color outside the allow-list is no color');
    } finally {
      await sc.drain();
      await app.close();
    }
  });

  test('an entry point drops the client color, applies rules in order, then the sticky split', async () => {
    const app = await startEcho('app');
    const sc = await sidecar({ service: 'frontend', appPort: app.port, rules: rules(ENTRY_RULES) });
    try {
      const port = sc.ports.inbound as number;
      const canary = await request(port, { headers: { 'x-canary': 'true', cookie: 'lane=blue', baggage: 'color=blue,k=v' } });
      assert.equal(canary.json.headers.baggage, 'k=v,color=green');
      const cookie = await request(port, { headers: { cookie: 'x=1; lane=bravo' } });
      assert.equal(cookie.json.headers.baggage, 'color=blue');
      const seen = new Map<string, string>();
      for (let i = 0; i < 3; i++) {
        for (const user of ['u1', 'u2', 'u3', 'u4', 'u5', 'u6']) {
          const r = await request(port, { headers: { 'x-user-id': user, baggage: 'color=green' } });
          const color = String(r.json.headers.baggage);
          if (seen.has(user)) assert.equal(color, seen.get(user), `sticky for ${user}`);
          seen.set(user, color);
        }
      }
    } finally {
      await sc.drain();
      await app.close();
    }
  });

  test('an app that is down answers 502 upstream_unreachable', async () => {
    const sc = await sidecar({ service: 'x', appPort: await deadPort(), rules: rules('services: {}\n') });
    try {
      const r = await request(sc.ports.inbound as number);
      assert.equal(r.status, 502);
      assert.equal(r.json.error, 'upstream_unreachable');
    } finally {
      await sc.drain();
    }
  });

  test('WebSocket-style upgrades pass through to the app', async () => {
    const app = http.createServer();
    app.on('upgrade', (req, socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\nx-baggage: ' + (req.headers.baggage ?? '') + '\r\n\r\n');
      socket.on('data', (d: Buffer) => socket.write(d));
      socket.on('end', () => socket.end());
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', () => r()));
    const appPort = (app.address() as net.AddressInfo).port;
    const sc = await sidecar({ service: 'ws', appPort, rules: rules('services: {}\n') });
    try {
      const socket = net.connect(sc.ports.inbound as number, '127.0.0.1');
      socket.write('GET /chat HTTP/1.1\r\nhost: ws\r\nconnection: upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nbaggage: color=blue\r\n\r\n');
      let received = '';
      await new Promise<void>((resolve, reject) => {
        socket.on('data', (d: Buffer) => {
          received += d.toString();
          if (received.includes('\r\n\r\n') && !received.includes('ping')) socket.write('ping');
          if (received.endsWith('ping')) resolve();
        });
        socket.on('error', reject);
        setTimeout(() => reject(new Error('no echo: ' + received)), 3000).unref();
      });
      assert.match(received, /^HTTP\/1.1 101/);
      assert.match(received, /x-baggage: color=blue/);
      socket.destroy();
    } finally {
      await sc.drain();
      app.closeAllConnections();
      app.close();
    }
  });
});

describe('gateway', () => {
  test('colors every request and routes it to the fronted service by that color', async () => {
    const blue = await startEcho('blue');
    const green = await startEcho('green');
    const sc = await sidecar({
      gateway: { service: 'frontend', port: 0 },
      rules: rules(ENTRY_RULES.replace('services: {}', `services:\n  frontend:\n    endpoints:\n      - { address: "${blue.address}", color: blue }\n      - { address: "${green.address}", color: green }\n`)),
    });
    try {
      const port = sc.ports.gateway as number;
      const r = await request(port, { headers: { 'x-canary': 'true' } });
      assert.equal(r.json.name, 'green');
      assert.equal(r.json.headers.baggage, 'color=green');
      // 10.16: the edge does not name internal services and colors to outside clients by default.
      assert.equal(r.headers['x-colormesh-route'], undefined);
      let greens = 0;
      for (let i = 0; i < 200; i++) {
        const s = await request(port, { headers: { 'x-user-id': `user-${i}` } });
        if (s.json.name === 'green') greens++;
      }
      assert.ok(greens > 15 && greens < 70, `about 20% of 200 users land on green (got ${greens})`);
    } finally {
      await sc.drain();
      await Promise.all([blue.close(), green.close()]);
    }
  });

  test('shows x-colormesh-route only when asked to (--expose-route-header)', async () => {
    const green = await startEcho('green');
    const sc = await sidecar({
      gateway: { service: 'frontend', port: 0, exposeRoute: true },
      rules: rules(ENTRY_RULES.replace('services: {}', `services:\n  frontend:\n    endpoints:\n      - { address: "${green.address}", color: green }\n`)),
    });
    try {
      const r = await request(sc.ports.gateway as number, { headers: { 'x-canary': 'true' } });
      assert.equal(r.headers['x-colormesh-route'], 'frontend;color=green;via=exact');
    } finally {
      await sc.drain();
      await green.close();
    }
  });
});
