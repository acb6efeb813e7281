// traceparent parsing and the bounded trace id → color table (LRU with TTL, injected clock).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TraceColorTable, traceIdOf } from '../../src/core/trace-table.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

describe('traceIdOf', () => {
  const cases: Array<[value: string | string[] | undefined, expected: string | undefined, why: string]> = [
    [`00-${TRACE}-${PARENT}-01`, TRACE, 'valid, sampled'],
    [`00-${TRACE}-${PARENT}-00`, TRACE, 'valid, not sampled'],
    [[`00-${TRACE}-${PARENT}-01`], TRACE, 'one header in an array'],
    [[`00-${TRACE}-${PARENT}-01`, `00-${TRACE}-${PARENT}-01`], undefined, 'two headers'],
    [`00-${TRACE}-${PARENT}-01, 00-${TRACE}-${PARENT}-01`, undefined, 'two headers joined by Node'],
    [`ff-${TRACE}-${PARENT}-01`, undefined, 'version ff is invalid'],
    [`00-${'0'.repeat(32)}-${PARENT}-01`, undefined, 'all-zero trace id'],
    [`00-${TRACE}-${'0'.repeat(16)}-01`, undefined, 'all-zero parent id'],
    [`00-${TRACE.toUpperCase()}-${PARENT}-01`, undefined, 'upper-case hex'],
    [`00-${TRACE.slice(1)}-${PARENT}-01`, undefined, 'short trace id'],
    [`00-${TRACE}-${PARENT}-01-extra`, undefined, 'version 00 with trailing data'],
    [`00-${TRACE}-${PARENT}-1`, undefined, 'short flags'],
    [`0g-${TRACE}-${PARENT}-01`, undefined, 'non-hex version'],
    [`01-${TRACE}-${PARENT}-01`, TRACE, 'future version'],
    [`cc-${TRACE}-${PARENT}-01-what-the-future-holds`, TRACE, 'future version with more fields'],
    [`cc-${TRACE}-${PARENT}-01x`, undefined, 'future version, no dash after the prefix'],
    [`00_${TRACE}_${PARENT}_01`, undefined, 'wrong separators'],
    ['', undefined, 'empty'],
    [undefined, undefined, 'absent'],
  ];
  for (const [value, expected, why] of cases) {
    test(why, () => assert.equal(traceIdOf(value), expected));
  }
});

describe('TraceColorTable', () => {
  function clock(): { now: () => number; advance: (ms: number) => void } {
    let t = 1000;
    return { now: () => t, advance: (ms) => (t += ms) };
  }

  test('stores and returns colors; updates overwrite', () => {
    const table = new TraceColorTable();
    assert.equal(table.get('a')?.color, undefined);
    table.set('a', 'blue');
    table.set('b', 'green');
    assert.equal(table.get('a')?.color, 'blue');
    table.set('a', 'red');
    assert.equal(table.get('a')?.color, 'red');
    assert.equal(table.size, 2);
  });

  test('evicts the least recently used entry at the bound; a get refreshes recency', () => {
    const table = new TraceColorTable({ maxEntries: 3 });
    table.set('a', 'c1');
    table.set('b', 'c2');
    table.set('c', 'c3');
    assert.equal(table.get('a')?.color, 'c1'); // a is now the most recent; b is the oldest
    table.set('d', 'c4');
    assert.equal(table.size, 3);
    assert.equal(table.get('b')?.color, undefined);
    assert.deepEqual(['a', 'c', 'd'].map((k) => table.get(k)?.color), ['c1', 'c3', 'c4']);
  });

  test('never grows past the bound', () => {
    const table = new TraceColorTable({ maxEntries: 50 });
    for (let i = 0; i < 1000; i++) table.set(`t${i}`, 'blue');
    assert.equal(table.size, 50);
    assert.equal(table.get('t949')?.color, undefined);
    assert.equal(table.get('t950')?.color, 'blue');
    assert.equal(table.get('t999')?.color, 'blue');
  });

  test('entries expire after the TTL (injected clock) and are removed', () => {
    const c = clock();
    const table = new TraceColorTable({ ttlMs: 100, now: c.now });
    table.set('a', 'blue');
    c.advance(100);
    assert.equal(table.get('a')?.color, 'blue', 'alive for the whole TTL');
    c.advance(1);
    assert.equal(table.get('a')?.color, undefined);
    assert.equal(table.size, 0);
  });

  test('a get does not extend the TTL; a set does', () => {
    const c = clock();
    const table = new TraceColorTable({ ttlMs: 100, now: c.now });
    table.set('read', 'blue');
    table.set('written', 'blue');
    c.advance(60);
    assert.equal(table.get('read')?.color, 'blue');
    table.set('written', 'green');
    c.advance(60);
    assert.equal(table.get('read')?.color, undefined);
    assert.equal(table.get('written')?.color, 'green');
  });

  test('expired entries are never returned, and the bound holds whatever expired', () => {
    const c = clock();
    const table = new TraceColorTable({ ttlMs: 10, maxEntries: 30, now: c.now });
    for (let i = 0; i < 20; i++) table.set(`old${i}`, 'blue');
    c.advance(20);
    for (let i = 0; i < 20; i++) table.set(`new${i}`, 'green');
    assert.ok(table.size <= 30);
    for (let i = 0; i < 20; i++) assert.equal(table.get(`old${i}`), undefined);
    for (let i = 0; i < 20; i++) assert.equal(table.get(`new${i}`)?.color, 'green');
  });

  test('remembers that a trace is a shadow copy (SPEC 8), so its later hops stay in its lane', () => {
    const table = new TraceColorTable();
    table.set('copy', 'green', true);
    table.set('user', 'green');
    assert.deepEqual(table.get('copy'), { color: 'green', shadow: true });
    assert.deepEqual(table.get('user'), { color: 'green', shadow: false });
  });

  test('defaults: 100000 entries, 5 minutes', () => {
    const c = clock();
    const table = new TraceColorTable({ now: c.now });
    table.set('a', 'blue');
    c.advance(300_000);
    assert.equal(table.get('a')?.color, 'blue');
    c.advance(1);
    assert.equal(table.get('a')?.color, undefined);
    for (let i = 0; i < 100_001; i++) table.set(`t${i}`, 'blue');
    assert.equal(table.size, 100_000);
  });
});
