// The compiled `Rules` snapshot: defaults filled, values normalized once, split without weight-0 colors, frozen.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseRules, loadRulesFile } from '../../src/config/load.js';
import { RULE_DEFAULTS, ruleFileJsonSchema } from '../../src/config/schema.js';

const MINIMAL = `services:
  base-service:
    endpoints:
      - { address: "127.0.0.1:9101" }
`;

describe('compiled rules', () => {
  test('defaults are filled where the file is silent', () => {
    const rules = parseRules(MINIMAL, 'mini.yaml');
    assert.equal(rules.version, 1);
    assert.equal(rules.baggageKey, 'color');
    assert.equal(rules.outboundPolicy, 'allow');
    assert.equal(rules.colors, undefined);
    assert.equal(rules.ingress.acceptClientColor, false);
    assert.equal(rules.ingress.entrypoints.size, 0);
    assert.deepEqual(rules.ingress.rules, []);
    assert.equal(rules.ingress.split, undefined);
    const service = rules.services.get('base-service');
    assert.ok(service);
    assert.deepEqual(
      { port: service.port, force: service.force, lb: service.loadBalancer, timeout: service.timeoutMs, retries: service.retries },
      { port: 80, force: false, lb: 'round-robin', timeout: 15000, retries: 2 },
    );
    assert.equal(service.defaultColor, undefined);
    assert.deepEqual(service.discovery, { kind: 'static', endpoints: [{ address: '127.0.0.1:9101' }] });
    assert.equal(rules.source, 'mini.yaml');
  });

  test('hash is the first 12 hex characters of the sha256 of the text', () => {
    const rules = parseRules(MINIMAL, 'mini.yaml');
    assert.equal(rules.hash, createHash('sha256').update(MINIMAL).digest('hex').slice(0, 12));
    assert.notEqual(parseRules(MINIMAL + '# edited\n', 'mini.yaml').hash, rules.hash);
  });

  test('colors and header names are lower-cased; cookie and query names keep their case', () => {
    const rules = parseRules(
      `colors: [Blue, GREEN]
ingress:
  rules:
    - match: { header: { name: X-Canary, exact: "Yes" } }
      color: Green
    - match: { cookie: { name: Lane, prefix: G } }
      color: BLUE
    - match: { query: { name: Lane, regex: "^b" } }
      color: blue
  split:
    weights: { Blue: 1 }
    stickyBy: { header: X-User-Id }
services:
  base-service:
    defaultColor: GREEN
    endpoints:
      - { address: "127.0.0.1:9101", color: Blue }
`,
      'case.yaml',
    );
    assert.deepEqual([...(rules.colors ?? [])], ['blue', 'green']);
    const [header, cookie, query] = rules.ingress.rules;
    assert.deepEqual(header, { match: { source: 'header', name: 'x-canary', exact: 'Yes' }, color: 'green' });
    assert.deepEqual(cookie, { match: { source: 'cookie', name: 'Lane', prefix: 'G' }, color: 'blue' });
    assert.ok(query?.match.regex instanceof RegExp);
    assert.equal(query.match.regex.test('blue'), true);
    assert.equal(query.match.regex.test('green'), false);
    assert.deepEqual(rules.ingress.split?.stickyBy, { source: 'header', name: 'x-user-id' });
    const service = rules.services.get('base-service');
    assert.equal(service?.defaultColor, 'green');
    assert.deepEqual(service?.discovery, { kind: 'static', endpoints: [{ address: '127.0.0.1:9101', color: 'blue' }] });
  });

  test('the split keeps only colors with weight > 0, in file order, with weights aligned', () => {
    const rules = parseRules(`ingress:\n  split:\n    weights: { green: 0, blue: 80, red: 0, yellow: 20.5 }\n    stickyBy: { cookie: uid }\n`, 's.yaml');
    assert.deepEqual(rules.ingress.split, {
      colors: ['blue', 'yellow'],
      weights: [80, 20.5],
      total: 100.5,
      stickyBy: { source: 'cookie', name: 'uid' },
    });
  });

  test('dns and kubernetes discovery: color keys normalized, kubernetes defaults filled', () => {
    const rules = parseRules(
      `services:
  a:
    dns: { Untagged: "a:8080", Blue: a-blue }
  b:
    kubernetes: {}
  c:
    kubernetes: { service: other, namespace: shop, colorLabel: example.com/lane }
`,
      'd.yaml',
    );
    assert.deepEqual(rules.services.get('a')?.discovery, { kind: 'dns', hosts: { untagged: 'a:8080', blue: 'a-blue' } });
    assert.deepEqual(rules.services.get('b')?.discovery, { kind: 'kubernetes', service: 'b', namespace: 'default', colorLabel: 'color' });
    assert.deepEqual(rules.services.get('c')?.discovery, { kind: 'kubernetes', service: 'other', namespace: 'shop', colorLabel: 'example.com/lane' });
  });

  test('the snapshot is frozen all the way down', () => {
    const rules = parseRules(
      `ingress:\n  entrypoints: [frontend]\n  rules:\n    - match: { header: { name: x-a, exact: "1" } }\n      color: blue\n  split:\n    weights: { blue: 1 }\n` +
        MINIMAL,
      'f.yaml',
    );
    assert.ok(Object.isFrozen(rules));
    assert.ok(Object.isFrozen(rules.ingress));
    assert.ok(Object.isFrozen(rules.ingress.rules));
    assert.ok(Object.isFrozen(rules.ingress.rules[0]?.match));
    assert.ok(Object.isFrozen(rules.ingress.split?.weights));
    const service = rules.services.get('base-service');
    assert.ok(Object.isFrozen(service));
    assert.ok(service?.discovery.kind === 'static' && Object.isFrozen(service.discovery.endpoints[0]));
    assert.throws(() => {
      (rules as { baggageKey: string }).baggageKey = 'x';
    }, TypeError);
    assert.throws(() => {
      (service as { force: boolean }).force = true;
    }, TypeError);
  });

  test('examples/rules.yaml is valid and uses every key of the schema', () => {
    const rules = loadRulesFile('examples/rules.yaml');
    assert.equal(rules.services.size, 3);
    const text = readFileSync('examples/rules.yaml', 'utf8');
    const keys = new Set<string>();
    const collect = (schema: unknown): void => {
      if (typeof schema !== 'object' || schema === null) return;
      const { properties, ...rest } = schema as { properties?: Record<string, unknown> };
      for (const [key, child] of Object.entries(properties ?? {})) {
        keys.add(key);
        collect(child);
      }
      for (const child of Object.values(rest)) collect(child);
    };
    collect(ruleFileJsonSchema);
    for (const key of keys) assert.match(text, new RegExp(`\\b${key}:`), `examples/rules.yaml does not use "${key}"`);
    assert.equal(RULE_DEFAULTS.timeoutMs, 15000);
  });
});
