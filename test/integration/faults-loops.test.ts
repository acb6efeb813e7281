// Issue 10, findings 3 and 4: a request addressed to the sidecar itself, under any spelling of its
// loopback address, must be refused at once (no self-connection loop) and never reach the admin port.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { wsHandshake } from '../support/fault-upstreams.js';
import { request, sleep, startEcho, type EchoServer } from '../support/mesh.js';
import { answers, fdCount, raw, responseComplete, startRun, statusOf, type RawReply, type SidecarProcess } from '../support/sidecar-process.js';

/** Ways to write 127.0.0.1 (or "this host") that a resolver or connect() accepts. */
const SPELLINGS = ['127.0.0.1', 'localhost', '0x7f000001', '2130706433', '0177.0.0.1', '[::ffff:127.0.0.1]', '0', os.hostname()];
/** Refused "fast": an answer within this, not a loop that ends when something runs out. */
const FAST_MS = 2000;
/** More fds than this above the idle count during one request means self-connections piled up. */
const FD_SLACK = 100;

interface Probe {
  reply: RawReply;
  peakFds: number;
}

/**
 * Sends `data` and samples the sidecar's fd count every 50 ms until the reply is complete; gives up
 * as soon as the fds show a loop, so a failing case costs a fraction of a second, not a minute.
 */
async function probe(sc: SidecarProcess, port: number, idle: number, data: string, done: (t: string) => boolean = responseComplete): Promise<Probe> {
  let peakFds = 0;
  let sampling = true;
  const looping = new AbortController();
  const sampler = (async () => {
    while (sampling && sc.alive()) {
      try {
        peakFds = Math.max(peakFds, fdCount(sc.pid));
      } catch {
        return;
      }
      if (peakFds - idle > FD_SLACK) return looping.abort();
      await sleep(50);
    }
  })();
  const reply = await raw(port, data, { timeoutMs: FAST_MS + 500, done, signal: looping.signal });
  sampling = false;
  await sampler;
  return { reply, peakFds };
}

