// Issue 10, findings 6-8 and 11-16: hop-by-hop headers, h2c and WebSocket upgrades, request-target
// forms, userinfo, duplicate Host, header counts, CONNECT and the edge route header — on real processes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { requestHeaders, startRawUpstream, startUpgradeEcho, wsAccept, WS_KEY, wsHandshake, type RawUpstream } from '../support/fault-upstreams.js';
import { request, startEcho, type EchoServer } from '../support/mesh.js';
import { headersOf, raw, responseComplete, startGateway, startRun, type SidecarProcess } from '../support/sidecar-process.js';

/** Hop-by-hop headers by RFC 9110 §7.6.1, plus one named in Connection; none may cross a proxy (Keep-Alive: by value). */
const HOP_NAMES = ['x-hop', 'te', 'trailer', 'proxy-connection', 'upgrade'];
const HOP_HEADERS = 'Connection: close, X-Hop\r\nX-Hop: secret\r\nKeep-Alive: timeout=9, max=77\r\nTE: trailers\r\n' +
  'Proxy-Connection: keep-alive\r\nUpgrade: foo/1\r\nX-End-To-End: kept\r\n';

describe('issue 10: headers, upgrades and request forms', () => {
  let app: EchoServer & { upgrades: number };
  let blue: EchoServer;
  let run: SidecarProcess;
  let gw: SidecarProcess;
  const rulesText = (): string => `services:\n  svc:\n    endpoints:\n      - { address: "${app.address}" }\n      - { address: "${blue.address}", color: blue }\n`;
  /** The three listeners a client outside the sidecar can reach, each restarted if a case killed it. */
  const listeners = (): Array<[string, number]> => [['outbound', run.ports.outbound], ['inbound', run.ports.inbound], ['gateway', gw.ports.inbound]];

  async function healthy(): Promise<void> {
    // A dead process is reaped (its temporary directory removed) before its replacement starts.
    if (!run?.alive()) {
      await run?.kill();
      run = await startRun({ rules: rulesText(), appPort: app.port, service: 'svc' });
    }
    if (!gw?.alive()) {
      await gw?.kill();
      gw = await startGateway({ rules: rulesText(), service: 'svc' });
    }
  }

  before(async () => {
    app = await startUpgradeEcho('app');
    blue = await startEcho('blue');
    await healthy();
  });
  after(async () => {
    await Promise.all([run?.kill(), gw?.kill()]);
    await Promise.all([app.close(), blue.close()]);
  });

  describe('against an upstream that sends hop-by-hop headers back', () => {
    let upstream: RawUpstream;
    let hopRun: SidecarProcess | undefined;
    let hopGw: SidecarProcess | undefined;
    before(async () => {
      upstream = await startRawUpstream(() => 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive, X-Hop\r\n' +
        'X-Hop: secret\r\nKeep-Alive: timeout=9, max=77\r\nProxy-Connection: keep-alive\r\nUpgrade: foo/1\r\nTE: trailers\r\nX-End-To-End: kept\r\n\r\nok');
    });
    after(async () => {
      await Promise.all([hopRun?.kill(), hopGw?.kill()]);
      await upstream.close();
    });

    test('10.6 hop-by-hop headers, and every header named in Connection, are stripped both ways (outbound, inbound, gateway)', async () => {
      const hopRules = `services:\n  hop:\n    endpoints:\n      - { address: "${upstream.address}" }\n`;
      const failures: string[] = [];
      // Trailer last: it may kill a process today (10.1); each case gets a live one.
      for (const [what, extra] of [['', ''], [' with Trailer', 'Trailer: x-checksum\r\n']]) {
        for (const name of ['outbound', 'inbound', 'gateway']) {
          if (!hopRun?.alive()) {
            await hopRun?.kill();
            hopRun = await startRun({ rules: hopRules, appPort: upstream.port, service: 'hop' });
          }
          if (!hopGw?.alive()) {
            await hopGw?.kill();
            hopGw = await startGateway({ rules: hopRules, service: 'hop' });
          }
          const port = name === 'outbound' ? hopRun.ports.outbound : name === 'inbound' ? hopRun.ports.inbound : hopGw.ports.inbound;
          const seen = upstream.heads.length;
          const reply = await raw(port, `GET /hop HTTP/1.1\r\nHost: hop\r\n${HOP_HEADERS}${extra}\r\n`, { done: responseComplete });
          const head = upstream.heads[seen];
          if (reply.status !== 200 || head === undefined) {
            failures.push(`${name}${what}: status ${reply.status || 'none'}, upstream ${head === undefined ? 'got nothing' : 'was reached'}`);
            continue;
          }
          const sent = requestHeaders(head);
          // A Connection or Keep-Alive of the sidecar's own upstream connection is fine; the client's are not.
          const leakedUp = sent.filter(([n, v]) => HOP_NAMES.includes(n) || (n === 'keep-alive' && v.includes('max=77')) ||
            (n === 'connection' && /x-hop/i.test(v))).map(([n]) => n);
          if (leakedUp.length > 0) failures.push(`${name}${what}: to the upstream: ${leakedUp.join(', ')}`);
          if (!sent.some(([n]) => n === 'x-end-to-end')) failures.push(`${name}${what}: an end-to-end header was dropped on the way up`);
          const back = headersOf(reply.text);
          // The sidecar's own Connection/Keep-Alive for its client connection are fine; the upstream's are not.
          const leakedDown = back.filter(([n, v]) => ['x-hop', 'proxy-connection', 'upgrade', 'te', 'trailer'].includes(n) ||
            (n === 'keep-alive' && v.includes('max=77')) || (n === 'connection' && /x-hop/i.test(v))).map(([n]) => n);
          if (leakedDown.length > 0) failures.push(`${name}${what}: to the client: ${leakedDown.join(', ')}`);
          if (!back.some(([n]) => n === 'x-end-to-end')) failures.push(`${name}${what}: an end-to-end header was dropped on the way down`);
        }
      }
      assert.deepEqual(failures, []);
    });
  });

  test('10.7 Upgrade: h2c is answered as HTTP/1.1 (outbound, inbound, gateway)', async () => {
    await healthy();
    const failures: string[] = [];
    for (const [name, port] of listeners()) {
      const reply = await raw(port, 'GET /h2c HTTP/1.1\r\nHost: svc\r\nConnection: Upgrade, HTTP2-Settings, close\r\nUpgrade: h2c\r\n' +
        'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n', { done: responseComplete });
      if (reply.status !== 200 || !reply.text.includes('"name":"app"')) failures.push(`${name}: status ${reply.status || 'none'} (closed=${reply.closed}) ${JSON.stringify(reply.text.slice(0, 60))}`);
    }
    assert.deepEqual(failures, []);
  });

  test('10.8 a WebSocket upgrade works through colormesh gateway (and outbound, inbound)', async () => {
    await healthy();
    const failures: string[] = [];
    for (const [name, port] of listeners()) {
      const reply = await raw(port, wsHandshake('svc'), { then: 'hello-through-the-tunnel', done: (t) => t.includes('hello-through-the-tunnel'), timeoutMs: 3000 });
      if (reply.status !== 101) failures.push(`${name}: status ${reply.status || 'none'} after ${reply.ms} ms (closed=${reply.closed})`);
      else if (!reply.text.includes(wsAccept(WS_KEY))) failures.push(`${name}: wrong Sec-WebSocket-Accept`);
      else if (!reply.text.includes('hello-through-the-tunnel')) failures.push(`${name}: no echo through the tunnel`);
    }
    assert.deepEqual(failures, []);
  });

  test('10.11 an absolute-form request to the inbound listener or the gateway reaches the app in origin-form', async () => {
    await healthy();
    for (const [name, port] of [['inbound', run.ports.inbound], ['gateway', gw.ports.inbound]] as const) {
      const r = await request(port, { path: 'http://evil.example/x?y=1', headers: { host: 'evil.example' } });
      assert.equal(r.status, 200, `${name}: ${r.text}`);
      assert.equal(r.json.url, '/x?y=1', `${name}: the app got "${r.json.url}"`);
    }
  });

  test('10.12 userinfo in an explicit-proxy URL never reaches the upstream Host', async () => {
    await healthy();
    for (const target of ['http://user:secret@svc/u', 'http://alice:secret@svc:80/u']) {
      const reply = await raw(run.ports.outbound, `GET ${target} HTTP/1.1\r\nHost: svc\r\nConnection: close\r\n\r\n`, { done: responseComplete });
      if (reply.status >= 400) continue; // refusing such a URL is as good
      const echo = JSON.parse(reply.text.slice(reply.text.indexOf('\r\n\r\n') + 4)) as { headers: Record<string, string>; url: string };
      assert.ok(!/secret|@/.test(echo.headers['host'] ?? ''), `${target}: upstream Host "${echo.headers['host']}"`);
      assert.ok(!echo.url.includes('secret'), `${target}: upstream target "${echo.url}"`);
    }
  });

  test('10.13 two Host headers are a 400 (outbound, inbound, gateway)', async () => {
    await healthy();
    const statuses = [];
    for (const [name, port] of listeners()) {
      const reply = await raw(port, 'GET / HTTP/1.1\r\nHost: svc\r\nHost: evil.example\r\nConnection: close\r\n\r\n', { done: responseComplete });
      statuses.push(`${name} ${reply.status || 'none'}`);
    }
    assert.deepEqual(statuses, ['outbound 400', 'inbound 400', 'gateway 400']);
  });

  test('10.14 1503 small headers are either all forwarded or answered 431, never cut silently (baggage last)', async () => {
    // Upstreams without Node's own 1000-header cut, so any cut seen is the sidecar's.
    const untagged = await startEcho('untagged');
    const lane = await startEcho('blue');
    for (const e of [untagged, lane]) e.server.maxHeadersCount = 0;
    const sc = await startRun({ rules: `services:\n  many:\n    endpoints:\n      - { address: "${untagged.address}" }\n      - { address: "${lane.address}", color: blue }\n` });
    try {
      const many = Array.from({ length: 1500 }, (_, i) => `x${i}: 1\r\n`).join('');
      const reply = await raw(sc.ports.outbound, `GET /many HTTP/1.1\r\nHost: many\r\n${many}baggage: color=blue\r\nConnection: close\r\n\r\n`, { done: responseComplete });
      if (reply.status === 431) return;
      assert.equal(reply.status, 200, reply.text.slice(0, 200));
      const echo = JSON.parse(reply.text.slice(reply.text.indexOf('\r\n\r\n') + 4)) as { name: string; headers: Record<string, string> };
      const forwarded = Object.keys(echo.headers).filter((n) => /^x\d+$/.test(n)).length;
      assert.equal(forwarded, 1500, 'headers the upstream got');
      assert.equal(echo.name, 'blue', 'the baggage after the 1000th header still routes the request to its lane');
    } finally {
      await sc.kill();
      await Promise.all([untagged.close(), lane.close()]);
    }
  });

  test('10.15 CONNECT to a mesh service is refused, not tunnelled past color routing', async () => {
    await healthy();
    for (const target of ['svc:80', `svc:${app.port}`]) {
      const reply = await raw(run.ports.outbound, `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`, { done: (t) => t.includes('\r\n\r\n') });
      assert.ok(reply.status >= 400 && reply.status <= 599, `CONNECT ${target} → ${reply.status || 'none'} ${JSON.stringify(reply.text.slice(0, 60))}`);
    }
  });

  test('10.16 the gateway does not return x-colormesh-route to outside clients by default', async () => {
    await healthy();
    const r = await request(gw.ports.inbound, { path: '/' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-colormesh-route'], undefined, `the gateway told an outside client "${r.headers['x-colormesh-route']}"`);
  });
});
