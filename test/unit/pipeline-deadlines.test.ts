// One sweep timer for every request deadline: items fire once, after their time, and not after stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeadlineSweep, SWEEP_MS, type HasDeadline } from '../../src/pipeline/deadlines.js';

function item(log: string[], name: string): HasDeadline {
  return { deadline: 0, onDeadline: () => void log.push(name) };
}

test('deadlines fire once, in sweeps, only when due; a stopped one never fires; the timer stops when idle', async () => {
  let now = 1000;
  const sweep = new DeadlineSweep(() => now);
  const log: string[] = [];
  const early = item(log, 'early');
  const late = item(log, 'late');
  const stopped = item(log, 'stopped');
  sweep.start(early, 10);
  sweep.start(late, 500);
  sweep.start(stopped, 10);
  sweep.stop(stopped);
  assert.equal(stopped.deadline, 0);
  assert.equal(sweep.size, 2);
  now += 20;
  await new Promise((r) => setTimeout(r, SWEEP_MS * 3));
  assert.deepEqual(log, ['early']);
  assert.equal(early.deadline, 0);
  now += 1000;
  await new Promise((r) => setTimeout(r, SWEEP_MS * 3));
  assert.deepEqual(log, ['early', 'late']);
  assert.equal(sweep.size, 0);
});
