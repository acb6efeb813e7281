// Rules from the Kubernetes API (SPEC 6a) against a fake API server: the rules watcher follows watch events,
// keeps the last good rules on an invalid edit, resumes a dropped watch and re-lists after 410 Gone; start-up
// falls back to the file while the API is unreachable; a rollout's ConfigMap write keeps everything else and
// meets a concurrent edit with a 409, never overwriting it.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError } from '../../src/config/load.js';
import { RulesWatcher } from '../../src/config/watch.js';
import { loadConfigMapRulesForStart } from '../../src/config/configmap-start.js';
import { configMapWatchPath } from '../../src/config/configmap-watch.js';
import { ConfigMapRulesStore, RulesConflictError } from '../../src/release/rules-store.js';
import { writeSplit } from '../../src/release/write-split.js';
import type { Rules } from '../../src/core/types.js';
import { FakeConfigMapApi } from '../support/configmap-fake-apiserver.js';

const NS = 'shop';
const NAME = 'colormesh-rules';
const rulesWith = (blue: number, green: number): string =>
  `# rules kept in Git\nversion: 1\ningress:\n  entrypoints: [frontend]\n  split:\n    weights: { blue: ${blue}, green: ${green} }  # the split\nservices:\n  frontend:\n    endpoints: [{ address: "127.0.0.1:9001" }]\n`;

function kubeConfigFor(api: FakeConfigMapApi): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions(api.kubeConfigOptions());
  return kc;
}

function splitOf(rules: Rules): string {
  const s = rules.ingress.split;
  return s === undefined ? '-' : s.colors.map((c, i) => `${c}=${s.weights[i]}`).join(',');
}

describe('rules watcher on a ConfigMap', () => {
  let api: FakeConfigMapApi;
  let watcher: RulesWatcher;
  const changes: Rules[] = [];
  const invalid: Error[] = [];

  before(async () => {
    api = await FakeConfigMapApi.start(NS, NAME, rulesWith(90, 10));
    const start = await loadConfigMapRulesForStart({ namespace: NS, name: NAME }, undefined, kubeConfigFor(api));
    assert.equal(start.watchPath, 'configmap://shop/colormesh-rules');
    assert.equal(start.fallback, undefined);
    watcher = new RulesWatcher(start.watchPath, start.rules, { kubeConfig: kubeConfigFor(api), configMap: { backoffMs: 50, minWatchLifetimeMs: 50 } });
    watcher.on('change', (r: Rules) => changes.push(r));
    watcher.on('invalid', (e: Error) => invalid.push(e));
    watcher.start();
    await api.until(() => api.watching() === 1, 5000, 'the watch');
  });

  after(async () => {
    watcher.stop();
    await api.close();
  });

  test('a change arrives through the watch and is swapped in, well under a second', async () => {
    const t0 = Date.now();
    api.edit(rulesWith(50, 50));
    await api.until(() => splitOf(watcher.current) === 'blue=50,green=50', 2000, 'the new rules');
    process.stdout.write(`# ConfigMap edit → rules in force: ${Date.now() - t0} ms\n`);
    assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
    assert.equal(changes.length, 1);
  });

  test('an invalid edit keeps the last good rules and reports line and column', async () => {
    api.edit(rulesWith(50, 50).replace('version: 1', 'version: 1\nforse: true'));
    await api.until(() => invalid.length === 1, 2000, 'the invalid version');
    assert.equal(splitOf(watcher.current), 'blue=50,green=50');
    assert.match(watcher.lastError?.message ?? '', /^configmap:\/\/shop\/colormesh-rules:3:1: forse: unknown key "forse"/);
  });

  test('a dropped watch is resumed from its resourceVersion; later edits still arrive', async () => {
    const watchesBefore = api.requests.filter((r) => r.watch).length;
    api.dropWatches();
    await api.until(() => api.watching() === 1 && api.requests.filter((r) => r.watch).length > watchesBefore, 5000, 'the resumed watch');
    const resumed = api.requests.filter((r) => r.watch).at(-1);
    assert.notEqual(resumed?.query['resourceVersion'], '');
    assert.equal(resumed?.query['fieldSelector'], `metadata.name=${NAME}`);
    api.edit(rulesWith(10, 90));
    await api.until(() => splitOf(watcher.current) === 'blue=10,green=90', 2000, 'the edit after the resume');
  });

  test('410 Gone: the watcher lists again and carries on', async () => {
    const listsBefore = api.requests.filter((r) => !r.watch && r.method === 'GET').length;
    // The API server sends the 410 Status, then ends the watch.
    api.push('ERROR', { kind: 'Status', code: 410, message: 'too old resource version' });
    api.dropWatches();
    await api.until(() => api.requests.filter((r) => !r.watch && r.method === 'GET').length > listsBefore && api.watching() === 1, 5000, 'the re-list');
    api.edit(rulesWith(100, 0));
    await api.until(() => splitOf(watcher.current) === 'blue=100', 2000, 'the edit after the re-list');
  });

  test('while the API fails the rules stay; when it answers again the watch comes back', async () => {
    api.failWith = 500;
    api.dropWatches();
    await api.until(() => watcher.sourceError !== undefined, 5000, 'the failure to be noticed');
    assert.equal(splitOf(watcher.current), 'blue=100');
    api.failWith = undefined;
    await api.until(() => api.watching() === 1, 5000, 'the watch after the outage');
    api.edit(rulesWith(70, 30));
    await api.until(() => splitOf(watcher.current) === 'blue=70,green=30', 2000, 'the edit after the outage');
    assert.equal(watcher.sourceError, undefined);
  });

  test('a deleted ConfigMap keeps the last good rules', async () => {
    api.delete();
    await api.until(() => /is gone/.test(watcher.lastError?.message ?? ''), 2000, 'the deletion');
    assert.equal(splitOf(watcher.current), 'blue=70,green=30');
  });
});

