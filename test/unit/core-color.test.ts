// Color validation (SPEC 1) and the stable hash used by sticky splits.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { COLOR_PATTERN, normalizeColor } from '../../src/core/color.js';
import { stableHash32 } from '../../src/core/hash.js';

describe('normalizeColor', () => {
  const cases: Array<[raw: string | undefined, expected: string | undefined, why: string]> = [
    ['blue', 'blue', 'plain'],
    ['Blue', 'blue', 'lower-cased'],
    ['GREEN-2', 'green-2', 'lower-cased with digit and hyphen'],
    ['  blue\t', 'blue', 'OWS trimmed'],
    ['a', 'a', 'one character'],
    ['0', '0', 'one digit'],
    ['a'.repeat(32), 'a'.repeat(32), '32 characters is the maximum'],
    ['a'.repeat(33), undefined, '33 characters is too long'],
    ['-blue', undefined, 'leading hyphen'],
    ['blue-', undefined, 'trailing hyphen'],
    ['a-b', 'a-b', 'inner hyphen'],
    ['blue_green', undefined, 'underscore'],
    ['blue green', undefined, 'inner space'],
    ['blue\n', undefined, 'newline is not OWS'],
    ['', undefined, 'empty'],
    ['   ', undefined, 'only OWS'],
    [undefined, undefined, 'absent'],
    ['bl\u00fce', undefined, 'non-ASCII letter'],
    ['\u212Aelvin', undefined, 'Kelvin sign lower-cases to "k" but is not ASCII'],
    ['blue;x', undefined, 'punctuation'],
  ];
  for (const [raw, expected, why] of cases) {
    test(`${JSON.stringify(raw)} → ${JSON.stringify(expected)} (${why})`, () => {
      assert.equal(normalizeColor(raw), expected);
    });
  }

  test('every accepted color matches COLOR_PATTERN', () => {
    for (const [raw] of cases) {
      const color = normalizeColor(raw);
      if (color !== undefined) assert.match(color, COLOR_PATTERN);
    }
  });
});

describe('stableHash32', () => {
  test('is an unsigned 32-bit integer and deterministic', () => {
    for (const s of ['', 'a', 'user-1', 'ünïcödé', '😀']) {
      const h = stableHash32(s);
      assert.ok(Number.isInteger(h) && h >= 0 && h <= 0xffffffff, `${s} → ${h}`);
      assert.equal(stableHash32(s), h);
    }
  });

  test('hashes the UTF-8 bytes: a surrogate pair equals its code point, a lone surrogate equals U+FFFD', () => {
    assert.equal(stableHash32('\u{1F600}'), stableHash32(String.fromCodePoint(0x1f600)));
    assert.equal(stableHash32('a\ud800b'), stableHash32('a\ufffdb'));
    assert.notEqual(stableHash32('é'), stableHash32('e'));
  });

  test('known values stay fixed across versions (sticky users must not move lanes)', () => {
    // Independent reference: FNV-1a 32 over UTF-8 bytes, then murmur3 fmix32, computed with BigInt here.
    const reference = (s: string): number => {
      let h = 0x811c9dc5n;
      for (const byte of new TextEncoder().encode(s)) h = ((h ^ BigInt(byte)) * 0x01000193n) & 0xffffffffn;
      h ^= h >> 16n;
      h = (h * 0x85ebca6bn) & 0xffffffffn;
      h ^= h >> 13n;
      h = (h * 0xc2b2ae35n) & 0xffffffffn;
      h ^= h >> 16n;
      return Number(h);
    };
    for (const s of ['', 'a', 'user-42', 'x'.repeat(100), 'ünïcödé', '😀 lane']) {
      assert.equal(stableHash32(s), reference(s), s);
    }
  });

  test('ids that differ only in their last digit spread over both halves of the range', () => {
    let high = 0;
    for (let i = 0; i < 1000; i++) if (stableHash32(`user-${i}`) >= 0x80000000) high++;
    // Binomial(1000, 0.5): ±5 standard deviations is 500 ± 79.
    assert.ok(high > 421 && high < 579, `high half: ${high}`);
  });
});
