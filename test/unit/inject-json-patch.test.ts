// Tests for the JSON Patch generator and applier: pointer escaping, add versus replace, and a seeded
// random round trip (apply(a, diff(a, b)) == b).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { applyPatch, diff, escapePointerToken, PatchError } from '../../src/inject/json-patch.js';
import type { Json } from '../../src/inject/sidecar.js';
import { mulberry32 } from '../support/seeded-random.js';

const seeded = mulberry32;

const KEYS = ['a', 'b', 'x/y', 'm~n', '~1', '', 'containers'];

function randomJson(random: () => number, depth: number): Json {
  const pick = Math.floor(random() * (depth > 3 ? 4 : 6));
  if (pick === 0) return null;
  if (pick === 1) return random() < 0.5;
  if (pick === 2) return Math.floor(random() * 5);
  if (pick === 3) return KEYS[Math.floor(random() * KEYS.length)] as string;
  if (pick === 4) return Array.from({ length: Math.floor(random() * 4) }, () => randomJson(random, depth + 1));
  const object: Record<string, Json> = {};
  for (let i = Math.floor(random() * 4); i > 0; i--) object[KEYS[Math.floor(random() * KEYS.length)] as string] = randomJson(random, depth + 1);
  return object;
}

/** A variant of `value`: some keys dropped, changed or added, arrays grown at either end. */
function mutate(random: () => number, value: Json, depth: number): Json {
  if (Array.isArray(value)) {
    const items = value.map((item) => (random() < 0.2 ? mutate(random, item, depth + 1) : item));
    if (random() < 0.3) items.unshift(randomJson(random, depth + 1));
    if (random() < 0.3) items.push(randomJson(random, depth + 1));
    return items;
  }
  if (value !== null && typeof value === 'object') {
    const object: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = random();
      if (r < 0.15) continue;
      object[k] = r < 0.5 ? mutate(random, v, depth + 1) : v;
    }
    if (random() < 0.3) object[KEYS[Math.floor(random() * KEYS.length)] as string] = randomJson(random, depth + 1);
    return object;
  }
  return random() < 0.5 ? value : randomJson(random, depth);
}

describe('JSON patch', () => {
  test('escapes ~ and / in keys (RFC 6901)', () => {
    assert.equal(escapePointerToken('colormesh.io/injected'), 'colormesh.io~1injected');
    assert.equal(escapePointerToken('a~/b'), 'a~0~1b');
    assert.deepEqual(diff({ metadata: { annotations: { x: '1' } } }, { metadata: { annotations: { x: '1', 'colormesh.io/injected': 'true' } } }), [
      { op: 'add', path: '/metadata/annotations/colormesh.io~1injected', value: 'true' },
    ]);
  });

  test('adds a missing map or list whole instead of adding into it', () => {
    assert.deepEqual(diff({ metadata: {}, spec: { containers: [] } }, { metadata: { annotations: { k: 'v' } }, spec: { containers: [], volumes: [{ name: 'v' }] } }), [
      { op: 'add', path: '/metadata/annotations', value: { k: 'v' } },
      { op: 'add', path: '/spec/volumes', value: [{ name: 'v' }] },
    ]);
  });

  test('prepends with indexed adds, appends with /-, replaces anything else', () => {
    assert.deepEqual(diff({ l: [1, 2] }, { l: [0, 1, 2, 3] }), [
      { op: 'add', path: '/l/0', value: 0 },
      { op: 'add', path: '/l/-', value: 3 },
    ]);
    assert.deepEqual(diff({ l: [1, 2] }, { l: [2, 1] }), [{ op: 'replace', path: '/l', value: [2, 1] }]);
    assert.deepEqual(diff({ a: 1, b: 2 }, { a: 3 }), [{ op: 'remove', path: '/b' }, { op: 'replace', path: '/a', value: 3 }]);
  });

  test('the applier is strict like an API server', () => {
    assert.throws(() => applyPatch({}, [{ op: 'add', path: '/a/b', value: 1 }]), PatchError);
    assert.throws(() => applyPatch({ l: [] }, [{ op: 'add', path: '/l/1', value: 1 }]), PatchError);
    assert.throws(() => applyPatch({}, [{ op: 'replace', path: '/a', value: 1 }]), PatchError);
  });

  test('seeded round trip: apply(a, diff(a, b)) equals b', () => {
    const random = seeded(20261123);
    for (let i = 0; i < 2000; i++) {
      const before = randomJson(random, 0);
      const after = mutate(random, before, 0);
      const patch = diff(before, after);
      assert.deepEqual(applyPatch(before, patch), after, `case ${i}: ${JSON.stringify({ before, after, patch })}`);
    }
  });
});
