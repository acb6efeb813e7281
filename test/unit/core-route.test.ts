// SPEC 2 routing: the full cross product of request color × available endpoint colors × force, plus explain.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildEndpointSets, decideRoute, routeHeader } from '../../src/core/route.js';
import { explainRoute, formatExplanation } from '../../src/core/explain.js';
import type { Endpoint, Rules, ServiceRule } from '../../src/core/types.js';
import { serviceRule } from '../support/discovery-fixtures.js';

let nextHost = 1;
function endpoint(color: string | undefined, healthy = true): Endpoint {
  const host = `10.0.0.${nextHost++}`;
  return { address: `${host}:8080`, host, port: 8080, color, healthy, active: 0 };
}

function service(overrides: Partial<ServiceRule> = {}): ServiceRule {
  return serviceRule({ kind: 'static', endpoints: [] }, overrides);
}

function rules(services: ServiceRule[], colors?: string[]): Rules {
  return {
    version: 1,
    hash: 'test',
    source: '<test>',
    baggageKey: 'color',
    ...(colors !== undefined ? { colors: new Set(colors) } : {}),
    ingress: { entrypoints: new Set(), acceptClientColor: false, rules: [] },
    outboundPolicy: 'allow',
    services: new Map(services.map((s) => [s.name, s])),
  };
}

/** SPEC 2 restated over plain arrays, independently of the implementation's maps. */
function expectedRoute(svc: ServiceRule, endpoints: Endpoint[], c: string | undefined): { via: string; addresses: string[] } | 'no_endpoint' {
  const live = endpoints.filter((e) => e.healthy);
  const addresses = (list: Endpoint[]) => list.map((e) => e.address).sort();
  if (c !== undefined) {
    const same = live.filter((e) => e.color === c);
    if (same.length > 0) return { via: 'exact', addresses: addresses(same) };
    if (svc.force) return 'no_endpoint';
  }
  const untagged = live.filter((e) => e.color === undefined);
  if (untagged.length > 0) return { via: 'untagged', addresses: addresses(untagged) };
  if (svc.defaultColor !== undefined) {
    const fallback = live.filter((e) => e.color === svc.defaultColor);
    if (fallback.length > 0) return { via: 'default', addresses: addresses(fallback) };
  }
  return 'no_endpoint';
}

describe('decideRoute: full cross product of SPEC 2', () => {
  const bools = [false, true];
  for (const color of [undefined, 'blue', 'green']) {
    for (const sameExists of bools) {
      for (const untaggedExists of bools) {
        for (const defaultExists of bools) {
          for (const defaultColor of [undefined, 'green']) {
            for (const force of bools) {
              const name = `color=${color ?? '-'} same=${sameExists} untagged=${untaggedExists} default(${defaultColor ?? 'none'})=${defaultExists} force=${force}`;
              test(name, () => {
                // Unhealthy endpoints of every kind are always present and must never be chosen.
                const endpoints = [endpoint('blue', false), endpoint('green', false), endpoint(undefined, false), endpoint('red')];
                if (sameExists && color !== undefined) endpoints.push(endpoint(color), endpoint(color));
                if (untaggedExists) endpoints.push(endpoint(undefined));
                if (defaultExists) endpoints.push(endpoint('green'));
                const svc = service({ force, ...(defaultColor !== undefined ? { defaultColor } : {}) });
                const decision = decideRoute(svc, buildEndpointSets(endpoints), color);
                const expected = expectedRoute(svc, endpoints, color);
                if (expected === 'no_endpoint') {
                  assert.deepEqual(decision, { ok: false, error: 'no_endpoint' });
                } else {
                  assert.ok(decision.ok, `expected via ${expected.via}`);
                  assert.equal(decision.via, expected.via);
                  assert.deepEqual(decision.set.endpoints.map((e) => e.address).sort(), expected.addresses);
                  assert.ok(decision.set.endpoints.every((e) => e.healthy));
                }
              });
            }
          }
        }
      }
    }
  }
});

