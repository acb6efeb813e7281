// How the console learns of a rollout: the status file `colormesh rollout` writes, else the weights' history.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { asRolloutStatus, readRolloutStatus, rolloutStatusPath, writeRolloutStatus, type RolloutStatus } from '../../src/console/rollout-status.js';
import { FINISHED_SHOWN_MS, fromHistory, fromStatusFile, INFER_WINDOW_MS, recordWeights, type WeightsSeen } from '../../src/console/rollout-view.js';

const T0 = Date.parse('2026-12-02T06:00:00Z');
const status = (over: Partial<RolloutStatus> = {}): RolloutStatus => ({
  from: 'blue', to: 'green', steps: [10, 25, 50, 100], step: 1, state: 'running',
  startedAt: new Date(T0).toISOString(), updatedAt: new Date(T0).toISOString(), intervalMs: 60_000, ...over,
});

describe('the status file', () => {
  test('lives next to the rule file', () => assert.equal(rolloutStatusPath('/etc/colormesh/rules.yaml'), '/etc/colormesh/rules.yaml.rollout.json'));

  test('written atomically and read back; missing or malformed means no rollout', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'console-rollout-'));
    try {
      const file = path.join(dir, 'rules.yaml.rollout.json');
      assert.equal(await readRolloutStatus(file), undefined);
      await writeRolloutStatus(file, status());
      assert.deepEqual(await readRolloutStatus(file), status());
      writeFileSync(file, '{"from":"blue"');
      assert.equal(await readRolloutStatus(file), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const invalid: Array<[unknown, string]> = [
    [null, 'null'],
    [{ ...status(), state: 'paused' }, 'unknown state'],
    [{ ...status(), steps: ['10'] }, 'steps not numbers'],
    [{ ...status(), step: 1.5 }, 'step not an integer'],
    [{ ...status(), to: '' }, 'empty color'],
  ];
  for (const [value, why] of invalid) test(`not a status: ${why}`, () => assert.equal(asRolloutStatus(value), undefined));
});

describe('fromStatusFile', () => {
  const weights = { blue: 75, green: 25 };
  const cases: Array<[RolloutStatus, number, string | undefined, string]> = [
    [status(), T0 + 1000, 'running', 'running and fresh'],
    [status(), T0 + 3 * 60_000 + 1, 'stale', 'running but not updated for three intervals'],
    [status({ intervalMs: undefined }), T0 + 5 * 60_000 + 1, 'stale', 'no interval: stale after 5 minutes'],
    [status({ state: 'rolled-back', reason: 'error rate 7 % > 1 %' }), T0 + 1000, 'rolled-back', 'just ended'],
    [status({ state: 'promoted' }), T0 + FINISHED_SHOWN_MS + 1, undefined, 'ended long ago: no longer shown'],
  ];
  for (const [s, now, state, why] of cases) {
    test(why, () => assert.equal(fromStatusFile(s, weights, now)?.state, state));
  }
  test('the share is the candidate\'s part of from + to', () => assert.equal(fromStatusFile(status(), { blue: 75, green: 25, red: 100 }, T0)?.share, 25));
});

describe('fromHistory', () => {
  const seen = (minute: number, blue: number, green: number): WeightsSeen => ({ at: T0 + minute * 60_000, weights: { blue, green } });
  test('shares that moved step by step are a rollout, with the shares seen as its steps', () => {
    const r = fromHistory([seen(0, 100, 0), seen(1, 90, 10), seen(2, 75, 25)], T0 + 2 * 60_000);
    assert.deepEqual(r && [r.from, r.to, r.steps, r.step, r.share, r.state], ['blue', 'green', [10, 25], 1, 25, 'seen']);
  });
  test('a fall starts the steps again: a rollout from a hand-set 20 % that begins at 10 %', () => {
    const r = fromHistory([seen(0, 80, 20), seen(1, 90, 10), seen(2, 75, 25), seen(3, 50, 50)], T0 + 3 * 60_000);
    assert.deepEqual(r && [r.steps, r.step, r.startedAt], [[10, 25, 50], 2, new Date(T0 + 60_000).toISOString()]);
  });
  test('a single version of the weights is no rollout', () => assert.equal(fromHistory([seen(0, 80, 20)], T0), undefined));
  test('nothing moved in the inference window: no rollout', () => {
    assert.equal(fromHistory([seen(0, 90, 10), seen(1, 75, 25)], T0 + 60_000 + INFER_WINDOW_MS + 1), undefined);
  });
  test('a rollback shows the candidate at 0 %', () => {
    const r = fromHistory([seen(0, 90, 10), seen(1, 100, 0)], T0 + 60_000);
    assert.deepEqual(r && [r.to, r.share, r.steps], ['green', 0, []]);
  });
  test('recordWeights keeps only changes, and at most `max`', () => {
    const h: WeightsSeen[] = [];
    recordWeights(h, { blue: 80, green: 20 }, 1);
    recordWeights(h, { blue: 80, green: 20 }, 2);
    recordWeights(h, undefined, 3);
    for (let i = 0; i < 10; i++) recordWeights(h, { blue: 80 - i, green: 20 + i }, 10 + i, 5);
    assert.equal(h.length, 5);
    assert.deepEqual(h.at(-1)?.weights, { blue: 71, green: 29 });
  });
});
