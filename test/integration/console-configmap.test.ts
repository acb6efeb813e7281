// `colormesh console --configmap NS/NAME` against the fake Kubernetes API: it shows and edits key
// rules.yaml of the ConfigMap (other keys kept), and a concurrent edit is a 409, never overwritten.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeConfigMapApi } from '../support/configmap-fake-apiserver.js';
import { request, type Reply } from '../support/mesh.js';
import { spawnCli, until } from '../support/sidecar-process.js';

const rules = (blue: number, green: number): string =>
  `version: 1\n# kept byte for byte\ningress:\n  split:\n    weights: { blue: ${blue}, green: ${green} }\nservices:\n  a:\n    endpoints: [{ address: "127.0.0.1:9", color: blue }]\n`;

describe('colormesh console --configmap', { timeout: 60_000 }, () => {
  let dir: string;
  let api: FakeConfigMapApi;
  let proc: ReturnType<typeof spawnCli>;
  let port = 0;
  const host = (): Record<string, string> => ({ host: `127.0.0.1:${port}` });
  const post = (path: string, body: unknown): Promise<Reply> =>
    request(port, { method: 'POST', path, headers: { ...host(), 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const state = async (): Promise<any> => (await request(port, { path: '/api/state', headers: host() })).json; // eslint-disable-line @typescript-eslint/no-explicit-any

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cm-console-cm-'));
    api = await FakeConfigMapApi.start('shop', 'colormesh-rules', rules(90, 10));
    writeFileSync(path.join(dir, 'kubeconfig'), api.kubeConfigFile());
    proc = spawnCli(['console', '--configmap', 'shop/colormesh-rules', '--metrics', 'http://127.0.0.1:9/metrics', '--port', '0'], { KUBECONFIG: path.join(dir, 'kubeconfig') });
    await until('the console URL', () => {
      if (!proc.alive()) throw new Error(proc.stderr());
      port = Number(/http:\/\/127\.0\.0\.1:(\d+)\//.exec(proc.stdout())?.[1] ?? 0);
      return port > 0;
    }, 15_000);
  });
  after(async () => {
    if (proc?.alive()) proc.child.kill('SIGKILL');
    await proc?.exited;
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the state comes from the ConfigMap', async () => {
    const s = await state();
    assert.equal(s.rules.source, 'configmap shop/colormesh-rules');
    assert.deepEqual(s.split.weights, { blue: 90, green: 10 });
    assert.equal(s.rules.storeVersion, api.object?.metadata.resourceVersion);
  });

  test('a write replaces key rules.yaml only, with the resourceVersion it read', async () => {
    const r = await post('/api/split', { weights: { blue: 75, green: 25 } });
    assert.equal(r.status, 200, r.text);
    assert.equal(api.object?.data['rules.yaml'], rules(75, 25));
    assert.equal(api.object?.data['other'], 'kept');
    assert.equal(r.json.storeVersion, api.object?.metadata.resourceVersion);
  });

  test('someone else edited it since the page loaded: 409, their edit stays', async () => {
    const seen = (await state()).rules.version;
    api.edit(rules(50, 50));
    const r = await post('/api/split', { weights: { blue: 100, green: 0 }, version: seen });
    assert.equal(r.status, 409, r.text);
    assert.equal(r.json.error, 'conflict');
    assert.equal(api.object?.data['rules.yaml'], rules(50, 50));
  });

  test('an edit slipped in between the console\'s read and its write: 409 from the API server, nothing overwritten', async () => {
    api.beforeReplace = () => {
      api.beforeReplace = undefined;
      api.edit(rules(60, 40));
    };
    const r = await post('/api/rollback', { color: 'green' });
    assert.equal(r.status, 409, r.text);
    assert.equal(api.object?.data['rules.yaml'], rules(60, 40));
  });

  test('the weights it saw move are shown as a rollout seen from their history', async () => {
    await until('the state to catch up', async () => (await state()).split.weights.green === 40, 5000);
    const s = await state();
    assert.equal(s.rollout?.source, 'weights-history');
    assert.deepEqual([s.rollout.from, s.rollout.to, s.rollout.share], ['blue', 'green', 40]);
  });
});
