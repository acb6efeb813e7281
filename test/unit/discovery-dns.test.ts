// DNS discovery rules that need control of time or of odd answers: TTL scheduling, partial failures,
// NXDOMAIN vs NODATA, address formats. The resolver is a fake; the real DNS server is in the integration test.
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { DnsDiscovery, parseTarget, type DnsDiscoveryOptions, type DnsResolver } from '../../src/discovery/dns.js';
import { RecordingLogger } from '../support/discovery-fixtures.js';
import { UpdateRecorder } from '../support/discovery-recorder.js';

type Answer = Array<{ address: string; ttl: number }> | string; // a string is an error code

/** Answers from a table the test edits; counts lookups per hostname. */
class FakeResolver implements DnsResolver {
  readonly v4 = new Map<string, Answer>();
  readonly v6 = new Map<string, Answer>();
  lookups = 0;
  resolve4(host: string): Promise<Array<{ address: string; ttl: number }>> {
    return this.answer(this.v4, host);
  }
  resolve6(host: string): Promise<Array<{ address: string; ttl: number }>> {
    return this.answer(this.v6, host);
  }
  cancel(): void {}
  private async answer(table: Map<string, Answer>, host: string) {
    this.lookups += 1;
    const answer = table.get(host) ?? 'ENOTFOUND';
    if (typeof answer === 'string') throw Object.assign(new Error(`query ${answer} ${host}`), { code: answer });
    return answer;
  }
}

