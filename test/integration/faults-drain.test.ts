// Issue 10: draining under keep-alive load, slow uploads against timeoutMs, log lines visible at
// once, and file descriptors after many client aborts — each against a real sidecar process.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { mulberry32 } from '../support/seeded-random.js';
import { request, sleep, startEcho } from '../support/mesh.js';
import { fdCount, startRun, until } from '../support/sidecar-process.js';

const svcRules = (address: string, extra = ''): string => `services:\n  svc:\n${extra}    endpoints:\n      - { address: "${address}" }\n`;

/** One GET on a keep-alive agent; resolves with the status and the response's Connection header. */
function get(agent: http.Agent, port: number, id: string): Promise<{ status: number; connection: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/', agent, headers: { host: 'svc', 'x-id': id } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: String(res.headers.connection ?? '') }));
      res.on('error', reject);
    });
    req.setTimeout(5000, () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    req.end();
  });
}

interface DrainRound {
  /** requests that reached the app */
  reached: number;
  /** ids that reached the app but whose client got an error instead of an answer */
  lost: string[];
  /** the Connection header of every response to a request sent 100 ms or more after SIGTERM */
  afterTerm: string[];
  code: number | string | null;
}

/** 16 keep-alive clients against the outbound listener; SIGTERM after 1 s; every client runs until refused. */
async function drainUnderLoad(drainDelayMs: number): Promise<DrainRound> {
  const reached = new Set<string>();
  const app = await startEcho('app', (req, res) => {
    reached.add(String(req.headers['x-id']));
    setTimeout(() => res.end('ok'), 20);
  });
  const run = await startRun({ rules: svcRules(app.address), args: ['--drain-delay-ms', String(drainDelayMs)] });
  const lost: string[] = [];
  const afterTerm: string[] = [];
  let sigtermAt = 0;
  const client = async (c: number): Promise<void> => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const stopAt = Date.now() + 8000;
    try {
      for (let i = 0; i < 10_000 && Date.now() < stopAt; i++) {
        const id = `${c}-${i}`;
        const sentAt = Date.now();
        try {
          const r = await get(agent, run.ports.outbound, id);
          if (sigtermAt > 0 && sentAt > sigtermAt + 100) afterTerm.push(r.connection);
        } catch (err) {
          if (reached.has(id)) lost.push(`${id}: ${(err as Error).message}`);
          // Refused: the listener is closed and the drain under way; a real client goes elsewhere.
          if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') return;
        }
      }
    } finally {
      agent.destroy();
    }
  };
  try {
    const clients = Array.from({ length: 16 }, (_, c) => client(c));
    await sleep(1000);
    sigtermAt = Date.now();
    run.child.kill('SIGTERM');
    await Promise.all(clients);
    const code = await Promise.race([run.exited, sleep(8000).then(() => 'still running')]);
    return { reached: reached.size, lost, afterTerm, code };
  } finally {
    await run.kill();
    await app.close();
  }
}

