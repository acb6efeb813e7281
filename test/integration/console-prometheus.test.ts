// `colormesh console --prometheus` against a real Prometheus scraping a live loopback mesh: the lane
// map from PromQL (rates, 5xx, p99, fallbacks, the pod-color join) matches what scraping shows.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startConsoleMesh, type ConsoleMesh } from '../support/console-mesh.js';
import { freePorts, request } from '../support/mesh.js';
import { spawnCli, until } from '../support/sidecar-process.js';

const PROMETHEUS = '/usr/bin/prometheus';
const missing = !existsSync(PROMETHEUS);
if (missing) process.stdout.write(`SKIP console-prometheus: no ${PROMETHEUS} (Debian: apt-get install -y --no-install-recommends prometheus)\n`);

describe('colormesh console --prometheus', { timeout: 120_000, skip: missing ? `no ${PROMETHEUS}` : false }, () => {
  let mesh: ConsoleMesh;
  let prometheus: ChildProcess;
  let consoleProc: ReturnType<typeof spawnCli>;
  let dir: string;
  let port = 0;

  before(async () => {
    mesh = await startConsoleMesh(90);
    dir = mkdtempSync(path.join(os.tmpdir(), 'cm-console-prom-'));
    const [promPort] = (await freePorts(1)) as [number];
    const targets = mesh.metricsPorts.map((p) => `'127.0.0.1:${p}'`).join(', ');
    writeFileSync(path.join(dir, 'prometheus.yml'), `global: { scrape_interval: 1s, evaluation_interval: 1s }\nscrape_configs:\n  - job_name: colormesh\n    static_configs: [{ targets: [${targets}] }]\n`);
    prometheus = spawn(PROMETHEUS, [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'], { stdio: 'ignore' });
    consoleProc = spawnCli(['console', '--config', mesh.rulesFile, '--prometheus', `http://127.0.0.1:${promPort}`, '--port', '0']);
    await until('the console URL', () => {
      if (!consoleProc.alive()) throw new Error(consoleProc.stderr());
      port = Number(/http:\/\/127\.0\.0\.1:(\d+)\//.exec(consoleProc.stdout())?.[1] ?? 0);
      return port > 0;
    }, 15_000);
  });
  after(async () => {
    if (consoleProc?.alive()) consoleProc.child.kill('SIGKILL');
    prometheus?.kill('SIGKILL');
    await mesh?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the lane map from PromQL', async () => {
    const state = async (): Promise<any> => (await request(port, { path: '/api/state', headers: { host: `127.0.0.1:${port}` } })).json; // eslint-disable-line @typescript-eslint/no-explicit-any
    const cell = (s: any, service: string, lane: string): any => s.services.find((r: any) => r.name === service)?.cells.find((c: any) => c.color === lane); // eslint-disable-line @typescript-eslint/no-explicit-any
    await until('Prometheus to have rates for every lane', async () => {
      const s = await state();
      return s.metrics.targets[0]?.ok === true && cell(s, 'base-service', 'blue')?.rps > 0 && cell(s, 'base-service', 'green')?.fallback.length > 0
        && cell(s, 'frontend', 'blue')?.fallback.length > 0 && cell(s, 'base-service', 'blue')?.errorRate > 0;
    }, 60_000);
    const s = await state();
    assert.equal(s.metrics.source, `Prometheus ${s.metrics.targets[0].url}`);
    assert.deepEqual(cell(s, 'base-service', 'green').fallback.map((f: { via: string; to: string }) => [f.via, f.to]), [['untagged', '-']]);
    assert.deepEqual(cell(s, 'frontend', 'green').fallback.map((f: { to: string }) => f.to), ['-'], 'the pod-color join for the entry point');
    assert.ok(cell(s, 'base-service', 'blue').p99Ms > 0);
    assert.equal(cell(s, 'base-service', 'blue').endpoints.healthy, 1);
  });
});