describe('start-up', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'colormesh-cm-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('API unreachable: the --config file is used, and the reason is given', async () => {
    const api = await FakeConfigMapApi.start(NS, NAME, rulesWith(90, 10));
    const kc = kubeConfigFor(api);
    await api.close();
    const file = join(dir, 'rules.yaml');
    writeFileSync(file, rulesWith(60, 40));
    const start = await loadConfigMapRulesForStart({ namespace: NS, name: NAME }, file, kc, 2000);
    assert.equal(splitOf(start.rules), 'blue=60,green=40');
    assert.equal(start.watchPath, configMapWatchPath({ namespace: NS, name: NAME }));
    assert.match(start.fallback?.reason ?? '', /cannot read configmap shop\/colormesh-rules through the Kubernetes API: ECONNREFUSED/);
  });

  test('API unreachable and no readable file: an error naming both', async () => {
    const api = await FakeConfigMapApi.start(NS, NAME, rulesWith(90, 10));
    const kc = kubeConfigFor(api);
    await api.close();
    await assert.rejects(loadConfigMapRulesForStart({ namespace: NS, name: NAME }, join(dir, 'missing.yaml'), kc, 2000), /Kubernetes API.*fallback.*no such file/s);
  });

  test('an invalid ConfigMap is an error at start, never a silent fallback', async () => {
    const api = await FakeConfigMapApi.start(NS, NAME, 'version: 0\n');
    try {
      const file = join(dir, 'good.yaml');
      writeFileSync(file, rulesWith(60, 40));
      await assert.rejects(loadConfigMapRulesForStart({ namespace: NS, name: NAME }, file, kubeConfigFor(api)), ConfigError);
    } finally {
      await api.close();
    }
  });
});

describe('ConfigMapRulesStore', () => {
  test('writes only the weights, keeps other keys and labels, with the resourceVersion it read', async () => {
    const api = await FakeConfigMapApi.start(NS, NAME, rulesWith(90, 10));
    try {
      const store = new ConfigMapRulesStore(NS, NAME, kubeConfigFor(api));
      const read = await store.read();
      const result = await writeSplit(store, { blue: 75, green: 25 }, { expectedVersion: read.version });
      assert.equal(api.object?.data['rules.yaml'], rulesWith(75, 25));
      assert.equal(api.object?.data['other'], 'kept');
      assert.deepEqual(api.object?.metadata.labels, { app: 'colormesh' });
      assert.equal(result.version, api.object?.metadata.resourceVersion);
      const put = api.requests.find((r) => r.method === 'PUT');
      assert.equal(put?.path, `/api/v1/namespaces/${NS}/configmaps/${NAME}`);
    } finally {
      await api.close();
    }
  });

  test('someone else edited it since it was read: RulesConflictError, their version stays', async () => {
    const api = await FakeConfigMapApi.start(NS, NAME, rulesWith(90, 10));
    try {
      const store = new ConfigMapRulesStore(NS, NAME, kubeConfigFor(api));
      const read = await store.read();
      api.edit(rulesWith(80, 20) + '# theirs\n');
      await assert.rejects(writeSplit(store, { blue: 0, green: 100 }, { expectedVersion: read.version }), RulesConflictError);
      await assert.rejects(store.write(rulesWith(0, 100), read.version), RulesConflictError);
      assert.equal(api.object?.data['rules.yaml'], rulesWith(80, 20) + '# theirs\n');
      assert.equal(api.requests.filter((r) => r.method === 'PUT').length, 0);
    } finally {
      await api.close();
    }
  });

  test('the API server\'s own 409 (an edit between our read and our replace) is a conflict too', async () => {
    const api = await FakeConfigMapApi.start(NS, NAME, rulesWith(90, 10));
    try {
      const store = new ConfigMapRulesStore(NS, NAME, kubeConfigFor(api));
      const read = await store.read();
      // Race: the object changes after the store's own check, just before its replace is handled.
      api.beforeReplace = () => {
        api.beforeReplace = undefined;
        api.edit(rulesWith(1, 99));
      };
      await assert.rejects(store.write(rulesWith(50, 50), read.version), (err: Error) => err instanceof RulesConflictError && /not overwritten/.test(err.message));
      assert.equal(api.requests.filter((r) => r.method === 'PUT').length, 1);
      assert.equal(api.object?.data['rules.yaml'], rulesWith(1, 99));
    } finally {
      await api.close();
    }
  });
});
