// The lane map as pure functions: rules + per-second samples → one row per service, one cell per lane.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildLaneMap, NONE, rollbackWeights, SERVED, splitRoles, type RateSample } from '../../src/console/lanes.js';
import { RateWindow, ratesBetween } from '../../src/console/rates.js';
import { rulesView } from '../../src/console/rules-view.js';
import { buildState } from '../../src/console/state.js';
import { rulesHash } from '../../src/console/writes.js';

const RULES = `version: 1
colors: [blue, green, red]
ingress:
  entrypoints: [frontend]
  split:
    weights: { blue: 80, green: 20, red: 0 }   # red: a candidate with no users yet
    stickyBy: { header: x-user-id }
services:
  frontend:
    endpoints: [{ address: "127.0.0.1:9001" }]
  order:
    defaultColor: blue
    endpoints:
      - { address: "127.0.0.1:9002", color: blue }
  base:
    endpoints:
      - { address: "127.0.0.1:9003", color: blue }
      - { address: "127.0.0.1:9004", color: green }
      - { address: "127.0.0.1:9005" }
`;

const req = (direction: string, service: string, color: string, via: string, status_class: string, value: number): RateSample => ({
  name: 'colormesh_requests_total', labels: { direction, service, color, via, status_class }, value,
});
const bucket = (service: string, color: string, le: string, value: number): RateSample => ({
  name: 'colormesh_request_duration_seconds_bucket', labels: { direction: 'inbound', service, color, le }, value,
});
const endpoints = (instance: string, service: string, color: string, health: string, value: number): RateSample => ({
  name: 'colormesh_endpoints', labels: { instance, service, color, health }, value,
});
const served = (service: string, color: string, pod_color: string, value: number): RateSample => ({ name: SERVED, labels: { service, color, pod_color }, value });

describe('rulesView', () => {
  const view = rulesView(RULES, 'rules.yaml');
  test('its hash is the one the console answers writes with (writes.ts rulesHash)', () => assert.equal(view.hash, rulesHash(RULES)));
  test('split weights keep zeros and file order; stickyBy is described', () => {
    assert.deepEqual(view.split, { weights: { blue: 80, green: 20, red: 0 }, stickyBy: 'header x-user-id' });
  });
  test('static endpoints are counted per color, untagged as "-"', () => {
    assert.deepEqual(view.services.map((s) => [s.name, s.configured]), [['frontend', { [NONE]: 1 }], ['order', { blue: 1 }], ['base', { blue: 1, green: 1, [NONE]: 1 }]]);
  });
  test('an invalid rule file throws the loader\'s error', () => {
    assert.throws(() => rulesView('version: 1\nbogus: true\n', 'x.yaml'), /bogus/);
  });
});

describe('splitRoles and rollbackWeights', () => {
  const cases: Array<[Record<string, number>, string | undefined, string[]]> = [
    [{ blue: 80, green: 20 }, 'blue', ['green']],
    [{ blue: 10, green: 90 }, 'green', ['blue']],
    [{ blue: 50, green: 50 }, 'blue', ['green']],
    [{ blue: 60, green: 30, red: 10 }, 'blue', ['green', 'red']],
    [{}, undefined, []],
  ];
  for (const [weights, stable, candidates] of cases) {
    test(`${JSON.stringify(weights)} → stable ${stable}`, () => assert.deepEqual(splitRoles(weights), { stable, candidates }));
  }
  test('a rollback gives the candidate\'s weight to the stable color; others untouched', () => {
    assert.deepEqual(rollbackWeights({ blue: 60, green: 30, red: 10 }, 'green'), { blue: 90, green: 0, red: 10 });
  });
  test('with `to`, the weight goes there even when it is not the largest (a rollout past 50 %)', () => {
    assert.deepEqual(rollbackWeights({ blue: 25, green: 75 }, 'green', 'blue'), { blue: 100, green: 0 });
    assert.throws(() => rollbackWeights({ blue: 25, green: 75 }, 'green', 'green'), /different/);
    assert.throws(() => rollbackWeights({ blue: 25, green: 75 }, 'green', 'red'), /colors of the split/);
  });
  test('the stable color or an unknown one is not a candidate', () => {
    assert.throws(() => rollbackWeights({ blue: 80, green: 20 }, 'blue'), /not a candidate.*stable: blue/);
    assert.throws(() => rollbackWeights({ blue: 80, green: 20 }, 'purple'), /not a candidate/);
  });
});

