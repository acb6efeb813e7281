// `colormesh rollout --configmap` as a real process against the fake API server and a fake sidecar /metrics:
// the weights change in the ConfigMap and nothing else, and an edit by someone else mid-rollout stops it
// (exit 3) without overwriting theirs.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeConfigMapApi } from '../support/configmap-fake-apiserver.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const RULES = '# in Git\nversion: 1\ncolors: [blue, green]\ningress:\n  entrypoints: [web]\n  split:\n    weights: {blue: 100, green: 0}  # split\n';

/** A sidecar's /metrics whose green and blue inbound counters grow by 20 healthy requests per scrape. */
async function fakeSidecar(): Promise<{ url: string; close(): Promise<void> }> {
  let n = 0;
  const server = http.createServer((_req, res) => {
    n += 20;
    res.end(['green', 'blue'].map((c) => `colormesh_requests_total{direction="inbound",service="web",color="${c}",via="none",status_class="2xx"} ${n}\n` +
      `colormesh_request_duration_seconds_bucket{direction="inbound",service="web",color="${c}",le="0.01"} ${n}\n` +
      `colormesh_request_duration_seconds_bucket{direction="inbound",service="web",color="${c}",le="+Inf"} ${n}\n`).join(''));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`, close: () => new Promise((r) => server.close(() => r())) };
}

function rollout(args: string[], env: NodeJS.ProcessEnv, onLine?: (line: string) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'rollout', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      for (const line of d.toString().split('\n')) if (line !== '') onLine?.(line);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('colormesh rollout --configmap', () => {
  let dir: string;
  let api: FakeConfigMapApi;
  let sidecar: Awaited<ReturnType<typeof fakeSidecar>>;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'colormesh-rollout-cm-'));
    api = await FakeConfigMapApi.start('shop', 'colormesh-rules', RULES);
    sidecar = await fakeSidecar();
    writeFileSync(join(dir, 'kubeconfig'), api.kubeConfigFile());
    env = { KUBECONFIG: join(dir, 'kubeconfig') };
  });
  after(async () => {
    await api.close();
    await sidecar.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('promotes through the API: only the weights change, other keys stay', async () => {
    const result = await rollout(['--configmap', 'shop/colormesh-rules', '--to', 'green', '--steps', '50,100', '--interval', '400ms', '--metrics', sidecar.url, '--min-requests', '5'], env);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(api.object?.data['rules.yaml'], RULES.replace('{blue: 100, green: 0}', '{blue: 0, green: 100}'));
    assert.equal(api.object?.data['other'], 'kept');
    assert.equal(api.requests.filter((r) => r.method === 'PUT').length, 2);
    assert.match(result.stderr, /on configmap shop\/colormesh-rules/);
  });

  test('an edit by someone else mid-rollout: exit 3, theirs kept', async () => {
    api.edit(RULES);
    const putsBefore = api.requests.filter((r) => r.method === 'PUT').length;
    let edited = false;
    const result = await rollout(['--configmap', 'shop/colormesh-rules', '--to', 'green', '--steps', '50,100', '--interval', '400ms', '--metrics', sidecar.url, '--min-requests', '5'], env, () => {
      if (edited) return;
      edited = true;
      api.edit(api.object!.data['rules.yaml'] + '# kubectl edit\n');
    });
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /conflict: configmap shop\/colormesh-rules was changed by someone else/);
    assert.ok(api.object?.data['rules.yaml']?.endsWith('# kubectl edit\n'));
    assert.equal(api.requests.filter((r) => r.method === 'PUT').length - putsBefore, 1, 'only the first step was written');
  });
});
