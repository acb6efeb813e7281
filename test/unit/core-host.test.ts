// Authority parsing and service lookup by host (SPEC 1): FQDN forms, ports, namespaces, IPv6.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findService, parseAuthority, type Authority } from '../../src/core/host.js';
import type { Rules, ServiceRule } from '../../src/core/types.js';

describe('parseAuthority', () => {
  const cases: Array<[value: string | undefined, expected: Authority | undefined]> = [
    ['base-service', { host: 'base-service', port: undefined }],
    ['base-service:8080', { host: 'base-service', port: 8080 }],
    ['Base-Service.Default.SVC:80', { host: 'base-service.default.svc', port: 80 }],
    ['base.default.svc.cluster.local.', { host: 'base.default.svc.cluster.local', port: undefined }],
    ['127.0.0.1:15001', { host: '127.0.0.1', port: 15001 }],
    ['[::1]:8080', { host: '::1', port: 8080 }],
    ['[::1]', { host: '::1', port: undefined }],
    ['[2001:DB8::1]:443', { host: '2001:db8::1', port: 443 }],
    ['[::ffff:127.0.0.1]:80', { host: '::ffff:127.0.0.1', port: 80 }],
    ['host:', { host: 'host', port: undefined }],
    ['host:0', { host: 'host', port: 0 }],
    ['host:65535', { host: 'host', port: 65535 }],
    ['host:65536', undefined],
    ['host:80a', undefined],
    ['host:-1', undefined],
    ['::1', undefined],
    ['[::1', undefined],
    ['[::1]x', undefined],
    ['[zz::1]:80', undefined],
    ['host name', undefined],
    ['user@host', undefined],
    ['host/path', undefined],
    ['', undefined],
    [undefined, undefined],
  ];
  for (const [value, expected] of cases) {
    test(JSON.stringify(value), () => assert.deepEqual(parseAuthority(value), expected));
  }
});

function service(name: string, port: number, namespace?: string): ServiceRule {
  return {
    name,
    port,
    force: false,
    loadBalancer: 'round-robin',
    timeoutMs: 15000,
    retries: 2,
    discovery: namespace === undefined ? { kind: 'static', endpoints: [] } : { kind: 'kubernetes', service: name, namespace, colorLabel: 'color' },
  };
}

const rules: Rules = {
  version: 1,
  hash: 'test',
  source: '<test>',
  baggageKey: 'color',
  ingress: { entrypoints: new Set(), acceptClientColor: false, rules: [] },
  outboundPolicy: 'allow',
  services: new Map(
    [service('base-service', 8080), service('order', 80, 'shop'), service('api.example.com', 443)].map((s) => [s.name, s] as const),
  ),
};

describe('findService', () => {
  const cases: Array<[authority: string, expected: string | undefined, why: string]> = [
    ['base-service', 'base-service', 'bare name, no port'],
    ['base-service:8080', 'base-service', 'bare name, its port'],
    ['base-service:9090', undefined, 'another port'],
    ['base-service.default', 'base-service', 'name.ns'],
    ['base-service.anything:8080', 'base-service', 'static discovery: any namespace'],
    ['base-service.default.svc', 'base-service', 'name.ns.svc'],
    ['base-service.default.svc.cluster.local:8080', 'base-service', 'full FQDN with port'],
    ['BASE-SERVICE.Default.Svc.Cluster.Local.', 'base-service', 'case and trailing dot'],
    ['base-service.default.svc.cluster', undefined, 'truncated suffix'],
    ['base-service.default.svc.other.local', undefined, 'wrong suffix'],
    ['base-service.a.b', undefined, 'two namespace labels'],
    ['base-service..svc', undefined, 'empty namespace'],
    ['base-service.', 'base-service', 'trailing dot only'],
    ['base-servicex', undefined, 'longer name'],
    ['order.shop', 'order', 'kubernetes service in its namespace'],
    ['order.shop.svc.cluster.local:80', 'order', 'kubernetes FQDN'],
    ['order.default', undefined, 'kubernetes service, wrong namespace'],
    ['order.sho', undefined, 'kubernetes service, namespace prefix only'],
    ['order.shopping', undefined, 'kubernetes service, longer namespace'],
    ['order', 'order', 'kubernetes bare name'],
    ['api.example.com', 'api.example.com', 'a dotted name matches whole'],
    ['api.example.com:443', 'api.example.com', 'a dotted name with its port'],
    ['api.example.com:80', undefined, 'a dotted name, wrong port'],
    ['127.0.0.1:8080', undefined, 'an address'],
    ['[::1]:8080', undefined, 'an IPv6 address'],
  ];
  for (const [value, expected, why] of cases) {
    test(`${value} → ${expected ?? 'none'} (${why})`, () => {
      const authority = parseAuthority(value);
      assert.ok(authority !== undefined, `parse ${value}`);
      assert.equal(findService(rules, authority)?.name, expected);
    });
  }
});
