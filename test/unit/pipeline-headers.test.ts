// The header lists that leave the sidecar: hop-by-hop removal both ways (RFC 9110 §7.6.1), the
// pipeline's edits, the hop counter, and the Host count.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { hopsOf, hostLineCount, outgoingRequestHeaders, outgoingResponseHeaders } from '../../src/pipeline/headers.js';

/** A stand-in request: raw headers as received, and the parsed (possibly edited) object. */
function req(raw: string[], edited: Record<string, string> = {}): IncomingMessage {
  const headers: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) headers[(raw[i] as string).toLowerCase()] ??= raw[i + 1] as string;
  return { rawHeaders: raw, headers: { ...headers, ...edited } } as unknown as IncomingMessage;
}

const pairs = (flat: readonly string[]): string[] => flat.flatMap((v, i) => (i % 2 === 0 ? [`${v}: ${flat[i + 1]}`] : []));

describe('outgoingRequestHeaders', () => {
  test('keeps end-to-end headers in order with their spelling; drops hop-by-hop and Connection-named ones', () => {
    const r = req(['Host', 'svc', 'X-A', '1', 'Connection', 'keep-alive, X-Secret', 'X-Secret', 's', 'Keep-Alive', 'timeout=5', 'TE', 'trailers', 'Trailer', 'x-sum', 'Transfer-Encoding', 'chunked', 'Proxy-Connection', 'keep-alive', 'Proxy-Authorization', 'Basic x', 'Upgrade', 'h2c', 'Expect', '100-continue', 'x-b', '2']);
    assert.deepEqual(pairs(outgoingRequestHeaders(r, undefined)), ['X-A: 1', 'x-b: 2', 'host: svc']);
  });

  test('the edited headers come from req.headers (baggage, traceparent, host), and the hop counter is set', () => {
    const r = req(['Host', 'alice:pw@svc', 'baggage', 'color=blue', 'x-colormesh-hops', '7'], { host: 'svc', baggage: 'k=v,color=green', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    assert.deepEqual(pairs(outgoingRequestHeaders(r, 8)), ['host: svc', 'baggage: k=v,color=green', 'traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'x-colormesh-hops: 8']);
  });

  test('a baggage override (a shadow copy) replaces the request\'s own', () => {
    const r = req(['Host', 'svc', 'baggage', 'color=blue']);
    assert.deepEqual(pairs(outgoingRequestHeaders(r, 1, 'color=green;shadow')), ['host: svc', 'baggage: color=green;shadow', 'x-colormesh-hops: 1']);
  });

  test('no hop counter toward the local app', () => {
    assert.deepEqual(pairs(outgoingRequestHeaders(req(['Host', 'a', 'x-colormesh-hops', '3']), undefined)), ['host: a']);
  });
});

describe('outgoingResponseHeaders', () => {
  const buf = (flat: string[]): Buffer[] => flat.map((v) => Buffer.from(v, 'latin1'));
  test('drops hop-by-hop headers and every header the upstream named in Connection', () => {
    const out = outgoingResponseHeaders(buf(['Content-Type', 'text/plain', 'Connection', 'close, X-Internal', 'X-Internal', '1', 'Keep-Alive', 'timeout=5', 'Trailer', 'x-sum', 'Transfer-Encoding', 'chunked', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2']));
    assert.deepEqual(pairs(out), ['Content-Type: text/plain', 'Set-Cookie: a=1', 'Set-Cookie: b=2']);
  });

  test('keeps latin1 bytes as they are', () => {
    assert.deepEqual(outgoingResponseHeaders(buf(['X-Name', 'caf\u00e9'])), ['X-Name', 'caf\u00e9']);
  });
});

describe('hop count and Host lines', () => {
  test('hopsOf reads a positive integer, else 0', () => {
    for (const [value, hops] of [['3', 3], ['0', 0], ['-2', 0], ['x', 0], [undefined, 0]] as const) {
      assert.equal(hopsOf(req(value === undefined ? [] : ['x-colormesh-hops', value])), hops, String(value));
    }
  });

  test('hostLineCount counts Host lines whatever their case', () => {
    assert.equal(hostLineCount(req(['Host', 'a'])), 1);
    assert.equal(hostLineCount(req(['host', 'a', 'HOST', 'b'])), 2);
    assert.equal(hostLineCount(req(['X-Host', 'a'])), 0);
  });
});
