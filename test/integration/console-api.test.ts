// `colormesh console` against a live loopback mesh, through its JSON API only: the state the traffic
// produced, writes that change only the weights, and every refusal (403, 400, 409) writing nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startConsoleMesh, rulesWithWeights, type ConsoleMesh } from '../support/console-mesh.js';
import { request, type Reply } from '../support/mesh.js';
import { until } from '../support/sidecar-process.js';

let mesh: ConsoleMesh;
const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> =>
  request(mesh.consolePort, {
    method: 'POST', path,
    headers: { host: `127.0.0.1:${mesh.consolePort}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const state = async (): Promise<any> => (await request(mesh.consolePort, { path: '/api/state', headers: { host: `127.0.0.1:${mesh.consolePort}` } })).json; // eslint-disable-line @typescript-eslint/no-explicit-any
const rules = (): string => readFileSync(mesh.rulesFile, 'utf8');
const cell = (s: any, service: string, lane: string): any => s.services.find((r: any) => r.name === service)?.cells.find((c: any) => c.color === lane); // eslint-disable-line @typescript-eslint/no-explicit-any

describe('colormesh console API', { timeout: 120_000 }, () => {
  before(async () => {
    mesh = await startConsoleMesh(100);
  });
  after(async () => {
    await mesh?.close();
  });

  test('GET /api/state: the lanes, rates, errors and fallbacks the traffic produced', async () => {
    await until('traffic in every lane it reaches', async () => {
      const s = await state();
      return cell(s, 'base-service', 'blue')?.rps > 0 && cell(s, 'base-service', 'green')?.fallback.length > 0 && cell(s, 'base-service', 'blue')?.errorRate > 0;
    }, 20_000);
    const s = await state();
    assert.deepEqual(s.lanes, ['blue', 'green', '-']);
    assert.deepEqual(s.services.map((r: { name: string }) => r.name), ['frontend', 'base-service']);
    assert.deepEqual(s.split, { weights: { blue: 50, green: 50 }, stable: 'blue', candidates: ['green'], stickyBy: 'header x-user-id' });
    assert.equal(typeof s.rules.version, 'string');
    assert.equal(s.metrics.targets.length, 3);
    assert.ok(s.metrics.targets.every((t: { ok: boolean }) => t.ok));
    // green has no base-service endpoint: its requests leave the lane for the untagged version
    assert.deepEqual(cell(s, 'base-service', 'green').fallback.map((f: { via: string; to: string }) => [f.via, f.to]), [['untagged', '-']]);
    assert.deepEqual(cell(s, 'base-service', 'blue').fallback, []);
    assert.deepEqual(cell(s, 'base-service', 'blue').endpoints.healthy, 1);
    assert.ok(cell(s, 'base-service', 'blue').p99Ms > 0);
    assert.ok(cell(s, 'base-service', '-').servedForOthersRps > 0);
    // frontend runs untagged only: both colors are served outside their lanes there
    assert.deepEqual(cell(s, 'frontend', 'blue').fallback.map((f: { to: string }) => f.to), ['-']);
  });

  test('GET / is the self-contained page, with a CSP that loads nothing from elsewhere', async () => {
    const page = await request(mesh.consolePort, { path: '/', headers: { host: `localhost:${mesh.consolePort}` } });
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.doesNotMatch(page.text, /(src|href)=["']?(https?:)?\/\//i, 'no external script, style or link');
    assert.match(page.text, /id="lanemap"/);
  });

  test('POST /api/split writes the weights and nothing else; answers the new rules version, which the sidecars then report', async () => {
    const before = await state();
    const r = await post('/api/split', { weights: { blue: 90, green: 10 }, version: before.rules.version });
    assert.equal(r.status, 200, r.text);
    assert.match(r.json.version, /^[0-9a-f]{12}$/);
    assert.notEqual(r.json.version, before.rules.version);
    assert.equal(r.json.changed, true);
    assert.deepEqual(r.json.weights, { blue: 90, green: 10 });
    assert.equal(rules(), rulesWithWeights(mesh.initialRules, { blue: 90, green: 10 }));
    const after = await state();
    assert.equal(after.rules.version, r.json.version, 'the state shows the write at once');
    assert.deepEqual(after.split.weights, { blue: 90, green: 10 });
    for (const port of mesh.metricsPorts) {
      await until('the sidecar to load the new rules', async () => (await request(port, { path: '/metrics' })).text.includes(`colormesh_config_info{hash="${r.json.version}"`), 10_000);
    }
  });

  test('the same weights again: 200, nothing written', async () => {
    const r = await post('/api/split', { weights: { blue: 90 } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.changed, false);
  });

  const refusals: Array<[string, () => Promise<Reply>, number, string]> = [
    ['a negative weight (the validator\'s message)', () => post('/api/split', { weights: { green: -5 } }), 400, 'invalid_rules'],
    ['a weight that is not a number', () => post('/api/split', { weights: { green: 'abc' } }), 400, 'invalid_weight'],
    ['a color outside the allow-list', () => post('/api/split', { weights: { purple: 10 } }), 400, 'invalid_rules'],
    ['weights adding up to 0', () => post('/api/split', { weights: { blue: 0, green: 0 } }), 400, 'invalid_rules'],
    ['not JSON', () => post('/api/split', '{weights'), 400, 'invalid_json'],
    ['a stale version (someone else wrote since)', () => post('/api/split', { weights: { blue: 10, green: 90 }, version: 'stale' }), 409, 'conflict'],
    ['a rollback of the stable color', () => post('/api/rollback', { color: 'blue' }), 400, 'not_a_candidate'],
    ['no JSON content type (a cross-site form)', () => post('/api/split', { weights: { blue: 10, green: 90 } }, { 'content-type': 'text/plain' }), 403, 'forbidden_content_type'],
    ['another site\'s Origin', () => post('/api/split', { weights: { blue: 10, green: 90 } }, { origin: 'http://evil.example' }), 403, 'forbidden_origin'],
    ['a rebound DNS name in Host', () => post('/api/split', { weights: { blue: 10, green: 90 } }, { host: `evil.example:${mesh.consolePort}`, origin: `http://evil.example:${mesh.consolePort}` }), 403, 'forbidden_host'],
  ];
  for (const [why, send, status, error] of refusals) {
    test(`refused, nothing written: ${why} → ${status} ${error}`, async () => {
      const text = rules();
      const r = await send();
      assert.equal(r.status, status, r.text);
      assert.equal(r.json.error, error);
      assert.equal(typeof r.json.message, 'string');
      assert.ok(r.json.message.length > 0);
      assert.equal(rules(), text, 'the rule file is unchanged');
    });
  }

  test('the message says what is wrong', async () => {
    assert.match((await post('/api/split', { weights: { green: -5 } })).json.message, /-5/);
    assert.match((await post('/api/split', { weights: { purple: 10 } })).json.message, /purple/);
  });

  test('GET with a rebound Host is refused too (the state is not readable cross-site)', async () => {
    const r = await request(mesh.consolePort, { path: '/api/state', headers: { host: 'evil.example' } });
    assert.equal(r.status, 403);
  });

  test('POST /api/rollback moves the candidate\'s weight to the stable color', async () => {
    const r = await post('/api/rollback', { color: 'green' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.weights, { blue: 100, green: 0 });
    assert.equal(rules(), rulesWithWeights(mesh.initialRules, { blue: 100, green: 0 }));
  });

  test('POST /api/rollback with "to": the weight goes there, even when it is not the largest', async () => {
    assert.equal((await post('/api/split', { weights: { blue: 30, green: 70 } })).status, 200);
    const r = await post('/api/rollback', { color: 'green', to: 'blue' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.weights, { blue: 100, green: 0 });
  });

  test('a body over 64 KiB gets its 413', async () => {
    const r = await post('/api/split', JSON.stringify({ weights: { blue: 1 }, pad: 'x'.repeat(100_000) }));
    assert.deepEqual([r.status, r.json.error], [413, 'body_too_large']);
  });

  test('unknown paths and methods', async () => {
    assert.equal((await request(mesh.consolePort, { path: '/nope', headers: { host: `127.0.0.1:${mesh.consolePort}` } })).status, 404);
    const r = await request(mesh.consolePort, { path: '/api/split', headers: { host: `127.0.0.1:${mesh.consolePort}` } });
    assert.equal(r.status, 405);
    assert.equal(r.headers['allow'], 'POST');
    const head = await request(mesh.consolePort, { method: 'HEAD', path: '/', headers: { host: `127.0.0.1:${mesh.consolePort}` } });
    assert.deepEqual([head.status, head.text], [200, '']);
  });

  test('the traffic kept flowing through every write', () => {
    assert.ok(mesh.traffic.sent > 20, `sent ${mesh.traffic.sent}`);
  });
});
