// Stickiness across a rollout (issue 11): with `stickyBy`, a user once moved into the candidate lane stays
// there at every later step; users only ever move from --from to --to, never back and never between other
// colors. Checked over many user keys and three colors with the pure ingress code and the real edit path.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseRules } from '../../src/config/load.js';
import { chooseSplitColor } from '../../src/core/ingress.js';
import { colorsBetween, resolveLanes, rollbackWeights, weightsAt } from '../../src/release/plan.js';
import { readSplitWeights, setSplitWeights } from '../../src/release/split-edit.js';

const USERS = 20_000;
const STEPS = [1, 5, 10, 25, 33, 50, 75, 99, 100];
const noRandom = (): number => {
  throw new Error('a sticky user must not need randomness');
};

function rulesText(weights: string): string {
  return `version: 1\ncolors: [blue, green, red]\ningress:\n  split:\n    weights: ${weights}\n    stickyBy: { header: x-user-id }\n`;
}

/** Every user's lane under a rule text. */
function lanesOf(text: string): string[] {
  const split = parseRules(text, 'r.yaml').ingress.split;
  assert.ok(split !== undefined);
  return Array.from({ length: USERS }, (_, i) => chooseSplitColor(split, { 'x-user-id': `user-${i}` }, noRandom) as string);
}

function checkRollout(initial: string, to: string, from: string): void {
  let text = rulesText(initial);
  const rules = parseRules(text, 'r.yaml');
  const lanes = resolveLanes(rules, readSplitWeights(text), to, from);
  assert.deepEqual(colorsBetween(readSplitWeights(text), lanes), [], 'this layout keeps users sticky');
  let previous = lanesOf(text);
  const startLanes = previous;
  for (const share of STEPS) {
    text = setSplitWeights(text, weightsAt(lanes, share));
    const now = lanesOf(text);
    for (let i = 0; i < USERS; i++) {
      if (now[i] === previous[i]) continue;
      assert.equal(previous[i], from, `user-${i} left ${previous[i]} for ${now[i]} at ${share}%`);
      assert.equal(now[i], to, `user-${i} went from ${from} to ${now[i]} at ${share}%`);
    }
    // The shares follow the weights (±1.5 points over 20 000 users).
    const moved = now.filter((c) => c === to).length / USERS;
    const weights = readSplitWeights(text);
    const total = Object.values(weights).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(moved - (weights[to] as number) / total) < 0.015, `share of ${to} at ${share}%: ${moved}`);
    previous = now;
  }
  // A rollback puts every user back where they started.
  text = setSplitWeights(text, rollbackWeights(lanes));
  assert.deepEqual(lanesOf(text), startLanes);
}

describe('sticky users across a rollout, three colors', () => {
  test('blue → green with red fixed after them', () => checkRollout('{ blue: 80, green: 0, red: 20 }', 'green', 'blue'));
  test('blue → green with red fixed before them', () => checkRollout('{ red: 15, blue: 85, green: 0 }', 'green', 'blue'));
  test('green → blue (a candidate listed first)', () => checkRollout('{ blue: 0, green: 70, red: 30 }', 'blue', 'green'));
  test('a third color at weight 0 between them takes no users', () => checkRollout('{ blue: 100, red: 0, green: 0 }', 'green', 'blue'));
  test('a candidate not yet in the weights is added next to the end', () => checkRollout('{ red: 10, blue: 90 }', 'green', 'blue'));
});

test('a color with weight between --from and --to is reported, because its users would shift', () => {
  const text = rulesText('{ blue: 80, red: 10, green: 10 }');
  const lanes = resolveLanes(parseRules(text, 'r.yaml'), readSplitWeights(text), 'green', 'blue');
  assert.deepEqual(colorsBetween(readSplitWeights(text), lanes), ['red']);
});
