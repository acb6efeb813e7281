// The resolv.conf search list for the dns source: short names in a pod must find their cluster names.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { candidateNames, parseResolvConf } from '../../src/discovery/dns-search.js';
import { DnsDiscovery, type DnsResolver } from '../../src/discovery/dns.js';
import type { DiscoveryUpdate } from '../../src/discovery/source.js';

const POD_RESOLV_CONF = `# written by the kubelet
search shop.svc.cluster.local svc.cluster.local cluster.local
nameserver 10.96.0.10
options ndots:5
`;

describe('dns search list', () => {
  test('resolv.conf: search domains and ndots, comments ignored, defaults without them', () => {
    assert.deepEqual(parseResolvConf(POD_RESOLV_CONF), { domains: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], ndots: 5 });
    assert.deepEqual(parseResolvConf('nameserver 1.1.1.1\n'), { domains: [], ndots: 1 });
    assert.deepEqual(parseResolvConf('domain example.org.\n'), { domains: ['example.org'], ndots: 1 });
  });

  test('candidates follow the C resolver: short names with the search domains first, absolute names as they are', () => {
    const search = parseResolvConf(POD_RESOLV_CONF);
    assert.deepEqual(candidateNames('base-blue', search), [
      'base-blue.shop.svc.cluster.local', 'base-blue.svc.cluster.local', 'base-blue.cluster.local', 'base-blue',
    ]);
    assert.deepEqual(candidateNames('base.other.svc.cluster.local.', search), ['base.other.svc.cluster.local']);
    assert.deepEqual(candidateNames('a.b.c.d.e.f', search).slice(0, 1), ['a.b.c.d.e.f'], '5 dots or more: as is first');
  });

  test('a short name in the dns rules resolves through the search list (the SPEC 5 example, in a pod)', async () => {
    const asked: string[] = [];
    const resolver: DnsResolver = {
      resolve4: async (name) => {
        asked.push(name);
        if (name === 'base-blue.shop.svc.cluster.local') return [{ address: '10.1.0.7', ttl: 30 }];
        throw Object.assign(new Error('nx'), { code: 'ENOTFOUND' });
      },
      resolve6: async () => {
        throw Object.assign(new Error('nx'), { code: 'ENOTFOUND' });
      },
      cancel: () => undefined,
    };
    const logger = { warn: () => undefined, info: () => undefined };
    const source = new DnsDiscovery('base', { blue: 'base-blue:8080' }, 8080, logger, { createResolver: () => resolver, search: parseResolvConf(POD_RESOLV_CONF) });
    const update = await new Promise<DiscoveryUpdate>((resolve) => source.start(resolve));
    source.stop();
    assert.deepEqual(update, { kind: 'reset', endpoints: [{ address: '10.1.0.7:8080', color: 'blue', healthy: true }] });
    assert.equal(asked[0], 'base-blue.shop.svc.cluster.local');
  });
});
