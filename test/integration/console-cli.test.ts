// `colormesh console`'s command line: usage errors exit 2 before anything listens, unreadable rules exit 1,
// and the flags' environment variables work like the other commands'.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from '../support/mesh.js';
import { spawnCli, until } from '../support/sidecar-process.js';

const RULES = 'version: 1\ningress:\n  split:\n    weights: { blue: 90, green: 10 }\nservices:\n  a:\n    endpoints: [{ address: "127.0.0.1:9", color: blue }]\n';

describe('colormesh console (CLI)', { timeout: 60_000 }, () => {
  const cases: Array<[string[], Record<string, string>, number, RegExp]> = [
    [['--config', 'x', '--metrics', 'http://a/metrics', '--prometheus', 'http://p'], {}, 2, /not both/],
    [['--config', 'x', '--metrics', 'ftp://a'], {}, 2, /not an http/],
    [['--config', 'x', '--metrics', 'http://a/metrics', '--port', 'http'], {}, 2, /not a TCP port/],
    [['--configmap', 'not a ref', '--metrics', 'http://a/metrics'], {}, 2, /NAMESPACE\/NAME/],
    [['--bogus'], {}, 2, /bogus/],
    [['--config', '/nonexistent/rules.yaml', '--metrics', 'http://127.0.0.1:9/metrics', '--port', '0'], {}, 1, /cannot read file \/nonexistent/],
    [['--config', '/nonexistent/rules.yaml', '--port', '0'], {}, 1, /cannot read file \/nonexistent/],
  ];
  for (const [args, env, code, stderr] of cases) {
    test(`${args.join(' ')} → exit ${code}`, async () => {
      const p = spawnCli(['console', ...args], env);
      assert.equal(await p.exited, code);
      assert.match(p.stderr(), stderr);
    });
  }

  test('without metrics it still serves the rules and writes the weights', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cm-console-cli-'));
    const file = path.join(dir, 'rules.yaml');
    writeFileSync(file, RULES);
    const p = spawnCli(['console', '--config', file, '--port', '0']);
    try {
      let port = 0;
      await until('the URL', () => {
        if (!p.alive()) throw new Error(p.stderr());
        port = Number(/http:\/\/127\.0\.0\.1:(\d+)\//.exec(p.stdout())?.[1] ?? 0);
        return port > 0;
      }, 10_000);
      const state = await request(port, { path: '/api/state', headers: { host: `localhost:${port}` } });
      assert.deepEqual(state.json.metrics.targets, []);
      assert.deepEqual(state.json.services[0].cells.find((c: { color: string }) => c.color === 'blue').endpoints.configured, 1);
      const r = await request(port, { method: 'POST', path: '/api/split', headers: { host: `localhost:${port}`, 'content-type': 'application/json' }, body: '{"weights":{"blue":50,"green":50}}' });
      assert.equal(r.status, 200, r.text);
    } finally {
      p.child.kill('SIGKILL');
      await p.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--help', async () => {
    const p = spawnCli(['console', '--help']);
    assert.equal(await p.exited, 0);
    assert.match(p.stdout(), /--port PORT[\s\S]*COLORMESH_CONSOLE_PORT, default 15030/);
  });

  test('flags from the environment; prints its URL; SIGTERM stops it with 0', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cm-console-cli-'));
    const file = path.join(dir, 'rules.yaml');
    writeFileSync(file, RULES);
    const p = spawnCli(['console'], { COLORMESH_CONFIG: file, COLORMESH_CONSOLE_METRICS: 'http://127.0.0.1:9', COLORMESH_CONSOLE_PORT: '0', COLORMESH_CONSOLE_BIND: '127.0.0.1' });
    try {
      let port = 0;
      await until('the URL', () => {
        if (!p.alive()) throw new Error(p.stderr());
        port = Number(/http:\/\/127\.0\.0\.1:(\d+)\//.exec(p.stdout())?.[1] ?? 0);
        return port > 0;
      }, 10_000);
      const state = await request(port, { path: '/api/state', headers: { host: `127.0.0.1:${port}` } });
      assert.equal(state.status, 200);
      assert.deepEqual(state.json.split.weights, { blue: 90, green: 10 });
      assert.equal(state.json.metrics.targets[0].ok, false, 'a dead sidecar is reported, not fatal');
      assert.equal(state.json.metrics.targets[0].url, 'http://127.0.0.1:9/metrics', 'a bare sidecar address means its /metrics');
      p.child.kill('SIGTERM');
      assert.equal(await p.exited, 0);
    } finally {
      if (p.alive()) p.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
