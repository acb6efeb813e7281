// The dns source against a real DNS server (dnsmasq on loopback): the discovery contract, then DNS specifics.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeDiscoveryFactory } from '../../src/discovery/factory.js';
import type { DnsDiscoveryOptions, DnsResolver } from '../../src/discovery/dns.js';
import { Resolver } from 'node:dns/promises';
import { CONTRACT_PORT, runDiscoveryContract, type WorldEndpoint } from '../support/discovery-contract.js';
import { DNSMASQ_SKIP, Dnsmasq } from '../support/discovery-dnsmasq.js';
import { RecordingLogger, context, serviceRule } from '../support/discovery-fixtures.js';
import { UpdateRecorder, normalize } from '../support/discovery-recorder.js';

if (DNSMASQ_SKIP) console.log(`# SKIP dns discovery integration tests: ${DNSMASQ_SKIP}`);

/** Fast refresh for tests; dnsmasq serves TTL 0, which the source clamps up to minRefreshMs. */
function dnsOptions(server: Dnsmasq): DnsDiscoveryOptions {
  return { servers: [server.server], refreshMs: 150, minRefreshMs: 100, maxRefreshMs: 300, queryTimeoutMs: 200 };
}

/** One hostname per contract color, all on the contract port. */
const CONTRACT_HOSTS = {
  untagged: `plain.mesh.test:${CONTRACT_PORT}`,
  blue: `blue.mesh.test:${CONTRACT_PORT}`,
  green: `green.mesh.test:${CONTRACT_PORT}`,
  Canary: `canary.mesh.test:${CONTRACT_PORT}`,
};

function recordsFor(world: readonly WorldEndpoint[]): Map<string, string[]> {
  const records = new Map<string, string[]>();
  for (const e of world) {
    const host = e.color === undefined ? 'plain' : e.color.toLowerCase();
    records.set(host, [...(records.get(host) ?? []), e.ip]);
  }
  return records;
}

runDiscoveryContract(
  'dns (dnsmasq on loopback)',
  async () => {
    const server = await Dnsmasq.start();
    let queries = 0;
    const createResolver = (): DnsResolver => {
      const resolver = new Resolver({ timeout: 200, tries: 1 });
      resolver.setServers([server.server]);
      return {
        resolve4: (host, options) => (queries++, resolver.resolve4(host, options)),
        resolve6: (host, options) => (queries++, resolver.resolve6(host, options)),
        cancel: () => resolver.cancel(),
      };
    };
    const factory = makeDiscoveryFactory({ dns: { ...dnsOptions(server), createResolver } });
    let world: readonly WorldEndpoint[] = [];
    return {
      live: true,
      expressesHealth: false,
      canFail: true,
      settleMs: 1500,
      async setWorld(endpoints) {
        world = endpoints;
        await server.setRecords(recordsFor(world));
      },
      async touch() {
        await server.setRecords(recordsFor(world)); // a reload with the same records
      },
      createSource: () => factory(serviceRule({ kind: 'dns', hosts: CONTRACT_HOSTS }), context()),
      breakBackend: () => server.kill(),
      activity: () => queries,
      repairBackend: () => server.launch(),
      close: () => server.close(),
    };
  },
  { skip: DNSMASQ_SKIP },
);

describe('dns discovery against dnsmasq', { skip: DNSMASQ_SKIP }, () => {
  let server: Dnsmasq;
  before(async () => {
    server = await Dnsmasq.start();
  });
  after(async () => {
    await server?.close();
  });

  test('A and AAAA records both become endpoints; IPv6 ones are bracketed', async () => {
    await server.setRecords(new Map([['dual', ['127.0.3.1', 'fd00::31']]]));
    const source = makeDiscoveryFactory({ dns: dnsOptions(server) })(
      serviceRule({ kind: 'dns', hosts: { blue: 'dual.mesh.test:9000' } }),
      context(),
    );
    const recorder = new UpdateRecorder();
    source.start(recorder.listener);
    const first = await recorder.next(1500);
    source.stop();
    assert.equal(first.kind, 'reset');
    assert.deepEqual(normalize(first.kind === 'reset' ? first.endpoints : []), [
      { address: '127.0.3.1:9000', color: 'blue', healthy: true },
      { address: '[fd00::31]:9000', color: 'blue', healthy: true },
    ]);
  });

  test('a retired color (its name now NXDOMAIN) drops to zero endpoints while the others stay', async () => {
    await server.setRecords(new Map([['live', ['127.0.4.1']], ['old', ['127.0.4.2']]]));
    const logger = new RecordingLogger();
    const source = makeDiscoveryFactory({ dns: dnsOptions(server) })(
      serviceRule({ kind: 'dns', hosts: { green: 'live.mesh.test:80', blue: 'old.mesh.test:80' } }),
      context(logger),
    );
    const recorder = new UpdateRecorder();
    source.start(recorder.listener);
    await recorder.next(1500);
    await server.setRecords(new Map([['live', ['127.0.4.1']]]));
    const next = await recorder.next(1500);
    source.stop();
    assert.deepEqual(next, { kind: 'reset', endpoints: [{ address: '127.0.4.1:80', color: 'green', healthy: true }] });
    assert.deepEqual(logger.warnings(), [], 'NXDOMAIN is an answer, not a failure');
  });

  test('a DNS outage is logged once per host, not on every refresh', async () => {
    await server.setRecords(new Map([['steady', ['127.0.5.1']]]));
    const logger = new RecordingLogger();
    const source = makeDiscoveryFactory({ dns: dnsOptions(server) })(
      serviceRule({ kind: 'dns', hosts: { untagged: 'steady.mesh.test:80' } }),
      context(logger),
    );
    const recorder = new UpdateRecorder();
    source.start(recorder.listener);
    await recorder.next(1500);
    await server.kill();
    await new Promise((resolve) => setTimeout(resolve, 1200)); // several refresh rounds
    await server.launch();
    await new Promise((resolve) => setTimeout(resolve, 600));
    source.stop();
    assert.equal(recorder.updates.length, 1, 'the list is kept through the outage');
    assert.equal(logger.warnings().length, 1, JSON.stringify(logger.lines));
    assert.ok(logger.lines.some((l) => l.level === 'info' && l.msg.includes('recovered')));
  });
});