describe('buildEndpointSets and decideRoute details', () => {
  test('groups healthy endpoints by color, keeps every endpoint in all', () => {
    const list = [endpoint('blue'), endpoint('blue', false), endpoint(undefined), endpoint('green', false)];
    const sets = buildEndpointSets(list);
    assert.deepEqual([...sets.byColor.keys()], ['blue']);
    assert.equal(sets.byColor.get('blue')?.endpoints.length, 1);
    assert.equal(sets.untagged.endpoints.length, 1);
    assert.equal(sets.all.length, 4);
  });

  test('a successful decision is the same object every time (no allocation per request)', () => {
    const sets = buildEndpointSets([endpoint('blue'), endpoint(undefined)]);
    const svc = service();
    assert.equal(decideRoute(svc, sets, 'blue'), decideRoute(svc, sets, 'blue'));
    assert.equal(decideRoute(svc, sets, undefined), decideRoute(svc, sets, 'purple'));
    // Hand-made sets (not from buildEndpointSets) work too.
    const handMade = { byColor: new Map(), untagged: { endpoints: [endpoint(undefined)], cursor: 0 }, all: [] };
    assert.equal(decideRoute(svc, handMade, undefined), decideRoute(svc, handMade, undefined));
  });

  test('color equal to defaultColor without endpoints and no untagged: no_endpoint', () => {
    const svc = service({ defaultColor: 'green' });
    assert.deepEqual(decideRoute(svc, buildEndpointSets([endpoint('blue')]), 'green'), { ok: false, error: 'no_endpoint' });
  });

  test('routeHeader format', () => {
    assert.equal(routeHeader('base-service', 'blue', 'exact'), 'base-service;color=blue;via=exact');
    assert.equal(routeHeader('base-service', undefined, 'untagged'), 'base-service;color=-;via=untagged');
    assert.equal(routeHeader('order', 'green', 'default'), 'order;color=green;via=default');
  });
});

describe('explainRoute', () => {
  const svc = service({ defaultColor: 'green' });
  const theRules = rules([svc], ['blue', 'green']);
  const endpoints = [endpoint('blue', false), endpoint(undefined), endpoint(undefined), endpoint('green')];
  const sets = buildEndpointSets(endpoints);

  test('agrees with decideRoute for every color and reads as a walk through SPEC 2', () => {
    for (const color of [undefined, 'blue', 'green']) {
      const e = explainRoute(theRules, 'base-service', color, sets);
      const decision = decideRoute(svc, sets, color);
      assert.deepEqual(e.decision, decision.ok ? { ok: true, via: decision.via } : { ok: false, error: 'no_endpoint' });
      assert.ok(e.reasons.length >= 2);
      assert.equal(e.endpoints.length, 4);
    }
    const fallback = explainRoute(theRules, 'base-service', 'blue', sets);
    assert.deepEqual(fallback.decision, { ok: true, via: 'untagged' });
    assert.ok(fallback.reasons.some((r) => /no healthy endpoint of color blue; force is false/.test(r)), fallback.reasons.join('\n'));
    assert.ok(fallback.reasons.some((r) => /keeps color blue/.test(r)));
    assert.equal(fallback.candidates.length, 2);
    assert.equal(fallback.routeHeader, 'base-service;color=blue;via=untagged');
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(fallback)));
  });

  test('force: explains the 503', () => {
    const forced = rules([service({ force: true })]);
    const e = explainRoute(forced, 'base-service', 'blue', sets);
    assert.deepEqual(e.decision, { ok: false, error: 'no_endpoint' });
    assert.ok(e.reasons.some((r) => /force is true/.test(r)));
    assert.deepEqual(e.candidates, []);
  });

  test('invalid and not-allowed colors count as none, with the reason', () => {
    const invalid = explainRoute(theRules, 'base-service', 'Not Valid', sets);
    assert.equal(invalid.color, null);
    assert.match(invalid.colorProblem ?? '', /not a valid color/);
    const notAllowed = explainRoute(theRules, 'base-service', 'red', sets);
    assert.match(notAllowed.colorProblem ?? '', /allow-list/);
    assert.deepEqual(notAllowed.decision, { ok: true, via: 'untagged' });
  });

  test('unknown service and undiscovered endpoints', () => {
    const unknown = explainRoute(theRules, 'nope', 'blue', undefined);
    assert.equal(unknown.serviceFound, false);
    assert.deepEqual(unknown.decision, { ok: false, error: 'unknown_service' });
    assert.match(unknown.reasons.join('\n'), /known services: base-service/);
    const empty = explainRoute(theRules, 'base-service', 'blue', undefined);
    assert.deepEqual(empty.decision, { ok: false, error: 'no_endpoint' });
    assert.match(empty.reasons.at(-1) ?? '', /503 no_endpoint/);
  });

  test('formatExplanation prints the decision, candidates and numbered reasons', () => {
    const text = formatExplanation(explainRoute(theRules, 'base-service', 'green', sets));
    assert.match(text, /decision: route via exact/);
    assert.match(text, /x-colormesh-route: base-service;color=green;via=exact/);
    assert.match(text, /candidates:\n {2}10\.0\.0\.\d+:8080 {2}green/);
    assert.match(text, /why:\n {2}1\. /);
  });
});
