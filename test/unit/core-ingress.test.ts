// Ingress coloring (SPEC 4): client color, rules, and the weighted split checked with chi-square tests.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { colorIngress, pickWeighted } from '../../src/core/ingress.js';
import type { IngressRule, Rules, Split } from '../../src/core/types.js';
import { mulberry32 } from '../support/seeded-random.js';

function split(weights: Record<string, number>, stickyBy?: Split['stickyBy']): Split {
  const entries = Object.entries(weights).filter(([, w]) => w > 0);
  const colors = entries.map(([c]) => c);
  const ws = entries.map(([, w]) => w);
  return { colors, weights: ws, total: ws.reduce((a, b) => a + b, 0), ...(stickyBy ? { stickyBy } : {}) };
}

function rules(opts: { rules?: IngressRule[]; split?: Split; acceptClientColor?: boolean; colors?: string[] } = {}): Rules {
  return {
    version: 1,
    hash: 'test',
    source: '<test>',
    baggageKey: 'color',
    ...(opts.colors ? { colors: new Set(opts.colors) } : {}),
    ingress: {
      entrypoints: new Set(['frontend']),
      acceptClientColor: opts.acceptClientColor ?? false,
      rules: opts.rules ?? [],
      ...(opts.split ? { split: opts.split } : {}),
    },
    outboundPolicy: 'allow',
    services: new Map(),
  };
}

const never = (): number => {
  throw new Error('random must not be used here');
};

function request(headers: IncomingHttpHeaders = {}, url = '/'): { headers: IncomingHttpHeaders; url: string } {
  return { headers, url };
}

// Upper critical values of the chi-square distribution at p = 0.001 (standard tables, e.g. NIST/SEMATECH
// e-Handbook 1.3.6.7.4), by degrees of freedom.
const CHI_SQUARE_CRITICAL_P001: Record<number, number> = { 1: 10.828, 2: 13.816, 3: 16.266, 4: 18.467 };

/** Pearson's statistic of observed counts against the counts the weights predict. */
function chiSquare(observed: Map<string, number>, s: Split, draws: number): number {
  let statistic = 0;
  s.colors.forEach((color, i) => {
    const expected = (draws * (s.weights[i] as number)) / s.total;
    const diff = (observed.get(color) ?? 0) - expected;
    statistic += (diff * diff) / expected;
  });
  return statistic;
}

function tally(draw: (i: number) => string | undefined, draws: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < draws; i++) {
    const color = draw(i) ?? '(none)';
    counts.set(color, (counts.get(color) ?? 0) + 1);
  }
  return counts;
}

function assertFitsWeights(counts: Map<string, number>, s: Split, draws: number): void {
  for (const color of counts.keys()) assert.ok(s.colors.includes(color), `unexpected color ${color}`);
  const statistic = chiSquare(counts, s, draws);
  const critical = CHI_SQUARE_CRITICAL_P001[s.colors.length - 1] as number;
  assert.ok(statistic < critical, `chi-square ${statistic.toFixed(2)} ≥ ${critical} for ${JSON.stringify([...counts])}`);
}

describe('client color', () => {
  test('kept only when acceptClientColor is true and the color is allowed', () => {
    const cases: Array<[accept: boolean, colors: string[] | undefined, client: string | undefined, expected: string | undefined]> = [
      [true, undefined, 'green', 'green'],
      [true, ['blue', 'green'], 'green', 'green'],
      [true, ['blue'], 'green', undefined],
      [false, undefined, 'green', undefined],
      [true, undefined, undefined, undefined],
    ];
    for (const [accept, colors, client, expected] of cases) {
      const result = colorIngress(rules({ acceptClientColor: accept, ...(colors ? { colors } : {}) }), request(), client, never);
      assert.deepEqual(result, expected === undefined ? { color: undefined, source: 'none' } : { color: expected, source: 'client' });
    }
  });

  test('a refused client color falls through to the rules', () => {
    const r = rules({ acceptClientColor: false, rules: [{ match: { source: 'header', name: 'x-canary', exact: '1' }, color: 'green' }] });
    assert.deepEqual(colorIngress(r, request({ 'x-canary': '1' }), 'blue', never), { color: 'green', source: 'rule' });
  });
});

