// Picking within a candidate set: round-robin fairness, retries excluding tried endpoints, least-request.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pickEndpoint } from '../../src/core/balancer.js';
import type { CandidateSet, Endpoint } from '../../src/core/types.js';
import { mulberry32 } from '../support/seeded-random.js';

function makeSet(count: number): CandidateSet {
  const endpoints: Endpoint[] = [];
  for (let i = 0; i < count; i++) {
    endpoints.push({ address: `10.1.0.${i}:80`, host: `10.1.0.${i}`, port: 80, color: 'blue', healthy: true, active: 0 });
  }
  return { endpoints, cursor: 0 };
}

describe('round-robin', () => {
  test('cycles through every endpoint in order and spreads evenly', () => {
    for (const size of [1, 2, 3, 7]) {
      const set = makeSet(size);
      const counts = new Map<Endpoint, number>();
      const rounds = 10;
      for (let i = 0; i < size * rounds; i++) {
        const picked = pickEndpoint(set, 'round-robin', mulberry32(1));
        assert.equal(picked, set.endpoints[i % size]);
        counts.set(picked as Endpoint, (counts.get(picked as Endpoint) ?? 0) + 1);
      }
      assert.deepEqual([...counts.values()], Array(size).fill(rounds));
    }
  });

  test('exclude skips endpoints already tried and keeps the rotation going', () => {
    const set = makeSet(4);
    const [a, b, c, d] = set.endpoints as [Endpoint, Endpoint, Endpoint, Endpoint];
    const random = mulberry32(2);
    assert.equal(pickEndpoint(set, 'round-robin', random, new Set([a])), b);
    assert.equal(pickEndpoint(set, 'round-robin', random), c);
    assert.equal(pickEndpoint(set, 'round-robin', random, new Set([d, a])), b);
    assert.equal(pickEndpoint(set, 'round-robin', random, new Set([a, b, c, d])), undefined);
  });

  test('a stale cursor beyond the set size is wrapped', () => {
    const set = makeSet(3);
    set.cursor = 17;
    assert.equal(pickEndpoint(set, 'round-robin', mulberry32(3)), set.endpoints[17 % 3]);
  });

  test('an empty set yields undefined', () => {
    assert.equal(pickEndpoint(makeSet(0), 'round-robin', mulberry32(4)), undefined);
    assert.equal(pickEndpoint(makeSet(0), 'least-request', mulberry32(4)), undefined);
  });
});

describe('least-request (power of two choices)', () => {
  test('of two endpoints, always the less loaded', () => {
    const set = makeSet(2);
    const [idle, busy] = set.endpoints as [Endpoint, Endpoint];
    busy.active = 5;
    const random = mulberry32(5);
    for (let i = 0; i < 200; i++) assert.equal(pickEndpoint(set, 'least-request', random), idle);
  });

  test('prefers less loaded endpoints across a larger set', () => {
    const set = makeSet(10);
    set.endpoints.forEach((e, i) => (e.active = i)); // endpoint i has i requests in flight
    const random = mulberry32(6);
    const counts = Array(10).fill(0) as number[];
    const draws = 5000;
    for (let i = 0; i < draws; i++) {
      const picked = pickEndpoint(set, 'least-request', random) as Endpoint;
      const index = set.endpoints.indexOf(picked);
      counts[index] = (counts[index] ?? 0) + 1;
    }
    // P2C picks endpoint i with probability 2·(n−1−i)/(n·(n−1)): 20% for the idlest, never the busiest.
    assert.equal(counts[9], 0);
    for (let i = 0; i < 9; i++) {
      const expected = (draws * 2 * (9 - i)) / 90;
      assert.ok(Math.abs((counts[i] as number) - expected) < 5 * Math.sqrt(expected) + 1, `endpoint ${i}: ${counts[i]} vs ${expected}`);
    }
  });

  test('equal load spreads over all endpoints', () => {
    const set = makeSet(4);
    const random = mulberry32(7);
    const seen = new Set<Endpoint | undefined>();
    for (let i = 0; i < 200; i++) seen.add(pickEndpoint(set, 'least-request', random));
    assert.equal(seen.size, 4);
  });

  test('exclude: never returns a tried endpoint; undefined when all were tried', () => {
    const set = makeSet(3);
    const [a, b, c] = set.endpoints as [Endpoint, Endpoint, Endpoint];
    a.active = 0; // the best one, but already tried
    b.active = 3;
    c.active = 9;
    const random = mulberry32(8);
    for (let i = 0; i < 100; i++) assert.equal(pickEndpoint(set, 'least-request', random, new Set([a])), b);
    assert.equal(pickEndpoint(set, 'least-request', random, new Set([a, b])), c);
    assert.equal(pickEndpoint(set, 'least-request', random, new Set([a, b, c])), undefined);
  });

  test('a random source returning 1 does not index past the end', () => {
    const set = makeSet(3);
    assert.ok(set.endpoints.includes(pickEndpoint(set, 'least-request', () => 1) as Endpoint));
  });
});