describe('buildLaneMap', () => {
  const view = rulesView(RULES, 'rules.yaml');
  const samples: RateSample[] = [
    // base: blue 10/s with 1/s 5xx; green 2/s
    req('inbound', 'base', 'blue', 'local', '2xx', 9),
    req('inbound', 'base', 'blue', 'local', '5xx', 1),
    req('inbound', 'base', 'green', 'local', '2xx', 2),
    // order has no green endpoint: callers' sidecars sent green to untagged... and blue stayed exact
    req('inbound', 'order', 'green', 'local', '2xx', 4),
    req('outbound', 'order', 'green', 'default', '2xx', 4),
    req('outbound', 'order', 'blue', 'exact', '2xx', 10),
    // frontend (entry point, untagged pods only): no caller is scraped; the serving pods' colors tell
    req('inbound', 'frontend', 'blue', 'local', '2xx', 10),
    served('frontend', 'blue', NONE, 10),
    served('frontend', 'green', NONE, 3),
    // histogram for base/blue: 99 % under 10 ms, all under 50 ms
    bucket('base', 'blue', '0.005', 5), bucket('base', 'blue', '0.01', 9.9), bucket('base', 'blue', '0.05', 10), bucket('base', 'blue', '+Inf', 10),
    // two sidecars report base's endpoints; b has ejected one of the two blue ones
    endpoints('a', 'base', 'blue', 'healthy', 2), endpoints('b', 'base', 'blue', 'healthy', 1), endpoints('b', 'base', 'blue', 'ejected', 1),
    endpoints('a', 'base', 'green', 'healthy', 1), endpoints('b', 'base', 'green', 'healthy', 1),
    endpoints('a', 'base', NONE, 'unhealthy', 1),
    { name: 'colormesh_no_endpoint_total', labels: { service: 'base', color: 'red' }, value: 2 },
  ];
  const map = buildLaneMap(view, samples);
  const cell = (service: string, lane: string) => {
    const row = map.services.find((s) => s.name === service);
    const c = row?.cells.find((x) => x.color === lane);
    assert.ok(c, `${service}/${lane}`);
    return c;
  };

  test('lanes: split colors in file order, then untagged', () => assert.deepEqual(map.lanes, ['blue', 'green', 'red', NONE]));
  test('rows: every service of the rules, in file order', () => assert.deepEqual(map.services.map((s) => [s.name, s.entrypoint]), [['frontend', true], ['order', false], ['base', false]]));

  const cases: Array<[string, string, (c: ReturnType<typeof cell>) => void]> = [
    ['base', 'blue', (c) => {
      assert.equal(c.rps, 10);
      assert.equal(c.errorRate, 0.1);
      assert.ok(c.p99Ms !== null && c.p99Ms > 9.9 && c.p99Ms <= 10, `p99 ${c.p99Ms}`);
      assert.deepEqual(c.endpoints, { healthy: 1, ejected: 1, unhealthy: 0, configured: 1 }, 'healthy + ejected = the endpoints one sidecar knows');
    }],
    ['base', 'green', (c) => {
      assert.equal(c.rps, 2);
      assert.equal(c.errorRate, 0);
      assert.equal(c.p99Ms, null, 'no histogram, no p99');
      assert.equal(c.endpoints.healthy, 1, 'the most one sidecar reports, not the sum');
    }],
    ['base', NONE, (c) => assert.deepEqual(c.endpoints, { healthy: 0, ejected: 0, unhealthy: 1, configured: 1 })],
    ['base', 'red', (c) => {
      assert.equal(c.noEndpointRps, 2, 'refused by the callers: never reached base');
      assert.equal(c.rps, 0);
      assert.equal(c.errorRate, null);
      assert.deepEqual(c.fallback, []);
    }],
    ['order', 'green', (c) => {
      assert.equal(c.rps, 4);
      assert.deepEqual(c.fallback, [{ via: 'default', to: 'blue', rps: 4 }]);
    }],
    ['order', 'blue', (c) => assert.deepEqual(c.fallback, [], 'exact is not a fallback')],
    ['frontend', 'blue', (c) => assert.deepEqual(c.fallback, [{ via: 'untagged', to: NONE, rps: 10 }])],
    ['frontend', 'green', (c) => assert.deepEqual(c.fallback, [{ via: 'untagged', to: NONE, rps: 3 }])],
    ['frontend', NONE, (c) => {
      assert.equal(c.servedForOthersRps, 13);
      assert.equal(c.endpoints.configured, 1);
    }],
  ];
  for (const [service, lane, check] of cases) test(`${service} × ${lane}`, () => check(cell(service, lane)));

  test('a color seen only in metrics gets its own lane, before untagged', () => {
    const m = buildLaneMap(view, [req('inbound', 'base', 'yellow', 'local', '2xx', 1)]);
    assert.deepEqual(m.lanes, ['blue', 'green', 'red', 'yellow', NONE]);
  });
});

