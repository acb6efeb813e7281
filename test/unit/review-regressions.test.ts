// Regression tests named after the bugs a code review found; each failed before its fix.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRules, ConfigError } from '../../src/config/load.js';
import { findService, parseAuthority } from '../../src/core/host.js';
import { colorIngress } from '../../src/core/ingress.js';
import { EndpointRegistry } from '../../src/discovery/registry.js';
import type { DiscoveryFactory } from '../../src/discovery/source.js';

const quiet = { warn: () => undefined, info: () => undefined };

describe('review regressions', () => {
  test('a header rule named like an Object.prototype member reads headers, not the prototype', () => {
    const rules = parseRules('ingress:\n  entrypoints: [web]\n  rules:\n    - match: { header: { name: constructor, prefix: x } }\n      color: blue\nservices: {}\n', 't.yaml');
    assert.deepEqual(colorIngress(rules, { headers: {}, url: '/' }, undefined, () => 0.5), { color: undefined, source: 'none' });
    assert.equal(colorIngress(rules, { headers: { constructor: 'xyz' } as never, url: '/' }, undefined, () => 0.5).color, 'blue');
  });

  test('a service named like a public domain does not capture it once the pod namespace is known', () => {
    const rules = parseRules('services:\n  github:\n    endpoints:\n      - { address: "127.0.0.1:9000" }\n', 't.yaml');
    const at = (host: string) => parseAuthority(host)!;
    assert.equal(findService(rules, at('github.com'), 'shop'), undefined);
    assert.equal(findService(rules, at('github.shop'), 'shop')?.name, 'github');
    assert.equal(findService(rules, at('github.other.svc.cluster.local'), 'shop')?.name, 'github', '.svc forms cannot be outside hosts');
    assert.equal(findService(rules, at('github.com'))?.name, 'github', 'without a known namespace SPEC 1 allows any label');
  });

  test('timeoutMs beyond what a Node timer can hold is rejected (it would fire at once)', () => {
    assert.throws(() => parseRules('services:\n  s:\n    timeoutMs: 3000000000\n    endpoints:\n      - { address: "127.0.0.1:9000" }\n', 't.yaml'), ConfigError);
  });

  test('changing a service port restarts its discovery source (the source reads the port)', () => {
    const started: number[] = [];
    const factory: DiscoveryFactory = (service) => ({
      start: (onUpdate) => {
        started.push(service.port);
        onUpdate({ kind: 'reset', endpoints: [{ address: `10.0.0.1:${service.port}` }] });
      },
      stop: () => undefined,
    });
    const registry = new EndpointRegistry(factory, { logger: quiet });
    const yaml = (port: number) => `services:\n  s:\n    port: ${port}\n    dns: { untagged: "base" }\n`;
    registry.sync(parseRules(yaml(8080), 't.yaml'));
    registry.sync(parseRules(yaml(9090), 't.yaml'));
    assert.deepEqual(started, [8080, 9090]);
    assert.equal(registry.sets('s').all[0]?.address, '10.0.0.1:9090');
    registry.stop();
  });

  test('an endpoint with an invalid color counts as untagged, and says so', () => {
    const warnings: string[] = [];
    const factory: DiscoveryFactory = () => ({
      start: (onUpdate) => onUpdate({ kind: 'reset', endpoints: [{ address: '10.0.0.1:80', color: 'Canary_1' }, { address: '10.0.0.2:80', color: 'Blue' }] }),
      stop: () => undefined,
    });
    const registry = new EndpointRegistry(factory, { logger: { warn: (_o, msg) => warnings.push(msg), info: () => undefined } });
    registry.sync(parseRules('services:\n  s:\n    endpoints:\n      - { address: "127.0.0.1:1" }\n', 't.yaml'));
    const sets = registry.sets('s');
    assert.deepEqual(sets.untagged.endpoints.map((e) => e.address), ['10.0.0.1:80']);
    assert.deepEqual(sets.byColor.get('blue')?.endpoints.map((e) => e.address), ['10.0.0.2:80']);
    assert.equal(warnings.length, 1);
    registry.stop();
  });
});