/** Lets the fake's promises and the source's follow-up work run (setImmediate is not mocked). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function makeSource(hosts: Record<string, string>, resolver: FakeResolver, options: DnsDiscoveryOptions = {}, logger = new RecordingLogger()) {
  return new DnsDiscovery('base-service', hosts, 8080, logger, { createResolver: () => resolver, ...options });
}

describe('dns discovery (fake resolver, mocked time)', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  const ttlCases = [
    { name: 'a record TTL inside the bounds is used as is', ttl: 3, expectedMs: 3000 },
    { name: 'a TTL of 0 is raised to minRefreshMs', ttl: 0, expectedMs: 1000 },
    { name: 'a long TTL is cut to maxRefreshMs', ttl: 3600, expectedMs: 30_000 },
  ];
  for (const c of ttlCases) {
    test(`re-resolves after the record TTL: ${c.name}`, async () => {
      const resolver = new FakeResolver();
      resolver.v4.set('base.svc', [{ address: '10.0.0.1', ttl: c.ttl }]);
      resolver.v6.set('base.svc', 'ENODATA');
      const source = makeSource({ untagged: 'base.svc:8080' }, resolver);
      source.start(() => {});
      await settle();
      const afterFirstRound = resolver.lookups;
      mock.timers.tick(c.expectedMs - 1);
      await settle();
      assert.equal(resolver.lookups, afterFirstRound, 'not before the TTL');
      mock.timers.tick(1);
      await settle();
      assert.equal(resolver.lookups, afterFirstRound + 2, 'A and AAAA again at the TTL');
      source.stop();
    });
  }

  test('without any record TTL it re-resolves every refreshMs (default 5 s)', async () => {
    const resolver = new FakeResolver();
    resolver.v4.set('base.svc', 'ENODATA');
    resolver.v6.set('base.svc', 'ENODATA');
    const source = makeSource({ untagged: 'base.svc:8080' }, resolver);
    source.start(() => {});
    await settle();
    const first = resolver.lookups;
    mock.timers.tick(4999);
    await settle();
    assert.equal(resolver.lookups, first);
    mock.timers.tick(1);
    await settle();
    assert.equal(resolver.lookups, first + 2);
    source.stop();
  });

  test('a transient error keeps that host\'s last addresses, logs once, and logs the recovery', async () => {
    const resolver = new FakeResolver();
    resolver.v4.set('blue.svc', [{ address: '10.0.0.1', ttl: 1 }]);
    resolver.v4.set('green.svc', [{ address: '10.0.0.2', ttl: 1 }]);
    resolver.v6.set('blue.svc', 'ENODATA');
    resolver.v6.set('green.svc', 'ENODATA');
    const logger = new RecordingLogger();
    const recorder = new UpdateRecorder();
    const source = makeSource({ blue: 'blue.svc', green: 'green.svc' }, resolver, {}, logger);
    source.start(recorder.listener);
    await settle();
    // blue's server times out on AAAA only; green moves to a new address meanwhile.
    resolver.v6.set('blue.svc', 'ETIMEOUT');
    resolver.v4.set('green.svc', [{ address: '10.0.0.3', ttl: 1 }]);
    for (let round = 0; round < 3; round++) {
      mock.timers.tick(1000);
      await settle();
    }
    resolver.v6.set('blue.svc', 'ENODATA');
    mock.timers.tick(1000);
    await settle();
    source.stop();
    assert.deepEqual(recorder.updates, [
      { kind: 'reset', endpoints: [{ address: '10.0.0.1:8080', color: 'blue', healthy: true }, { address: '10.0.0.2:8080', color: 'green', healthy: true }] },
      { kind: 'reset', endpoints: [{ address: '10.0.0.1:8080', color: 'blue', healthy: true }, { address: '10.0.0.3:8080', color: 'green', healthy: true }] },
    ]);
    assert.equal(logger.warnings().length, 1);
    assert.equal(logger.lines.filter((l) => l.level === 'info').length, 1);
  });

  test('NODATA gives zero endpoints for that color; NXDOMAIN for every host gives does-not-exist', async () => {
    const resolver = new FakeResolver();
    resolver.v4.set('blue.svc', 'ENODATA');
    resolver.v6.set('blue.svc', 'ENODATA');
    const recorder = new UpdateRecorder();
    const source = makeSource({ blue: 'blue.svc:80', green: 'green.svc:80' }, resolver);
    source.start(recorder.listener);
    await settle();
    resolver.v4.delete('blue.svc');
    resolver.v6.delete('blue.svc');
    mock.timers.tick(5000);
    await settle();
    source.stop();
    assert.deepEqual(recorder.updates, [{ kind: 'reset', endpoints: [] }, { kind: 'does-not-exist' }]);
  });

  test('reports nothing until some host has been resolved once', async () => {
    const resolver = new FakeResolver();
    resolver.v4.set('blue.svc', 'ECONNREFUSED');
    const recorder = new UpdateRecorder();
    const source = makeSource({ blue: 'blue.svc:80' }, resolver);
    source.start(recorder.listener);
    await settle();
    mock.timers.tick(5000);
    await settle();
    source.stop();
    assert.deepEqual(recorder.updates, []);
  });

  test('an IP literal is used without any query', async () => {
    const resolver = new FakeResolver();
    const recorder = new UpdateRecorder();
    const source = makeSource({ untagged: '127.0.0.1:9000', blue: '[::1]:9001' }, resolver);
    source.start(recorder.listener);
    await settle();
    source.stop();
    assert.equal(resolver.lookups, 0);
    assert.deepEqual(recorder.updates, [
      { kind: 'reset', endpoints: [{ address: '127.0.0.1:9000', color: undefined, healthy: true }, { address: '[::1]:9001', color: 'blue', healthy: true }] },
    ]);
  });
});

describe('dns host:port parsing', () => {
  const cases = [
    { key: 'untagged', value: 'base:8080', expected: { color: undefined, host: 'base', port: 8080 } },
    { key: 'Blue', value: 'base-blue', expected: { color: 'blue', host: 'base-blue', port: 80 } },
    { key: 'green', value: '[fd00::1]:9000', expected: { color: 'green', host: 'fd00::1', port: 9000 } },
    { key: 'green', value: 'fd00::1', expected: { color: 'green', host: 'fd00::1', port: 80 } },
    { key: 'UNTAGGED', value: '10.0.0.1:81', expected: { color: undefined, host: '10.0.0.1', port: 81 } },
  ];
  for (const c of cases) {
    test(`${c.key}: ${c.value}`, () => {
      const { color, host, port } = parseTarget(c.key, c.value, 80);
      assert.deepEqual({ color, host, port }, c.expected);
    });
  }
});