describe('rates', () => {
  const s = (value: number, name = 'colormesh_requests_total') => ({ name, labels: { service: 'a' }, value });
  test('a counter becomes a rate over the time between scrapes; a gauge is kept as it is', () => {
    const rates = ratesBetween({ at: 0, samples: [s(10)] }, { at: 2000, samples: [s(30), s(3, 'colormesh_endpoints')] });
    assert.deepEqual(rates.map((r) => [r.name, r.value]).sort(), [['colormesh_endpoints', 3], ['colormesh_requests_total', 10]]);
  });
  test('a counter that went down was reset: its new value is the increase', () => {
    assert.equal(ratesBetween({ at: 0, samples: [s(100)] }, { at: 1000, samples: [s(5)] })[0]?.value, 5);
  });
  test('the window answers rates against the oldest scrape still inside it', () => {
    const w = new RateWindow(3000);
    for (let t = 0; t <= 10; t++) w.add('x', { at: t * 1000, samples: [s(t * 10)] });
    assert.equal(w.rates(10_000)[0]?.value, 10);
    assert.deepEqual(new RateWindow(3000).rates(0), [], 'nothing scraped yet');
  });
  test('one scrape gives gauges only', () => {
    const w = new RateWindow(3000);
    w.add('x', { at: 0, samples: [s(50), s(2, 'colormesh_endpoints')] });
    assert.deepEqual(w.rates(0).map((r) => r.name), ['colormesh_endpoints']);
  });
});

describe('buildState', () => {
  test('the split with its stable and candidate colors; the rules version and hash', () => {
    const view = rulesView(RULES, 'rules.yaml');
    const state = buildState({
      now: 0, refreshMs: 1000, rulesSource: 'file rules.yaml', rules: view, storeVersion: 'v1', rulesError: undefined,
      metricsSource: 'test', samples: [], targets: [{ url: 'http://x/metrics', ok: false, error: 'ECONNREFUSED' }], rollout: undefined,
    });
    assert.deepEqual(state.split, { weights: { blue: 80, green: 20, red: 0 }, stable: 'blue', candidates: ['green', 'red'], stickyBy: 'header x-user-id' });
    assert.equal(state.rules.version, view.hash, 'the rules version is their hash, as the sidecars report it');
    assert.equal(state.version, view.hash);
    assert.equal(state.rules.storeVersion, 'v1');
    assert.equal(state.rollout, null);
    assert.equal(state.metrics.targets[0]?.error, 'ECONNREFUSED');
  });
  test('without valid rules yet: no lanes, the error shown', () => {
    const state = buildState({
      now: 0, refreshMs: 1000, rulesSource: 'file x', rules: undefined, storeVersion: undefined, rulesError: 'x:1:1: bad',
      metricsSource: 'test', samples: [], targets: [], rollout: undefined,
    });
    assert.deepEqual([state.lanes, state.services, state.split, state.rules.error], [[], [], null, 'x:1:1: bad']);
  });
});

describe('mirroring (SPEC 8)', () => {
  const text = `version: 1
colors: [blue, green]
services:
  base:
    mirror: { color: green, percent: 25 }
    endpoints: [{ address: "127.0.0.1:9001", color: blue }, { address: "127.0.0.1:9002", color: green }]
  other:
    mirror: { color: green }
    endpoints: [{ address: "127.0.0.1:9003" }]
`;
  // `mirror` arrives with the shadow-traffic issue; until the schema has it the rule file is invalid.
  let view: ReturnType<typeof rulesView> | undefined;
  try {
    view = rulesView(text, 'rules.yaml');
  } catch {
    view = undefined;
  }
  test('each service\'s mirror color and percent (default 100) reach its row', { skip: view === undefined ? 'the schema has no services.X.mirror yet' : false }, () => {
    const map = buildLaneMap(view as ReturnType<typeof rulesView>, [
      { name: 'colormesh_mirror_requests_total', labels: { service: 'base', color: 'green', result: 'ok' }, value: 3 },
      { name: 'colormesh_mirror_requests_total', labels: { service: 'base', color: 'green', result: 'error' }, value: 1 },
    ]);
    assert.deepEqual(map.services.map((s) => [s.name, s.mirror]), [['base', { color: 'green', percent: 25 }], ['other', { color: 'green', percent: 100 }]]);
    assert.equal(map.services[0]?.cells.find((c) => c.color === 'green')?.mirroredRps, 4);
  });
});
