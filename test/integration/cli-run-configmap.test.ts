// `colormesh run --configmap NS/NAME` as a real process against the fake API server: rules from the
// ConfigMap, a change in force within a second, the file fallback when the API is down, and clear exits.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../support/mesh.js';
import { FakeConfigMapApi } from '../support/configmap-fake-apiserver.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const rules = (green: number): string => `version: 1\ningress:\n  entrypoints: [web]\n  split:\n    weights: { blue: ${100 - green}, green: ${green} }\n`;

interface Running {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
  admin: number;
}

async function startRun(args: string[], env: NodeJS.ProcessEnv): Promise<Running> {
  const [inbound, outbound, admin, metrics] = await freePorts(4);
  const child = spawn(process.execPath, [CLI, 'run', '--service', 'web', '--bind', '127.0.0.1', '--log-level', 'warn',
    '--inbound-port', String(inbound), '--outbound-port', String(outbound), '--admin-port', String(admin), '--metrics-port', String(metrics), ...args],
  { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, stderr: () => err, exited, admin: admin as number };
}

async function config(admin: number): Promise<{ hash?: string; source?: string } | undefined> {
  try {
    return (await (await fetch(`http://127.0.0.1:${admin}/config`)).json()) as { hash?: string; source?: string };
  } catch {
    return undefined;
  }
}

async function until(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (await check()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('colormesh run --configmap', () => {
  let dir: string;
  let kubeconfig: string;
  let api: FakeConfigMapApi;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'colormesh-run-cm-'));
    api = await FakeConfigMapApi.start('shop', 'colormesh-rules', rules(0));
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, api.kubeConfigFile());
  });
  after(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('rules come from the ConfigMap and a change is in force within a second', async () => {
    const run = await startRun(['--config', join(dir, 'absent.yaml')], { KUBECONFIG: kubeconfig, COLORMESH_CONFIGMAP: 'shop/colormesh-rules' });
    try {
      await until('the sidecar', async () => (await config(run.admin))?.hash !== undefined);
      const first = await config(run.admin);
      assert.match(JSON.stringify(first), /configmap:\/\/shop\/colormesh-rules/);
      await api.until(() => api.watching() === 1, 5000, 'the watch');
      api.edit(rules(25));
      const took = await until('the new rules', async () => (await config(run.admin))?.hash !== first?.hash, 3000);
      process.stdout.write(`# ConfigMap edit → colormesh run has it in force: ${took} ms (admin /config polled every 10 ms)\n`);
      assert.ok(took < 1000);
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });

  test('API unreachable at start: the --config file is used, with a warning', async () => {
    const down = await FakeConfigMapApi.start('shop', 'colormesh-rules', rules(0));
    const downConfig = join(dir, 'kubeconfig-down');
    writeFileSync(downConfig, down.kubeConfigFile());
    await down.close();
    const file = join(dir, 'fallback.yaml');
    writeFileSync(file, rules(50));
    const run = await startRun(['--config', file, '--configmap', 'shop/colormesh-rules'], { KUBECONFIG: downConfig });
    try {
      await until('the sidecar', async () => (await config(run.admin))?.hash !== undefined);
      assert.match(run.stderr(), /cannot read configmap shop\/colormesh-rules through the Kubernetes API: ECONNREFUSED; using .*fallback\.yaml until the API answers/);
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });

  test('API unreachable and no file: exit 1 naming both; a malformed --configmap: exit 2', async () => {
    const down = await FakeConfigMapApi.start('shop', 'colormesh-rules', rules(0));
    const downConfig = join(dir, 'kubeconfig-down2');
    writeFileSync(downConfig, down.kubeConfigFile());
    await down.close();
    const run = await startRun(['--config', join(dir, 'absent.yaml'), '--configmap', 'shop/colormesh-rules'], { KUBECONFIG: downConfig });
    assert.equal(await run.exited, 1);
    assert.match(run.stderr(), /cannot start: cannot read configmap .*ECONNREFUSED; and the fallback .*no such file/);
    const bad = await startRun(['--configmap', 'colormesh-rules'], { KUBECONFIG: downConfig });
    assert.equal(await bad.exited, 2);
    assert.match(bad.stderr(), /--configmap: "colormesh-rules" is not NAMESPACE\/NAME/);
  });
});
