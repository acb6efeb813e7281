// Issue 10, critical findings: one request from outside must never take a sidecar process down.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startRawUpstream, type RawUpstream } from '../support/fault-upstreams.js';
import { request, sleep, startEcho, type EchoServer } from '../support/mesh.js';
import { answers, raw, responseComplete, startGateway, startRun, type SidecarProcess } from '../support/sidecar-process.js';

const TRAILER_REQUESTS: Array<[string, (host: string) => string]> = [
  ['GET with Trailer', (host) => `GET /t HTTP/1.1\r\nHost: ${host}\r\nTrailer: x-checksum\r\nConnection: close\r\n\r\n`],
  ['chunked POST with Trailer and a trailer field', (host) => `POST /t HTTP/1.1\r\nHost: ${host}\r\nTrailer: x-checksum\r\n` +
    'Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\nx-checksum: 1\r\n\r\n'],
  ['POST with Trailer and Content-Length', (host) => `POST /t HTTP/1.1\r\nHost: ${host}\r\nTrailer: x-checksum\r\n` +
    'Content-Length: 5\r\nConnection: close\r\n\r\nhello'],
];

describe('issue 10: crashes', () => {
  let app: EchoServer;
  before(async () => {
    app = await startEcho('app');
  });
  after(async () => {
    await app.close();
  });

  test('10.1 a request carrying Trailer does not kill the sidecar (outbound, inbound, gateway)', async () => {
    const rulesText = `services:\n  svc:\n    endpoints:\n      - { address: "${app.address}" }\n`;
    const failures: string[] = [];
    let run = await startRun({ rules: rulesText, appPort: app.port, service: 'svc' });
    let gw = await startGateway({ rules: rulesText, service: 'svc' });
    try {
      const listeners: Array<[string, () => SidecarProcess, () => number]> = [
        ['outbound', () => run, () => run.ports.outbound],
        ['inbound', () => run, () => run.ports.inbound],
        ['gateway', () => gw, () => gw.ports.inbound],
      ];
      for (const [name, proc, port] of listeners) {
        for (const [what, build] of TRAILER_REQUESTS) {
          const reply = await raw(port(), build('svc'), { timeoutMs: 3000, done: responseComplete });
          const alive = proc().alive() && (await answers(port()));
          if (!alive) {
            await Promise.race([proc().exited, sleep(500)]);
            failures.push(`${name}: ${what} → ${proc().alive() ? 'no control answer' : 'process died'} (reply: ${JSON.stringify(reply.text.slice(0, 60))})`);
            // A fresh process, so the next case is tested on its own.
            await proc().kill();
            if (name === 'gateway') gw = await startGateway({ rules: rulesText, service: 'svc' });
            else run = await startRun({ rules: rulesText, appPort: app.port, service: 'svc' });
          } else if (reply.status === 0) {
            failures.push(`${name}: ${what} → no HTTP response (closed=${reply.closed})`);
          }
        }
      }
      assert.deepEqual(failures, []);
    } finally {
      await Promise.all([run.kill(), gw.kill()]);
    }
  });

  describe('an upstream answering Trailer', () => {
    let upstream: RawUpstream;
    before(async () => {
      // Node's own server refuses to write this; a raw one sends it as a careless upstream would.
      upstream = await startRawUpstream(() => 'HTTP/1.1 200 OK\r\nTrailer: x-checksum\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok');
    });
    after(async () => {
      await upstream.close();
    });

    test('10.2 an upstream answering Trailer with Content-Length does not kill the caller\'s sidecar (outboundPolicy: allow)', async () => {
      const rulesText = `outboundPolicy: allow\nservices:\n  svc:\n    endpoints:\n      - { address: "${app.address}" }\n` +
        `  trailing:\n    endpoints:\n      - { address: "${upstream.address}" }\n`;
      const run = await startRun({ rules: rulesText });
      const failures: string[] = [];
      try {
        const calls: Array<[string, () => Promise<unknown>]> = [
          ['explicit proxy to a host outside the mesh', () => request(run.ports.outbound, { path: `http://${upstream.address}/x`, headers: { host: upstream.address }, timeoutMs: 3000 })],
          ['transparent (Host) to a host outside the mesh', () => request(run.ports.outbound, { path: '/x', headers: { host: upstream.address }, timeoutMs: 3000 })],
          ['a mesh service whose endpoint answers so', () => request(run.ports.outbound, { path: '/x', headers: { host: 'trailing' }, timeoutMs: 3000 })],
        ];
        for (const [what, call] of calls) {
          if (!run.alive()) break;
          const outcome = await call().then((r) => `status ${(r as { status: number }).status}`, (err: Error) => `error ${err.message}`);
          if (!run.alive() || !(await answers(run.ports.outbound))) failures.push(`${what}: sidecar ${run.alive() ? 'stopped answering' : 'died'} (${outcome})`);
        }
        assert.deepEqual(failures, []);
      } finally {
        await run.kill();
      }
    });
  });
});