describe('ingress rules', () => {
  const table: Array<{ name: string; rule: IngressRule['match']; headers?: IncomingHttpHeaders; url?: string; hit: boolean }> = [
    { name: 'header exact hit', rule: { source: 'header', name: 'x-canary', exact: 'true' }, headers: { 'x-canary': 'true' }, hit: true },
    { name: 'header exact miss', rule: { source: 'header', name: 'x-canary', exact: 'true' }, headers: { 'x-canary': 'truex' }, hit: false },
    { name: 'header absent', rule: { source: 'header', name: 'x-canary', exact: 'true' }, headers: {}, hit: false },
    { name: 'header prefix', rule: { source: 'header', name: 'x-user', prefix: 'qa-' }, headers: { 'x-user': 'qa-17' }, hit: true },
    { name: 'header regex', rule: { source: 'header', name: 'x-user', regex: /^\d+$/ }, headers: { 'x-user': '1234' }, hit: true },
    { name: 'header array: first value', rule: { source: 'header', name: 'x-a', exact: 'y' }, headers: { 'x-a': ['y', 'z'] }, hit: true },
    { name: 'cookie exact', rule: { source: 'cookie', name: 'lane', exact: 'green' }, headers: { cookie: 'a=1; lane=green; b=2' }, hit: true },
    { name: 'cookie quoted', rule: { source: 'cookie', name: 'lane', exact: 'green' }, headers: { cookie: 'lane="green"' }, hit: true },
    { name: 'cookie name is exact', rule: { source: 'cookie', name: 'lane', exact: 'green' }, headers: { cookie: 'xlane=green' }, hit: false },
    { name: 'cookie prefix', rule: { source: 'cookie', name: 'lane', prefix: 'gr' }, headers: { cookie: 'lane=green' }, hit: true },
    { name: 'cookie regex', rule: { source: 'cookie', name: 'lane', regex: /^g/ }, headers: { cookie: 'lane=blue' }, hit: false },
    { name: 'query exact', rule: { source: 'query', name: 'lane', exact: 'green' }, url: '/x?a=1&lane=green', hit: true },
    { name: 'query decoded', rule: { source: 'query', name: 'q', exact: 'a b' }, url: '/x?q=a%20b', hit: true },
    { name: 'query prefix, absolute-form url', rule: { source: 'query', name: 'v', prefix: '2' }, url: 'http://h/x?v=2.1#frag', hit: true },
    { name: 'query regex miss', rule: { source: 'query', name: 'v', regex: /^3/ }, url: '/x?v=2', hit: false },
    { name: 'query absent', rule: { source: 'query', name: 'v', exact: '' }, url: '/x', hit: false },
  ];
  for (const c of table) {
    test(c.name, () => {
      const r = rules({ rules: [{ match: c.rule, color: 'green' }] });
      const result = colorIngress(r, request(c.headers ?? {}, c.url ?? '/'), undefined, () => 0);
      assert.deepEqual(result, c.hit ? { color: 'green', source: 'rule' } : { color: undefined, source: 'none' });
    });
  }

  test('the first matching rule wins, and rules come before the split', () => {
    const r = rules({
      rules: [
        { match: { source: 'header', name: 'x-a', exact: '1' }, color: 'blue' },
        { match: { source: 'header', name: 'x-b', exact: '1' }, color: 'green' },
      ],
      split: split({ red: 1 }),
    });
    assert.equal(colorIngress(r, request({ 'x-a': '1', 'x-b': '1' }), undefined, never).color, 'blue');
    assert.equal(colorIngress(r, request({ 'x-b': '1' }), undefined, never).color, 'green');
    assert.deepEqual(colorIngress(r, request({}), undefined, () => 0.5), { color: 'red', source: 'split' });
  });
});

