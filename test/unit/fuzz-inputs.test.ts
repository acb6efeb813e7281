// Time-boxed, seeded fuzzing of the two parsers that face untrusted input: the baggage header
// (every request) and the rule file (every reload). Neither may throw anything but a ConfigError,
// and a baggage edit must never lose or alter another member.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readBaggageColor, writeBaggageColor } from '../../src/core/baggage.js';
import { ConfigError, parseRules } from '../../src/config/load.js';
import { mulberry32 } from '../support/seeded-random.js';

const ALPHABET = ['color', 'Color', '=', '==', ',', ', ', ';', ' ', '\t', '%', '%2C', '%3D', '%ZZ', 'blue', 'GREEN', 'a', 'k', 'v', 'prop', '"', '\u00e9', '-', '0', ''];
const ITERATIONS = 20_000;
const TIME_BOX_MS = 5_000;

function randomHeader(random: () => number): string {
  const parts = 1 + Math.floor(random() * 12);
  let s = '';
  for (let i = 0; i < parts; i++) s += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return s;
}

/** The members of a header other than `key`, trimmed, as the write must pass them on. */
function otherMembers(header: string, key: string): string[] {
  return header
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '' && m.split('=', 1)[0]?.split(';', 1)[0]?.trim() !== key);
}

describe('fuzzing untrusted input', () => {
  test('baggage: read never throws; write keeps every other member and reads back its own color', () => {
    const random = mulberry32(0xc0102);
    const deadline = Date.now() + TIME_BOX_MS;
    let runs = 0;
    for (; runs < ITERATIONS && Date.now() < deadline; runs++) {
      const header = randomHeader(random);
      const read = readBaggageColor(header, 'color');
      assert.equal(typeof read.invalid, 'boolean');
      const color = random() < 0.5 ? 'blue' : undefined;
      const written = writeBaggageColor(header, 'color', color);
      const after = written === undefined ? [] : otherMembers(written, 'color');
      assert.deepEqual(after, otherMembers(header, 'color'), `members changed for ${JSON.stringify(header)} → ${JSON.stringify(written)}`);
      assert.equal(readBaggageColor(written, 'color').color, color, `color not read back from ${JSON.stringify(written)}`);
    }
    assert.ok(runs >= 1000, `only ${runs} runs in the time box`);
  });

  test('rule file: random edits of a valid file give rules or a ConfigError with a position, nothing else', () => {
    const base = `version: 1
colors: [blue, green]
ingress:
  entrypoints: [frontend]
  rules:
    - match: { header: { name: x-canary, exact: "true" } }
      color: green
  split:
    weights: { blue: 80, green: 20 }
services:
  base:
    port: 8080
    endpoints:
      - { address: "127.0.0.1:9101", color: blue }
      - { address: "127.0.0.1:9102" }
`;
    const random = mulberry32(0x5eed);
    const snippets = ['', ' ', ':', '-', '[', ']', '{', '}', '"', "'", '\n', '  ', 'x', 'blue', '99999', '*a', '&a', '!!str', '#', 'force: true', '\t'];
    const deadline = Date.now() + TIME_BOX_MS;
    let errors = 0;
    let runs = 0;
    for (; runs < 3000 && Date.now() < deadline; runs++) {
      const at = Math.floor(random() * base.length);
      const cut = Math.floor(random() * 4);
      const text = base.slice(0, at) + snippets[Math.floor(random() * snippets.length)] + base.slice(at + cut);
      try {
        const rules = parseRules(text, 'fuzz.yaml');
        assert.ok(Object.isFrozen(rules));
      } catch (err) {
        assert.ok(err instanceof ConfigError, `not a ConfigError: ${(err as Error).stack} for\n${text}`);
        for (const p of err.problems) assert.ok(p.line >= 1 && p.column >= 1, `no position: ${JSON.stringify(p)}`);
        errors++;
      }
    }
    assert.ok(errors > 0 && errors < runs, `mutations should give both outcomes (${errors}/${runs})`);
  });
});
