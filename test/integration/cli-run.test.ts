// `colormesh run` as a real process: start-up checks, readiness, hot reload, graceful SIGTERM.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts, request, sleep, startEcho } from '../support/mesh.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');

interface Proc {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function run(args: string[]): Proc {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d));
  child.stderr?.on('data', (d: Buffer) => (err += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function until(what: string, check: () => Promise<boolean>, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const ports = freePorts;

describe('colormesh run', () => {
  test('an invalid rule file at start-up is a clear error and exit 1', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cm-run-'));
    try {
      const file = path.join(dir, 'rules.yaml');
      writeFileSync(file, 'services:\n  svc:\n    forse: true\n    endpoints: []\n');
      const p = run(['run', '--config', file, '--outbound-port', '0', '--admin-port', '0', '--metrics-port', '0']);
      assert.equal(await p.exited, 1);
      assert.match(p.stderr(), /rules\.yaml:3:\d+/);
      assert.match(p.stderr(), /forse/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('becomes ready, reloads rules atomically (keeping the last good on error), drains on SIGTERM', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cm-run-'));
    const a = await startEcho('a');
    const b = await startEcho('b', (_req, res) => setTimeout(() => res.end('{"name":"b"}'), 400));
    const [outbound, admin, metrics] = await ports(3);
    const file = path.join(dir, 'rules.yaml');
    writeFileSync(file, `services:\n  svc:\n    endpoints:\n      - { address: "${a.address}" }\n`);
    const p = run(['run', '--config', file, '--outbound-port', String(outbound), '--admin-port', String(admin), '--metrics-port', String(metrics), '--bind', '127.0.0.1', '--log-level', 'info', '--drain-timeout-ms', '5000', '--access-log-sample', '1']);
    try {
      await until('ready', async () => (await request(metrics as number, { path: '/healthz/ready' })).status === 200);
      assert.equal((await request(metrics as number, { path: '/healthz/live' })).status, 200);
      assert.equal((await request(outbound as number, { headers: { host: 'svc' } })).json.name, 'a');

      // An invalid version never replaces the good one.
      writeFileSync(file, 'services: [oops\n');
      await until('reload error on /config', async () => (await request(admin as number, { path: '/config' })).json.lastReloadError !== null);
      const cfg = await request(admin as number, { path: '/config' });
      assert.match(cfg.json.lastReloadError.message, /rules\.yaml:\d+:\d+/);
      assert.equal((await request(outbound as number, { headers: { host: 'svc' } })).json.name, 'a');

      // A good version is swapped in (written the way editors and ConfigMaps do: a rename).
      writeFileSync(file + '.tmp', `services:\n  svc:\n    endpoints:\n      - { address: "${b.address}" }\n`);
      renameSync(file + '.tmp', file);
      await until('new rules', async () => (await request(outbound as number, { headers: { host: 'svc' } })).text.includes('"b"'));
      assert.equal((await request(admin as number, { path: '/config' })).json.lastReloadError, null);

      // SIGTERM during a burst of slow requests: every one of them completes.
      const burst = Array.from({ length: 10 }, () => request(outbound as number, { headers: { host: 'svc' } }));
      await sleep(100);
      p.child.kill('SIGTERM');
      const results = await Promise.all(burst);
      assert.deepEqual(results.map((r) => r.status), Array(10).fill(200));
      assert.equal(await p.exited, 0);
      const lines = p.stdout().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const access = lines.filter((l) => l['type'] === 'access');
      assert.ok(access.length >= 13, 'one access line per proxied request');
      const first = access[0] as Record<string, unknown>;
      for (const key of ['direction', 'service', 'color', 'via', 'upstream', 'status', 'durationMs']) assert.ok(key in first, key);
    } finally {
      p.child.kill('SIGKILL');
      await Promise.all([a.close(), b.close()]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('colormesh gateway colors and routes to its service, and exits 0 on SIGTERM', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cm-gw-'));
    const green = await startEcho('green');
    const blue = await startEcho('blue');
    const [port, admin, metrics] = await ports(3);
    const file = path.join(dir, 'rules.yaml');
    writeFileSync(file, `ingress:\n  rules:\n    - match: { query: { name: lane, exact: g } }\n      color: green\nservices:\n  web:\n    endpoints:\n      - { address: "${blue.address}" }\n      - { address: "${green.address}", color: green }\n`);
    const p = run(['gateway', '--config', file, '--service', 'web', '--port', String(port), '--admin-port', String(admin), '--metrics-port', String(metrics), '--bind', '127.0.0.1']);
    try {
      await until('gateway ready', async () => (await request(metrics as number, { path: '/healthz/ready' })).status === 200);
      const g = await request(port as number, { path: '/?lane=g' });
      assert.equal(g.json.name, 'green');
      assert.equal(g.headers['x-colormesh-route'], undefined, 'the edge does not name internal services (10.16)');
      const none = await request(port as number, { path: '/', headers: { baggage: 'color=green' } });
      assert.equal(none.json.name, 'blue', 'an outside client color is not accepted by default');
      p.child.kill('SIGTERM');
      assert.equal(await p.exited, 0);
    } finally {
      p.child.kill('SIGKILL');
      await Promise.all([green.close(), blue.close()]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--help lists the SPEC 6 flags', async () => {
    const p = run(['run', '--help']);
    assert.equal(await p.exited, 0);
    for (const flag of ['--config', '--service', '--color', '--app-port', '--app-host', '--inbound-port', '--outbound-port', '--admin-port', '--metrics-port', '--bind']) {
      assert.ok(p.stdout().includes(flag), flag);
    }
    assert.ok(readFileSync(CLI, 'utf8').length > 0);
  });
});