describe('issue 10: loops and the admin port', () => {
  let app: EchoServer;
  let sc: SidecarProcess;
  let idleFds = 0;
  /** the slowest answer and the largest fd growth over every probe: the figures for the closing note */
  const worst = { ms: 0, fds: 0 };
  const rulesText = (): string => `outboundPolicy: allow\nservices:\n  svc:\n    endpoints:\n      - { address: "${app.address}" }\n`;

  /** A sidecar that is healthy and idle; a new one if the last case hurt it. */
  async function healthy(): Promise<SidecarProcess> {
    if (sc === undefined || !sc.alive() || !(await answers(sc.ports.outbound)) || fdCount(sc.pid) > idleFds + 20) {
      await sc?.kill();
      sc = await startRun({ rules: rulesText() });
      await answers(sc.ports.outbound);
      idleFds = fdCount(sc.pid);
    }
    return sc;
  }

  /** Runs each case on a healthy sidecar and returns the failures, one line each. */
  async function cases(list: Array<[string, (s: SidecarProcess) => Promise<string | undefined>]>): Promise<string[]> {
    const failures: string[] = [];
    for (const [name, run] of list) {
      const s = await healthy();
      const problem = await run(s);
      if (problem !== undefined) failures.push(`${name}: ${problem}`);
    }
    return failures;
  }

  /** undefined when refused fast with an HTTP error and bounded fds; otherwise what went wrong. */
  function refusedFast(p: Probe, base: number): string | undefined {
    const { reply } = p;
    worst.ms = Math.max(worst.ms, reply.ms);
    worst.fds = Math.max(worst.fds, p.peakFds - base);
    if (reply.status < 400 || reply.status > 599) return `status ${reply.status || 'none'} after ${reply.ms} ms (closed=${reply.closed}, timedOut=${reply.timedOut}), peak fds ${p.peakFds - base} over idle`;
    if (reply.ms > FAST_MS) return `answered ${reply.status} only after ${reply.ms} ms`;
    if (p.peakFds - base > FD_SLACK) return `answered ${reply.status} but fds grew by ${p.peakFds - base}`;
    return undefined;
  }

  before(async () => {
    app = await startEcho('app');
  });
  after(async () => {
    await sc?.kill();
    await app.close();
  });

  test('10.3 a request to the outbound\'s own port is refused fast under every spelling of loopback, fds stay bounded', async (t) => {
    const list = SPELLINGS.flatMap((host): Array<[string, (s: SidecarProcess) => Promise<string | undefined>]> => [
      [`explicit http://${host}:PORT/`, async (s) => refusedFast(await probe(s, s.ports.outbound, idleFds, `GET http://${host}:${s.ports.outbound}/loop HTTP/1.1\r\nHost: ${host}:${s.ports.outbound}\r\nConnection: close\r\n\r\n`), idleFds)],
      [`transparent Host: ${host}:PORT`, async (s) => refusedFast(await probe(s, s.ports.outbound, idleFds, `GET /loop HTTP/1.1\r\nHost: ${host}:${s.ports.outbound}\r\nConnection: close\r\n\r\n`), idleFds)],
    ]);
    const failures = await cases(list);
    t.diagnostic(`${list.length} self-addressed requests: slowest answer ${worst.ms} ms, fds at most ${worst.fds} over idle`);
    assert.deepEqual(failures, []);
  });

  test('10.3 a WebSocket upgrade to the outbound\'s own port is refused fast, fds stay bounded', async () => {
    const failures = await cases(['127.0.0.1', 'localhost', '0x7f000001', '0'].map((host) => [`upgrade to ${host}:PORT`,
      async (s) => refusedFast(await probe(s, s.ports.outbound, idleFds, wsHandshake(`${host}:${s.ports.outbound}`), (t) => t.includes('\r\n\r\n')), idleFds)]));
    assert.deepEqual(failures, []);
  });

  test('10.3 CONNECT to the outbound\'s own port is refused fast, fds stay bounded', async () => {
    const failures = await cases(['127.0.0.1', 'localhost', '0x7f000001', '0'].map((host) => [`CONNECT ${host}:PORT`,
      async (s) => refusedFast(await probe(s, s.ports.outbound, idleFds, `CONNECT ${host}:${s.ports.outbound} HTTP/1.1\r\nHost: ${host}:${s.ports.outbound}\r\n\r\n`, (t) => t.includes('\r\n\r\n')), idleFds)]));
    assert.deepEqual(failures, []);
  });

  test('10.4 the admin port is not reachable through the outbound listener, under any spelling or by CONNECT', async () => {
    const refused = (r: RawReply, what: string): string | undefined =>
      r.status >= 400 && r.status <= 599 && !r.text.includes('lastReloadError') ? undefined : `${what} → status ${r.status || 'none'} ${JSON.stringify(r.text.slice(-80))}`;
    const list = SPELLINGS.flatMap((host): Array<[string, (s: SidecarProcess) => Promise<string | undefined>]> => [
      [`GET http://${host}:ADMIN/config`, async (s) => refused(await raw(s.ports.outbound, `GET http://${host}:${s.ports.admin}/config HTTP/1.1\r\nHost: ${host}:${s.ports.admin}\r\nConnection: close\r\n\r\n`, { done: responseComplete }), 'read /config')],
      [`POST ${host}:ADMIN/log-level (transparent)`, async (s) => {
        const r = await raw(s.ports.outbound, `POST /log-level?level=debug HTTP/1.1\r\nHost: ${host}:${s.ports.admin}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`, { done: responseComplete });
        const level = (await request(s.ports.admin, { path: '/log-level' })).text;
        return refused(r, 'POST /log-level') ?? (level.includes('debug') ? `the log level was changed: ${level}` : undefined);
      }],
      [`CONNECT ${host}:ADMIN then GET /config`, async (s) => {
        const r = await raw(s.ports.outbound, `CONNECT ${host}:${s.ports.admin} HTTP/1.1\r\nHost: ${host}:${s.ports.admin}\r\n\r\n`, {
          then: 'GET /config HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n',
          done: (t) => t.includes('lastReloadError') || (statusOf(t) >= 400 && responseComplete(t)),
        });
        return refused(r, 'CONNECT');
      }],
    ]);
    const failures = await cases(list);
    assert.deepEqual(failures, []);
  });
});

