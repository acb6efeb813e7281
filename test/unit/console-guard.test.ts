// The console's write guard (no cross-site or DNS-rebinding writes) and its request-body checks.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHost, checkWrite, hostNamesConsole, splitHost } from '../../src/console/guard.js';
import { parseRollbackBody, parseSplitBody, RequestError } from '../../src/console/requests.js';

const opts = { port: 15030, names: ['10.0.0.5', 'console.internal'] };

describe('splitHost', () => {
  const cases: Array<[string, { name: string; port: number | undefined } | undefined]> = [
    ['127.0.0.1:15030', { name: '127.0.0.1', port: 15030 }],
    ['LOCALHOST', { name: 'localhost', port: undefined }],
    ['[::1]:8080', { name: '::1', port: 8080 }],
    ['a:b:c', undefined],
    ['host:99999', undefined],
    ['', undefined],
  ];
  for (const [value, expected] of cases) test(JSON.stringify(value), () => assert.deepEqual(splitHost(value), expected));
});

describe('hostNamesConsole', () => {
  const cases: Array<[host: string | undefined, ok: boolean, why: string]> = [
    ['127.0.0.1:15030', true, 'loopback on its port'],
    ['localhost:8080', true, 'loopback on another port (kubectl port-forward)'],
    ['[::1]:15030', true, 'IPv6 loopback'],
    ['127.0.0.2:15030', true, '127/8 is loopback'],
    ['app.localhost:15030', true, '*.localhost resolves to loopback'],
    ['10.0.0.5:15030', true, 'the bind address on the console port'],
    ['console.internal:15030', true, 'a configured name'],
    ['10.0.0.5:9999', false, 'the bind address on another port'],
    ['evil.example:15030', false, 'a rebound DNS name'],
    ['evil.example', false, 'a rebound DNS name without a port'],
    ['localhost.evil.example:15030', false, 'not a loopback name, only starts like one'],
    ['', false, 'empty'],
    [undefined, false, 'absent'],
  ];
  for (const [host, ok, why] of cases) test(`${JSON.stringify(host)} → ${ok} (${why})`, () => assert.equal(hostNamesConsole(host, opts), ok));

  test('checkHost refuses with 403 and says how to open the console', () => {
    const r = checkHost({ host: 'evil.example' }, opts);
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.status === 403 && r.error === 'forbidden_host' && r.message.includes('127.0.0.1:15030'));
  });
});

describe('checkWrite', () => {
  const json = 'application/json';
  const cases: Array<[headers: Record<string, string | undefined>, result: true | [number, string], why: string]> = [
    [{ host: '127.0.0.1:15030', 'content-type': json }, true, 'no Origin (curl)'],
    [{ host: '127.0.0.1:15030', 'content-type': 'application/json; charset=utf-8' }, true, 'with a charset'],
    [{ host: '127.0.0.1:15030', origin: 'http://127.0.0.1:15030', 'content-type': json }, true, 'the page itself'],
    [{ host: 'localhost:8080', origin: 'http://localhost:8080', 'content-type': json }, true, 'through a port-forward'],
    [{ host: 'localhost', origin: 'http://localhost', 'content-type': json }, true, 'default port on both'],
    [{ host: 'localhost:80', origin: 'http://localhost', 'content-type': json }, true, 'explicit :80 equals the origin without a port'],
    [{ host: '127.0.0.1:15030', origin: 'http://evil.example', 'content-type': json }, [403, 'forbidden_origin'], 'another site'],
    [{ host: '127.0.0.1:15030', origin: 'http://localhost:15030', 'content-type': json }, [403, 'forbidden_origin'], 'another origin, even a loopback one'],
    [{ host: '127.0.0.1:15030', origin: 'http://127.0.0.1:3000', 'content-type': json }, [403, 'forbidden_origin'], 'another local app'],
    [{ host: '127.0.0.1:15030', origin: 'null', 'content-type': json }, [403, 'forbidden_origin'], 'an opaque origin'],
    [{ host: 'evil.example:15030', origin: 'http://evil.example:15030', 'content-type': json }, [403, 'forbidden_host'], 'DNS rebinding'],
    [{ 'content-type': json }, [403, 'forbidden_host'], 'no Host'],
    [{ host: '127.0.0.1:15030', 'content-type': 'text/plain' }, [403, 'forbidden_content_type'], 'a form-like content type'],
    [{ host: '127.0.0.1:15030', 'content-type': 'application/x-www-form-urlencoded' }, [403, 'forbidden_content_type'], 'a form post'],
    [{ host: '127.0.0.1:15030' }, [403, 'forbidden_content_type'], 'no content type'],
  ];
  for (const [headers, expected, why] of cases) {
    test(why, () => {
      const r = checkWrite(headers, opts);
      if (expected === true) assert.deepEqual(r, { ok: true });
      else assert.deepEqual(r.ok ? r : [r.status, r.error], expected);
    });
  }
});

describe('parseSplitBody', () => {
  test('weights, lower-cased, and an optional version', () => {
    assert.deepEqual(parseSplitBody('{"weights":{"Blue":90,"green":10},"version":"abc"}'), { weights: { blue: 90, green: 10 }, version: 'abc' });
    assert.deepEqual(parseSplitBody('{"weights":{"green":0}}'), { weights: { green: 0 }, version: undefined });
    assert.deepEqual(parseSplitBody('{"weights":{"green":0},"expectedVersion":"v"}').version, 'v');
  });
  test('a negative weight passes through to the validator, whose message is the one shown', () => {
    assert.deepEqual(parseSplitBody('{"weights":{"green":-5}}').weights, { green: -5 });
  });
  const bad: Array<[string, string]> = [
    ['not json', 'invalid_json'],
    ['[]', 'invalid_request'],
    ['{}', 'invalid_request'],
    ['{"weights":{}}', 'invalid_request'],
    ['{"weights":[90,10]}', 'invalid_request'],
    ['{"weights":{"green":"abc"}}', 'invalid_weight'],
    ['{"weights":{"green":"10"}}', 'invalid_weight'],
    ['{"weights":{"green":null}}', 'invalid_weight'],
    ['{"weights":{"green":10,"GREEN":5}}', 'invalid_request'],
    ['{"weights":{"green":10},"extra":1}', 'invalid_request'],
    ['{"weights":{"green":10},"version":5}', 'invalid_request'],
  ];
  for (const [body, code] of bad) {
    test(`${body} → 400 ${code}`, () => {
      assert.throws(() => parseSplitBody(body), (err: unknown) => err instanceof RequestError && err.status === 400 && err.code === code);
    });
  }
});

describe('parseRollbackBody', () => {
  test('a color', () => assert.deepEqual(parseRollbackBody('{"color":" Green "}'), { color: 'green', to: undefined, version: undefined }));
  test('a color and where its users go', () => assert.deepEqual(parseRollbackBody('{"color":"green","to":"Blue"}'), { color: 'green', to: 'blue', version: undefined }));
  test('no color → 400', () => assert.throws(() => parseRollbackBody('{"colour":"green"}'), RequestError));
});
