// Shadow traffic (SPEC 8) as a policy step: sampled copies to the mirror color, marked shadow; the
// original unaffected whatever the copy does; copies capped; a shadow request stays in its lane.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { channels, type MirrorEvent } from '../../src/events.js';
import http from 'node:http';
import { deadPort, request, rules, sidecar, sleep, startEcho, type Echo } from '../support/mesh.js';

/** Collects mirror outcomes while `fn` runs. */
async function mirrorEvents(fn: () => Promise<void>, settleMs = 100): Promise<MirrorEvent[]> {
  const seen: MirrorEvent[] = [];
  const on = (m: unknown): void => void seen.push(m as MirrorEvent);
  diagnostics_channel.subscribe(channels.mirror.name as string, on);
  try {
    await fn();
    await sleep(settleMs);
  } finally {
    diagnostics_channel.unsubscribe(channels.mirror.name as string, on);
  }
  return seen;
}

describe('mirroring', () => {
  test('a copy with the same method, path, headers and body goes to the mirror color, marked shadow', async () => {
    const copies: Echo[] = [];
    const blue = await startEcho('blue');
    const green = await startEcho('green', (req, res, body) => {
      copies.push({ name: 'green', method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.writeHead(500);
      res.end('the candidate is broken');
    });
    const sc = await sidecar({ rules: rules(`services:\n  base:\n    mirror: { color: green }\n    endpoints:\n      - { address: "${blue.address}", color: blue }\n      - { address: "${green.address}", color: green }\n`) });
    try {
      const events = await mirrorEvents(async () => {
        const r = await request(sc.ports.outbound as number, { method: 'POST', path: '/orders?id=7', headers: { host: 'base', baggage: 'k=v,color=blue', 'x-a': '1', 'content-type': 'text/plain' }, body: 'payload' });
        assert.equal(r.status, 200, 'the original is untouched by the copy\'s 500');
        assert.equal(r.json.name, 'blue');
        assert.equal(r.headers['x-colormesh-route'], 'base;color=blue;via=exact');
        // a request already routed to the mirror color is not copied
        await request(sc.ports.outbound as number, { headers: { host: 'base', baggage: 'color=green' } });
      });
      // green saw the copy and the green request itself, which was not copied again
      assert.deepEqual(copies.map((c) => c.headers.baggage), ['k=v,color=green;shadow', 'color=green']);
      const copy = copies[0] as Echo;
      assert.equal(copy.method, 'POST');
      assert.equal(copy.url, '/orders?id=7');
      assert.equal(copy.body, 'payload');
      assert.equal(copy.headers['x-a'], '1');
      assert.equal(copy.headers.baggage, 'k=v,color=green;shadow');
      assert.deepEqual(events.map((e) => [e.service, e.color, e.result]), [['base', 'green', 'ok']]);
    } finally {
      await sc.drain();
      await Promise.all([blue.close(), green.close()]);
    }
  });

  test('the original is unaffected by a dead or hanging target; copies in flight are capped; bodies over the cap are not copied', async () => {
    const blue = await startEcho('blue');
    const hanging = await startEcho('hang', () => undefined);
    const dead = await deadPort();
    const sc = await sidecar({
      rules: rules(`
services:
  hangs:
    timeoutMs: 2000
    mirror: { color: green, maxInFlight: 5, maxBodyBytes: 16 }
    endpoints:
      - { address: "${blue.address}" }
      - { address: "${hanging.address}", color: green }
  dies:
    mirror: { color: green }
    endpoints:
      - { address: "${blue.address}" }
      - { address: "127.0.0.1:${dead}", color: green }
  nogreen:
    mirror: { color: green }
    endpoints:
      - { address: "${blue.address}" }
`),
    });
    const out = sc.ports.outbound as number;
    try {
      const events = await mirrorEvents(async () => {
        const started = performance.now();
        const replies = await Promise.all(Array.from({ length: 12 }, () => request(out, { headers: { host: 'hangs' } })));
        assert.deepEqual(replies.map((r) => r.status), Array(12).fill(200));
        assert.ok(performance.now() - started < 1500, 'the originals did not wait for hanging copies');
        const big = await request(out, { method: 'POST', headers: { host: 'hangs' }, body: 'x'.repeat(100) });
        assert.equal(big.status, 200);
        assert.equal((await request(out, { headers: { host: 'dies' } })).status, 200);
        assert.equal((await request(out, { headers: { host: 'nogreen' } })).status, 200);
      }, 300);
      const count = (service: string, result: string): number => events.filter((e) => e.service === service && e.result === result).length;
      assert.equal(count('hangs', 'overload'), 7, '5 copies in flight at most, the other 7 skipped');
      assert.equal(count('hangs', 'body_too_large'), 1);
      assert.equal(count('dies', 'error'), 1);
      assert.equal(count('nogreen', 'no_endpoint'), 1);
      // The hanging copies end at the service's timeout and free their slots.
      await sleep(2200);
      const later = await mirrorEvents(() => request(out, { headers: { host: 'hangs' } }).then(() => undefined));
      assert.deepEqual(later.map((e) => e.result), [], 'a slot was free again: the copy is in flight, not skipped');
    } finally {
      await sc.drain();
      await Promise.all([blue.close(), hanging.close()]);
    }
  });

  test('percent samples the copies', async () => {
    const blue = await startEcho('blue');
    const green = await startEcho('green');
    let draws = 0;
    // a seeded generator keeps the count reproducible
    const random = (): number => ((draws = (draws * 1103515245 + 12345) % 2147483648), draws / 2147483648);
    const sc = await sidecar({ random, rules: rules(`services:\n  base:\n    mirror: { color: green, percent: 25 }\n    endpoints:\n      - { address: "${blue.address}" }\n      - { address: "${green.address}", color: green }\n`) });
    try {
      for (let i = 0; i < 400; i++) await request(sc.ports.outbound as number, { headers: { host: 'base' } });
      await sleep(100);
      // 400 × 0.25 = 100 expected; a binomial 3-sigma band is ±26.
      assert.ok(green.hits > 74 && green.hits < 126, `${green.hits} copies of 400 at 25 %`);
    } finally {
      await sc.drain();
      await Promise.all([blue.close(), green.close()]);
    }
  });

  test('a shadow request stays in its lane: only its own color, never mirrored again, never out of the mesh', async () => {
    const plain = await startEcho('production');
    const green = await startEcho('green');
    const outside = await startEcho('outside');
    const sc = await sidecar({
      rules: rules(`
services:
  nogreen:
    endpoints:
      - { address: "${plain.address}" }
  withgreen:
    mirror: { color: blue }
    endpoints:
      - { address: "${plain.address}" }
      - { address: "${green.address}", color: green }
`),
      service: 'web',
      appPort: plain.port,
    });
    const out = sc.ports.outbound as number;
    const shadow = { baggage: 'color=green;shadow' };
    try {
      const blocked = await request(out, { headers: { host: 'nogreen', ...shadow } });
      assert.equal(blocked.status, 503, 'no fallback to the production version');
      assert.equal(blocked.json.error, 'no_endpoint');
      const own = await request(out, { headers: { host: 'withgreen', ...shadow } });
      assert.equal(own.json.name, 'green');
      assert.equal(own.json.headers.baggage, 'color=green;shadow', 'the shadow property travels on');
      const escaped = await request(out, { path: `http://127.0.0.1:${outside.port}/`, headers: shadow });
      assert.equal(escaped.status, 502);
      assert.equal(escaped.json.error, 'not_in_mesh');
      assert.equal(outside.hits, 0, 'an outside host is never called by a shadow request');
      assert.equal(plain.hits, 0);

      // Through the trace table: the inbound side saw a shadow copy; the app forwards only traceparent.
      const trace = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      await request(sc.ports.inbound as number, { headers: { traceparent: trace, ...shadow } });
      const hits = plain.hits;
      const byTrace = await request(out, { headers: { host: 'nogreen', traceparent: trace } });
      assert.equal(byTrace.status, 503);
      assert.equal(plain.hits, hits);
    } finally {
      await sc.drain();
      await Promise.all([plain.close(), green.close(), outside.close()]);
    }
  });

  test('3 hops: a copy made at the edge reaches green frontend, then stops at order-service, which has no green', async () => {
    // order-service has only its production version; count what reaches it.
    const order = await startEcho('order-prod');
    // frontend's versions call order-service through their own sidecar, forwarding baggage as an instrumented app does.
    const outbound: Record<string, number> = {};
    const seenByOrderCall: Array<{ version: string; status: number }> = [];
    const frontend = (version: string) => startEcho(version, (req, res) => {
      const call = http.request({ host: '127.0.0.1', port: outbound[version], path: 'http://order-service/', headers: { baggage: String(req.headers.baggage ?? '') } }, (r) => {
        r.resume();
        r.on('end', () => {
          seenByOrderCall.push({ version, status: r.statusCode ?? 0 });
          res.end(`${version}:${r.statusCode}`);
        });
      });
      call.end();
    });
    const prodApp = await frontend('frontend-prod');
    const greenApp = await frontend('frontend-green');
    const meshRules = (frontendEndpoints: string): string => `
ingress:
  entrypoints: [frontend]
services:
  frontend:
    mirror: { color: green }
    endpoints:
${frontendEndpoints}
  order-service:
    endpoints:
      - { address: "${order.address}" }
`;
    const prodPod = await sidecar({ rules: rules(meshRules('      - { address: "127.0.0.1:1" }')), service: 'frontend', appPort: prodApp.port });
    const greenPod = await sidecar({ rules: rules(meshRules('      - { address: "127.0.0.1:1" }')), service: 'frontend', color: 'green', appPort: greenApp.port });
    outbound['frontend-prod'] = prodPod.ports.outbound as number;
    outbound['frontend-green'] = greenPod.ports.outbound as number;
    const edge = await sidecar({
      rules: rules(meshRules(`      - { address: "127.0.0.1:${prodPod.ports.inbound}" }\n      - { address: "127.0.0.1:${greenPod.ports.inbound}", color: green }`)),
      gateway: { service: 'frontend', port: 0 },
    });
    try {
      const reply = await request(edge.ports.gateway as number, { headers: { host: 'shop.example' } });
      assert.equal(reply.text, 'frontend-prod:200', 'the user got production');
      for (let i = 0; i < 40 && seenByOrderCall.length < 2; i++) await sleep(25);
      assert.deepEqual(seenByOrderCall.map((c) => `${c.version}:${c.status}`).sort(), ['frontend-green:503', 'frontend-prod:200']);
      assert.equal(order.hits, 1, 'only the user\'s own call reached the production order-service');
      // A client cannot ask the edge for a shadow lane: it is colored like any other request.
      const sneaky = await request(edge.ports.gateway as number, { headers: { host: 'shop.example', baggage: 'color=green;shadow' } });
      assert.equal(sneaky.text, 'frontend-prod:200');
    } finally {
      await Promise.all([edge.drain(), prodPod.drain(), greenPod.drain()]);
      await Promise.all([order.close(), prodApp.close(), greenApp.close()]);
    }
  });
});
