// The console's loop with a fake store and metrics source: the state follows the rules, keeps the last
// good ones through an invalid edit, reports a failing source, and reads the rollout status file.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConsoleMonitor, type MetricsSource } from '../../src/console/monitor.js';
import { writeRolloutStatus } from '../../src/console/rollout-status.js';
import type { RulesStore } from '../../src/release/rules-store.js';

const rules = (green: number): string => `version: 1\ningress:\n  split:\n    weights: { blue: ${100 - green}, green: ${green} }\nservices:\n  a:\n    endpoints: [{ address: "127.0.0.1:9", color: blue }]\n`;

function fakeStore(initial: string): RulesStore & { text: string; fail?: string } {
  const store = {
    text: initial,
    fail: undefined as string | undefined,
    describe: () => 'file fake.yaml',
    read: async () => {
      if (store.fail !== undefined) throw new Error(store.fail);
      return { text: store.text, version: createHash('sha256').update(store.text).digest('hex') };
    },
    write: async () => ({ version: 'unused' }),
  };
  return store;
}

const source = (over: Partial<MetricsSource> = {}): MetricsSource => ({
  describe: () => 'fake',
  sample: async () => ({ samples: [{ name: 'colormesh_requests_total', labels: { direction: 'inbound', service: 'a', color: 'blue', via: 'local', status_class: '2xx' }, value: 5 }], targets: [{ url: 'fake', ok: true }] }),
  ...over,
});

describe('ConsoleMonitor', () => {
  test('the state follows the rules and the metrics', async () => {
    const store = fakeStore(rules(10));
    const m = new ConsoleMonitor({ store, metrics: source(), refreshMs: 1000, now: () => 0 });
    await m.refresh();
    assert.deepEqual(m.state().split?.weights, { blue: 90, green: 10 });
    assert.equal(m.state().services[0]?.cells.find((c) => c.color === 'blue')?.rps, 5);
    store.text = rules(25);
    await m.refresh();
    assert.deepEqual(m.state().split?.weights, { blue: 75, green: 25 });
    assert.equal(m.state().rollout?.source, 'weights-history', 'a move it saw itself');
  });

  test('an invalid edit keeps the last good rules and says why; unreadable too', async () => {
    const store = fakeStore(rules(10));
    const m = new ConsoleMonitor({ store, metrics: source(), refreshMs: 1000 });
    await m.refresh();
    store.text = rules(10).replace('version: 1', 'version: 1\nbogus: true');
    await m.refresh();
    assert.match(m.state().rules.error ?? '', /bogus/);
    assert.deepEqual(m.state().split?.weights, { blue: 90, green: 10 });
    store.fail = 'EACCES';
    await m.refresh();
    assert.match(m.state().rules.error ?? '', /cannot read file fake.yaml: EACCES/);
    store.fail = undefined;
    store.text = rules(10);
    await m.refresh();
    assert.equal(m.state().rules.error, null);
  });

  test('a source that throws is reported as a failed target', async () => {
    const m = new ConsoleMonitor({ store: fakeStore(rules(10)), metrics: source({ sample: () => Promise.reject(new Error('boom')) }), refreshMs: 1000 });
    await m.refresh();
    assert.deepEqual(m.state().metrics.targets, [{ url: 'fake', ok: false, error: 'boom' }]);
  });

  test('the rollout status file wins over the weights\' history', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'console-monitor-'));
    try {
      const statusPath = path.join(dir, 'rules.yaml.rollout.json');
      const now = Date.now();
      await writeRolloutStatus(statusPath, {
        from: 'blue', to: 'green', steps: [10, 50, 100], step: 0, state: 'running',
        startedAt: new Date(now).toISOString(), updatedAt: new Date(now).toISOString(), intervalMs: 60_000,
      });
      const m = new ConsoleMonitor({ store: fakeStore(rules(10)), metrics: source(), refreshMs: 1000, rolloutStatusPath: statusPath });
      await m.refresh();
      assert.deepEqual(m.state().rollout && [m.state().rollout?.source, m.state().rollout?.state, m.state().rollout?.share], ['status-file', 'running', 10]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('start() refreshes on a timer until stop()', async () => {
    let samples = 0;
    const m = new ConsoleMonitor({ store: fakeStore(rules(10)), metrics: source({ sample: async () => ((samples += 1), { samples: [], targets: [] }) }), refreshMs: 20 });
    await m.start();
    await new Promise((r) => setTimeout(r, 110));
    m.stop();
    const seen = samples;
    await new Promise((r) => setTimeout(r, 60));
    assert.ok(seen >= 3, `refreshed ${seen} times`);
    assert.equal(samples, seen, 'nothing after stop()');
  });
});
