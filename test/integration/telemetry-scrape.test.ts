// Black-box: known traffic through a real sidecar, then a scrape of its metrics port must show exact
// counts per color and via, each upstream error kind, retries, no_endpoint, and each reload result.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sidecar } from '../../src/sidecar.js';
import { loadRulesFile } from '../../src/config/load.js';
import { startTelemetry, type Telemetry } from '../../src/telemetry/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { freePorts, request, sidecar, sleep, startEcho, type EchoServer } from '../support/mesh.js';
import { valueOf } from '../support/telemetry-events.js';

describe('scrape after known traffic', () => {
  let telemetry: Telemetry;
  let blue: EchoServer, green: EchoServer, plain: EchoServer, silent: EchoServer, resetting: EchoServer;
  let sc: Sidecar;
  let dir: string;
  let rulesPath: string;
  let rulesText: string;

  before(async () => {
    [blue, green, plain] = await Promise.all([startEcho('blue'), startEcho('green'), startEcho('plain')]);
    silent = await startEcho('silent', () => undefined); // never answers
    resetting = await startEcho('resetting', (req) => req.socket.destroy());
    const [dead1, dead2] = await freePorts(2); // distinct, and refusing once released
    rulesText = `
version: 1
colors: [blue, green, red]
services:
  lanes:
    port: 8080
    endpoints:
      - { address: "${blue.address}", color: blue }
      - { address: "${plain.address}" }
  live:
    port: 8080
    defaultColor: blue
    endpoints:
      - { address: "${blue.address}", color: blue }
      - { address: "${green.address}", color: green }
  strict:
    port: 8080
    force: true
    endpoints:
      - { address: "${blue.address}", color: blue }
  dead:
    port: 8080
    retries: 1
    endpoints:
      - { address: "127.0.0.1:${dead1}" }
      - { address: "127.0.0.1:${dead2}" }
  slow:
    port: 8080
    timeoutMs: 150
    retries: 0
    endpoints:
      - { address: "${silent.address}" }
  resetting:
    port: 8080
    retries: 0
    endpoints:
      - { address: "${resetting.address}" }
`;
    dir = mkdtempSync(join(tmpdir(), 'colormesh-scrape-'));
    rulesPath = join(dir, 'rules.yaml');
    writeFileSync(rulesPath, rulesText);
    const rules = loadRulesFile(rulesPath);
    telemetry = await startTelemetry({
      service: 'frontend', color: 'blue', logger: createLogger({ level: 'silent', sync: true }), processMetrics: false, env: {},
      config: { hash: rules.hash, version: rules.version, colors: rules.colors },
    });
    sc = await sidecar({
      rules, watchPath: rulesPath, service: 'frontend', color: undefined,
      metrics: async () => ({ contentType: telemetry.metrics.contentType, body: await telemetry.metrics.render() }),
    });
  });
  after(async () => {
    await sc.drain();
    await Promise.all([blue, green, plain, silent, resetting].map((s) => s.close()));
    await telemetry.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (service: string, color?: string): Promise<number> =>
    request(sc.ports.outbound as number, { path: `http://${service}:8080/x?user=42`, headers: color === undefined ? {} : { baggage: `color=${color}` } }).then((r) => r.status);
  const scrape = async (): Promise<string> => (await request(sc.ports.metrics, { path: '/metrics' })).text;
  /** Hops are counted when the response closes, just after the client has it: poll, bounded. */
  async function settled(expectedRequests: number): Promise<string> {
    let text = '';
    for (let i = 0; i < 100; i++) {
      text = await scrape();
      if (valueOf(text, 'colormesh_requests_total', { direction: 'outbound' }) >= expectedRequests) break;
      await sleep(20);
    }
    return text;
  }

  test('each via, each error kind, retries and no_endpoint, counted exactly', async () => {
    const statuses: Record<string, number[]> = {};
    const plan: Array<[string, string | undefined, number]> = [
      ['lanes', 'blue', 3], // exact
      ['lanes', 'green', 2], // no green endpoint: untagged
      ['lanes', undefined, 1], // no color: untagged
      ['live', 'red', 2], // no red, no untagged: default (blue)
      ['strict', 'green', 2], // force: no_endpoint
      ['dead', undefined, 1], // two connect errors, one retry
      ['slow', undefined, 1], // timeout
      ['resetting', undefined, 1], // reset
    ];
    for (const [service, color, times] of plan) {
      for (let i = 0; i < times; i++) (statuses[`${service}/${color ?? '-'}`] ??= []).push(await call(service, color));
    }
    const passthrough = await request(sc.ports.outbound as number, { path: `http://127.0.0.1:${plain.port}/outside` });
    assert.equal(passthrough.status, 200);
    assert.deepEqual(statuses, {
      'lanes/blue': [200, 200, 200], 'lanes/green': [200, 200], 'lanes/-': [200], 'live/red': [200, 200],
      'strict/green': [503, 503], 'dead/-': [502], 'slow/-': [504], 'resetting/-': [502],
    });

    const text = await settled(14);
    const requests = (service: string, color: string, via: string, statusClass: string): number =>
      valueOf(text, 'colormesh_requests_total', { direction: 'outbound', service, color, via, status_class: statusClass });
    assert.equal(requests('lanes', 'blue', 'exact', '2xx'), 3);
    assert.equal(requests('lanes', 'green', 'untagged', '2xx'), 2);
    assert.equal(requests('lanes', '-', 'untagged', '2xx'), 1);
    assert.equal(requests('live', 'red', 'default', '2xx'), 2);
    assert.equal(requests('strict', 'green', 'none', '5xx'), 2);
    assert.equal(requests('-', '-', 'passthrough', '2xx'), 1);
    assert.equal(valueOf(text, 'colormesh_requests_total', { direction: 'outbound' }), 14, 'nothing counted twice');
    assert.equal(valueOf(text, 'colormesh_no_endpoint_total', { service: 'strict', color: 'green' }), 2);
    const errors = (service: string, kind: string): number => valueOf(text, 'colormesh_upstream_errors_total', { direction: 'outbound', service, kind });
    assert.equal(errors('dead', 'connect'), 2);
    assert.equal(errors('slow', 'timeout'), 1);
    assert.equal(errors('resetting', 'reset'), 1);
    assert.equal(valueOf(text, 'colormesh_upstream_errors_total'), 4);
    assert.equal(valueOf(text, 'colormesh_upstream_retries_total', { service: 'dead' }), 1);
    assert.equal(valueOf(text, 'colormesh_upstream_retries_total'), 1);
    assert.equal(valueOf(text, 'colormesh_endpoints', { service: 'live', color: 'green', health: 'healthy' }), 1);
  });

  test('a good reload and a bad one each move their counter; config_info follows the version in force', async () => {
    const before = await scrape();
    const firstHash = before.match(/colormesh_config_info\{hash="([0-9a-f]+)"/)?.[1];
    assert.ok(firstHash, 'config_info known from start-up');
    const waitFor = async (result: string, count: number): Promise<string> => {
      let text = '';
      for (let i = 0; i < 150; i++) {
        text = await scrape();
        if (valueOf(text, 'colormesh_config_reloads_total', { result }) >= count) break;
        await sleep(40);
      }
      return text;
    };
    writeFileSync(rulesPath, rulesText.replace('version: 1', 'version: 1\n# a comment changes the hash'));
    let text = await waitFor('success', 1);
    assert.equal(valueOf(text, 'colormesh_config_reloads_total', { result: 'success' }), 1);
    assert.equal(valueOf(text, 'colormesh_config_reloads_total', { result: 'failure' }), 0);
    const newHash = text.match(/colormesh_config_info\{hash="([0-9a-f]+)"/)?.[1];
    assert.ok(newHash !== undefined && newHash !== firstHash, 'config_info shows the new hash');

    writeFileSync(rulesPath, rulesText.replace('services:', 'servces:'));
    text = await waitFor('failure', 1);
    assert.equal(valueOf(text, 'colormesh_config_reloads_total', { result: 'failure' }), 1);
    assert.equal(valueOf(text, 'colormesh_config_reloads_total', { result: 'success' }), 1);
    assert.equal(valueOf(text, 'colormesh_config_info', { hash: newHash as string }), 1, 'the last good version stays in force');
  });
});
