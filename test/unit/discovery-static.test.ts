// The static source against the discovery contract, plus the factory's choice of source.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDiscovery, makeDiscoveryFactory } from '../../src/discovery/factory.js';
import { DnsDiscovery } from '../../src/discovery/dns.js';
import { KubernetesDiscovery } from '../../src/discovery/kubernetes.js';
import { StaticDiscovery } from '../../src/discovery/static.js';
import type { StaticEndpoint } from '../../src/core/types.js';
import { CONTRACT_PORT, runDiscoveryContract, type WorldEndpoint } from '../support/discovery-contract.js';
import { context, serviceRule } from '../support/discovery-fixtures.js';
import { UpdateRecorder } from '../support/discovery-recorder.js';

runDiscoveryContract('static', async () => {
  let world: readonly WorldEndpoint[] = [];
  return {
    live: false,
    expressesHealth: false,
    canFail: false,
    settleMs: 200,
    async setWorld(endpoints) {
      world = endpoints;
    },
    async touch() {},
    createSource() {
      const endpoints: StaticEndpoint[] = world.map((w) =>
        w.color === undefined ? { address: `${w.ip}:${CONTRACT_PORT}` } : { address: `${w.ip}:${CONTRACT_PORT}`, color: w.color },
      );
      return createDiscovery(serviceRule({ kind: 'static', endpoints }), context());
    },
    async breakBackend() {},
    async repairBackend() {},
    async close() {},
  };
});

describe('static discovery', () => {
  test('reports synchronously inside start(), so a service is routable as soon as the rules load', () => {
    const recorder = new UpdateRecorder();
    new StaticDiscovery([{ address: '127.0.0.1:9101', color: ' BLUE ' }, { address: '127.0.0.1:9102', color: '' }]).start(recorder.listener);
    assert.deepEqual(recorder.updates, [
      {
        kind: 'reset',
        endpoints: [
          { address: '127.0.0.1:9101', color: 'blue', healthy: true },
          { address: '127.0.0.1:9102', color: undefined, healthy: true },
        ],
      },
    ]);
  });

  test('a stopped source reports nothing when started', () => {
    const recorder = new UpdateRecorder();
    const source = new StaticDiscovery([{ address: '127.0.0.1:9101' }]);
    source.stop();
    source.start(recorder.listener);
    assert.equal(recorder.updates.length, 0);
  });
});

describe('discovery factory', () => {
  const factory = makeDiscoveryFactory({
    kubernetes: { api: () => Promise.reject(new Error('not used in this test')) },
  });
  const cases = [
    { kind: 'static', discovery: { kind: 'static', endpoints: [] }, type: StaticDiscovery },
    { kind: 'dns', discovery: { kind: 'dns', hosts: { untagged: '127.0.0.1:80' } }, type: DnsDiscovery },
    {
      kind: 'kubernetes',
      discovery: { kind: 'kubernetes', service: 'base-service', namespace: 'default', colorLabel: 'color' },
      type: KubernetesDiscovery,
    },
  ] as const;
  for (const c of cases) {
    test(`chooses the ${c.kind} source for discovery.kind=${c.kind}`, () => {
      const source = factory(serviceRule(c.discovery), context());
      assert.ok(source instanceof c.type, `got ${source.constructor.name}`);
      source.stop();
    });
  }

  test('creating a kubernetes source does not touch the API until it starts', () => {
    let created = 0;
    const lazy = makeDiscoveryFactory({
      kubernetes: {
        api: () => {
          created += 1;
          throw new Error('no cluster');
        },
      },
    });
    lazy(serviceRule({ kind: 'kubernetes', service: 's', namespace: 'n', colorLabel: 'color' }), context()).stop();
    assert.equal(created, 0);
  });
});