describe('issue 10: drain, limits, logs', () => {
  test('10.5 SIGTERM under 16-way keep-alive load: no request that reached the app loses its answer; responses after SIGTERM carry Connection: close', async (t) => {
    // Without a drain delay the listener closes at once; with one, clients on kept-alive
    // connections keep sending and must be told to leave (Connection: close) before the cut.
    const cut = await drainUnderLoad(0);
    const delayed = await drainUnderLoad(800);
    // The figures for the closing note.
    for (const [name, r] of [['no drain delay', cut], ['800 ms drain delay', delayed]] as const) {
      const closing = r.afterTerm.filter((c) => c.toLowerCase() === 'close').length;
      t.diagnostic(`${name}: ${r.reached} requests reached the app, ${r.lost.length} lost their answer; ${closing}/${r.afterTerm.length} answers after SIGTERM had Connection: close; exit ${r.code}`);
    }
    for (const [name, r] of [['no drain delay', cut], ['800 ms drain delay', delayed]] as const) {
      assert.ok(r.reached > 100, `${name}: load reached the app (${r.reached} requests)`);
      assert.deepEqual(r.lost, [], `${name}: ${r.lost.length} of ${r.reached} requests reached the app and lost their answer`);
      assert.equal(r.code, 0, `${name}: exit code`);
    }
    assert.ok(delayed.afterTerm.length > 0, 'some requests were answered during the drain delay');
    const kept = delayed.afterTerm.filter((c) => c.toLowerCase() !== 'close');
    assert.equal(kept.length, 0, `${kept.length} of ${delayed.afterTerm.length} responses after SIGTERM lack Connection: close (e.g. "${kept[0]}")`);
  });

  test('10.9 a slow upload (2 s body, timeoutMs 1000) is not a 504: the deadline starts once the request is sent', async () => {
    const app = await startEcho('app');
    const run = await startRun({ rules: svcRules(app.address, '    timeoutMs: 1000\n') });
    try {
      const chunks = Array.from({ length: 8 }, (_, i) => `part-${i};`);
      const reply = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: run.ports.outbound, method: 'POST', path: '/upload', agent: false, headers: { host: 'svc', 'content-type': 'text/plain' } }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.setTimeout(10_000, () => req.destroy(new Error('client timeout')));
        req.on('error', reject);
        let i = 0;
        const tick = setInterval(() => {
          if (i < chunks.length) req.write(chunks[i++]);
          else {
            clearInterval(tick);
            req.end();
          }
        }, 250);
        req.on('close', () => clearInterval(tick));
      });
      assert.equal(reply.status, 200, reply.text);
      assert.equal((JSON.parse(reply.text) as { body: string }).body, chunks.join(''));
    } finally {
      await run.kill();
      await app.close();
    }
  });

  test('10.10 error and warning lines reach stdout within 1 s (a rejected reload); access lines within about a second', async () => {
    const app = await startEcho('app');
    const run = await startRun({ rules: svcRules(app.address), args: ['--log-level', 'info', '--access-log-sample', '1'] });
    try {
      const before = run.stdout().length;
      assert.equal((await request(run.ports.outbound, { headers: { host: 'svc' } })).status, 200);
      const sent = Date.now();
      await until('the access line on stdout', () => run.stdout().slice(before).includes('"type":"access"'), 3000);
      const accessMs = Date.now() - sent;
      assert.ok(accessMs < 1500, `access line after ${accessMs} ms`);

      const mark = run.stdout().length;
      const wrote = Date.now();
      writeFileSync(run.rulesFile, 'services: [oops\n');
      await until('the rejected reload on stdout', () => /"level":"(error|warn)"/.test(run.stdout().slice(mark)), 5000);
      const errorMs = Date.now() - wrote;
      // The watcher's own debounce (100 ms) is inside this second.
      assert.ok(errorMs < 1000, `rejected reload logged after ${errorMs} ms`);
      assert.match(run.stdout().slice(mark), /rules\.yaml:\d+:\d+/);
    } finally {
      await run.kill();
      await app.close();
    }
  });

  test('fd counts after 1000 client aborts stay flat (outbound and inbound)', async () => {
    const app = await startEcho('app', (_req, res) => setTimeout(() => res.end('ok'), 30));
    const run = await startRun({ rules: svcRules(app.address), appPort: app.port });
    const random = mulberry32(1010);
    try {
      for (let i = 0; i < 20; i++) await request(i % 2 ? run.ports.inbound : run.ports.outbound, { headers: { host: 'svc' } });
      await sleep(300);
      const baseline = fdCount(run.pid);
      const abortOne = (i: number): Promise<void> => new Promise((resolve) => {
        const socket = net.connect(i % 2 ? run.ports.inbound : run.ports.outbound, '127.0.0.1');
        // Half abort while waiting for the answer, half in the middle of a request body.
        const head = i % 4 < 2 ? 'GET /slow HTTP/1.1\r\nHost: svc\r\n\r\n' : 'POST /slow HTTP/1.1\r\nHost: svc\r\nContent-Length: 100\r\n\r\n0123456789';
        socket.on('connect', () => {
          socket.write(head);
          setTimeout(() => socket.destroy(), Math.floor(random() * 40));
        });
        socket.on('error', () => undefined);
        socket.on('close', () => resolve());
      });
      for (let batch = 0; batch < 20; batch++) await Promise.all(Array.from({ length: 50 }, (_, j) => abortOne(batch * 50 + j)));
      let now = fdCount(run.pid);
      await until('fds back to the baseline', () => (now = fdCount(run.pid)) <= baseline + 10, 5000).catch(() => undefined);
      assert.ok(now <= baseline + 10, `fds ${baseline} before, ${now} after 1000 aborts`);
      // Alive and answering; how fast is not this test's business (work for aborted requests may
      // still be draining), so the control request may take a few seconds.
      const control = await request(run.ports.outbound, { headers: { host: 'svc' }, timeoutMs: 10_000 }).then((r) => r.status, (err: Error) => err.message);
      assert.equal(control, 200, 'a control request after the aborts');
    } finally {
      await run.kill();
      await app.close();
    }
  });
});