describe('weighted split', () => {
  const draws = 20000;

  test('random split matches its weights (chi-square, p = 0.001)', () => {
    for (const [seed, weights] of [
      [11, { blue: 80, green: 20 }],
      [12, { blue: 50, green: 30, red: 20 }],
      [13, { a: 1, b: 1, c: 1, d: 1, e: 1 }],
      [14, { blue: 0.7, green: 0.3 }],
    ] as const) {
      const s = split(weights);
      const random = mulberry32(seed);
      const r = rules({ split: s });
      assertFitsWeights(tally(() => colorIngress(r, request(), undefined, random).color, draws), s, draws);
    }
  });

  test('sticky split over many distinct users matches its weights (chi-square, p = 0.001)', () => {
    const weightSets: Array<Record<string, number>> = [{ blue: 80, green: 20 }, { blue: 50, green: 30, red: 20 }];
    for (const weights of weightSets) {
      const byHeader = split(weights, { source: 'header', name: 'x-user-id' });
      const r = rules({ split: byHeader });
      assertFitsWeights(tally((i) => colorIngress(r, request({ 'x-user-id': `user-${i}` }), undefined, never).color, draws), byHeader, draws);
      const byCookie = split(weights, { source: 'cookie', name: 'uid' });
      const rc = rules({ split: byCookie });
      assertFitsWeights(tally((i) => colorIngress(rc, request({ cookie: `x=1; uid=${i * 7919}` }), undefined, never).color, draws), byCookie, draws);
    }
  });

  test('a sticky key never changes color, whatever the random source', () => {
    const s = split({ blue: 80, green: 20 }, { source: 'header', name: 'x-user-id' });
    const r = rules({ split: s });
    const random = mulberry32(21);
    for (let user = 0; user < 200; user++) {
      const first = colorIngress(r, request({ 'x-user-id': `u${user}` }), undefined, random).color;
      for (let again = 0; again < 20; again++) {
        assert.equal(colorIngress(r, request({ 'x-user-id': `u${user}` }), undefined, random).color, first);
      }
    }
  });

  test('without the sticky key the choice is random and still follows the weights', () => {
    const s = split({ blue: 80, green: 20 }, { source: 'header', name: 'x-user-id' });
    const random = mulberry32(22);
    const r = rules({ split: s });
    assertFitsWeights(tally(() => colorIngress(r, request({}), undefined, random).color, draws), s, draws);
  });

  test('weight 0 is never chosen, even in a hand-built split, including at the ends of the range', () => {
    const s: Split = { colors: ['zero-a', 'blue', 'zero-b', 'green', 'zero-c'], weights: [0, 3, 0, 1, 0], total: 4 };
    const random = mulberry32(23);
    const counts = tally(() => pickWeighted(s, random() * s.total), 4000);
    assert.deepEqual([...counts.keys()].sort(), ['blue', 'green']);
    assert.equal(pickWeighted(s, 0), 'blue');
    assert.equal(pickWeighted(s, s.total), 'green');
    assert.equal(pickWeighted(s, s.total - 1e-9), 'green');
  });

  test('80/20 gives about 80%: the test catches the skewed `offset < weight[i]` sampler', () => {
    const s = split({ green: 20, blue: 80 });
    // The widely copied bug: compares the offset with each weight without subtracting; falls back to the first.
    const skewed = (point: number): string => {
      for (let i = 0; i < s.colors.length; i++) if (point < (s.weights[i] as number)) return s.colors[i] as string;
      return s.colors[0] as string;
    };
    const good = tally((() => {
      const random = mulberry32(31);
      return () => pickWeighted(s, random() * s.total);
    })(), draws);
    const share = (good.get('blue') ?? 0) / draws;
    assert.ok(Math.abs(share - 0.8) < 0.015, `blue share ${share}`);
    assertFitsWeights(good, s, draws);
    // The same check rejects the buggy sampler, so this test has the power to catch it.
    const random = mulberry32(31);
    const bad = tally(() => skewed(random() * s.total), draws);
    assert.throws(() => assertFitsWeights(bad, s, draws));
  });
});
