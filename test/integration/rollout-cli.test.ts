// `colormesh rollout` against real sidecars on loopback: a healthy candidate is promoted, a faulty one is
// rolled back by itself (and the sidecars follow the rollback write within a second, losing no request),
// signals roll back, bad input changes nothing, a concurrent edit stops the rollout, and the PromQL mode
// works against a small fake Prometheus.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { RolloutMesh, type Sent } from '../support/rollout-mesh.js';
import { deadPort } from '../support/mesh.js';
import { parsePromText } from '../../src/release/prom-text.js';
import { FileRulesStore } from '../../src/release/rules-store.js';
import { writeSplit } from '../../src/release/write-split.js';

const FAST = ['--interval', '1s', '--min-requests', '5'];

function lanes(requests: readonly Sent[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of requests) counts[r.lane] = (counts[r.lane] ?? 0) + 1;
  return counts;
}

describe('colormesh rollout on a loopback mesh', () => {
  const mesh = new RolloutMesh();
  const reset = (weights = '{ blue: 100, green: 0 }'): string => {
    const text = mesh.rules(weights);
    writeFileSync(mesh.rulesPath, text);
    return text;
  };

  before(async () => {
    await mesh.start();
    mesh.startTraffic();
  });
  after(() => mesh.stop());

  test('a healthy candidate is promoted step by step: exit 0, only the weights changed', async () => {
    const original = reset();
    await new Promise((r) => setTimeout(r, 300));
    const result = await mesh.rollout(['--config', mesh.rulesPath, '--to', 'green', '--steps', '50,100', '--metrics', mesh.metricsUrls.join(','), ...FAST]);
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.equal(readFileSync(mesh.rulesPath, 'utf8'), original.replace('{ blue: 100, green: 0 }', '{ blue: 0, green: 100 }'));
    const lines = result.stdout.trim().split('\n');
    assert.ok(lines.length >= 8, result.stdout); // at least 4 samples per step
    for (const line of lines) assert.match(line, /^step [12]\/2 green (50|100)% .*\| (ok|waiting)$/);
    assert.equal(lines.filter((l) => l.endsWith('| step passed | ok')).length, 2);
    // The release console learns of the rollout from the status file beside the rules (docs/console.md).
    const status = JSON.parse(readFileSync(`${mesh.rulesPath}.rollout.json`, 'utf8')) as { state: string; step: number; steps: number[]; from: string; to: string };
    assert.deepEqual({ state: status.state, step: status.step, steps: status.steps, from: status.from, to: status.to }, { state: 'promoted', step: 1, steps: [50, 100], from: 'blue', to: 'green' });
    assert.match(lines[0] as string, /green \d+ req \d+\.\d% 5xx p99 ([\d.]+ms|-) \| blue \d+ req/);
  });

  test('a faulty candidate is rolled back at once; the sidecars follow within a second; no request is lost', async () => {
    reset();
    // Every green answer fails, so the first judged sample fails (with a share, a step could pass by luck).
    mesh.greenFailPercent = 100;
    const from = mesh.sent.length;
    await new Promise((r) => setTimeout(r, 300));
    const result = await mesh.rollout(['--config', mesh.rulesPath, '--to', 'green', '--metrics', mesh.metricsUrls.join(','), ...FAST]);
    await new Promise((r) => setTimeout(r, 1200));
    mesh.greenFailPercent = 0;
    assert.equal(result.code, 1, result.stderr + result.stdout);
    assert.match(result.stdout.trim().split('\n').at(-1) as string, /^step 1\/4 green 10% .*\| failed: 5xx .*% > 1\.0% .*5xx at (frontend|web) \d+, (frontend|web) \d+; failing: web$/);
    assert.match(result.stderr, /rolled back \(5xx/);
    assert.match(readFileSync(`${mesh.rulesPath}.rollout.json`, 'utf8'), /"state": "rolled-back"/);
    assert.match(readFileSync(mesh.rulesPath, 'utf8'), /weights: {3}\{ blue: 100, green: 0 \}/);
    // The rollback is the last write: every green request sent more than a second later would be a sidecar still on old weights.
    const writtenAt = statSync(mesh.rulesPath).mtimeMs;
    const during = mesh.sent.slice(from);
    const lastGreen = Math.max(0, ...during.filter((r) => r.lane === 'green').map((r) => r.sentAt));
    const followMs = lastGreen - writtenAt;
    process.stdout.write(`# rollback write → last green request: ${Math.round(followMs)} ms; lanes during: ${JSON.stringify(lanes(during))}\n`);
    assert.ok(followMs < 1000, `a green request was sent ${followMs} ms after the rollback write`);
    assert.equal(during.filter((r) => r.status === 0).length, 0, 'every request got an answer');
    assert.ok(during.some((r) => r.lane === 'blue' && r.sentAt > writtenAt), 'traffic went on after the rollback');
  });

  for (const [signal, exit] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    test(`${signal} during a rollout rolls back and exits ${exit}`, async () => {
      reset();
      const result = await mesh.rollout(['--config', mesh.rulesPath, '--to', 'green', '--metrics', mesh.metricsUrls.join(','), '--interval', '10s'], (_line, child) => child.kill(signal));
      assert.equal(result.code, exit, result.stderr);
      assert.match(readFileSync(mesh.rulesPath, 'utf8'), /\{ blue: 100, green: 0 \}/);
    });
  }

  test('bad input: exit 2, a clear message, the file untouched', async () => {
    const original = reset('{ blue: 90, green: 10 }');
    const metrics = ['--metrics', mesh.metricsUrls.join(',')];
    const cases: Array<[string[], RegExp]> = [
      [['--to', 'purple', ...metrics], /unknown color "purple"/],
      [['--to', 'green', '--steps', '10,50', ...metrics], /last share must be 100/],
      [['--to', 'green', '--steps', '50,25,100', ...metrics], /must increase/],
      [['--to', 'green', '--interval', '10', ...metrics], /not a duration/],
      [['--to', 'green'], /--metrics/],
      [['--to', 'green', '--max-error-rate', 'lots', ...metrics], /--max-error-rate/],
      [['--from', 'green', ...metrics], /--to COLOR is required/],
    ];
    for (const [args, message] of cases) {
      const result = await mesh.rollout(['--config', mesh.rulesPath, ...args]);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.equal(readFileSync(mesh.rulesPath, 'utf8'), original);
    }
    const noSplit = join(mesh.dir, 'no-split.yaml');
    writeFileSync(noSplit, 'version: 1\nservices:\n  web:\n    endpoints: [{ address: "127.0.0.1:9", color: green }]\n');
    const result = await mesh.rollout(['--config', noSplit, '--to', 'green', ...metrics]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /no ingress\.split/);
  });

  test('an unreachable metrics URL fails the step, names the URL, and rolls back', async () => {
    reset();
    const dead = `http://127.0.0.1:${await deadPort()}/metrics`;
    const result = await mesh.rollout(['--config', mesh.rulesPath, '--to', 'green', '--metrics', `${mesh.metricsUrls[0]},${dead}`, ...FAST]);
    assert.equal(result.code, 1);
    assert.ok(result.stdout.includes(`failed: cannot scrape ${dead}`), result.stdout);
    assert.match(readFileSync(mesh.rulesPath, 'utf8'), /\{ blue: 100, green: 0 \}/);
  });

  test('someone else edits the rules mid-rollout: exit 3, their edit kept, nothing more written', async () => {
    reset();
    let edited = false;
    const result = await mesh.rollout(['--config', mesh.rulesPath, '--to', 'green', '--steps', '50,100', '--metrics', mesh.metricsUrls.join(','), ...FAST], () => {
      if (edited) return;
      edited = true;
      appendFileSync(mesh.rulesPath, '# an operator was here\n');
    });
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /conflict: .*changed by someone else/);
    const text = readFileSync(mesh.rulesPath, 'utf8');
    assert.ok(text.endsWith('# an operator was here\n'));
    assert.match(text, /\{ blue: 50, green: 50 \}/, 'step 1 stays as it was when the conflict was found');
  });

  test('every sidecar has a rule-file write in force well within a second (measured)', async () => {
    reset();
    const store = new FileRulesStore(mesh.rulesPath);
    const timings: number[] = [];
    for (let i = 0; i < 10; i++) {
      const written = await writeSplit(store, { blue: 100 - i * 5 - 5, green: i * 5 + 5 });
      const t0 = Date.now();
      const deadline = t0 + 5000;
      while ((await mesh.configHashes()).some((h) => h !== written.rulesVersion)) {
        assert.ok(Date.now() < deadline, 'the sidecars did not take the new rules within 5 s');
        await new Promise((r) => setTimeout(r, 5));
      }
      timings.push(Date.now() - t0);
    }
    timings.sort((a, b) => a - b);
    process.stdout.write(`# file write → all 3 sidecars on the new rules: median ${timings[5]} ms, max ${timings[9]} ms (${timings.join(', ')})\n`);
    assert.ok((timings[9] as number) < 1000);
  });

  test('--abort sets the candidate to 0 at once', async () => {
    reset('{ blue: 70, green: 30 }');
    const result = await mesh.rollout(['--config', mesh.rulesPath, '--to', 'green', '--abort']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(readFileSync(mesh.rulesPath, 'utf8'), /\{ blue: 100, green: 0 \}/);
  });

  test('--prometheus: the lanes are read with PromQL', async () => {
    reset();
    const queries: string[] = [];
    const prometheus = await fakePrometheus(mesh.metricsUrls, queries);
    try {
      const result = await mesh.rollout(['--config', mesh.rulesPath, '--to', 'green', '--steps', '100', '--prometheus', prometheus.url, ...FAST]);
      assert.equal(result.code, 0, result.stderr + result.stdout);
      assert.ok(queries.length >= 5);
      assert.match(queries[0] as string, /^\{__name__=~"colormesh_requests_total\|colormesh_request_duration_seconds_bucket",direction="inbound",color=~"green\|blue"\}$/);
    } finally {
      await prometheus.close();
    }
  });
});

/**
 * A stand-in for Prometheus's /api/v1/query that answers the rollout's selector by scraping the sidecars
 * itself (each sidecar as its own `instance`), the way Prometheus would hold those series.
 */
async function fakePrometheus(targets: readonly string[], queries: string[]): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://prometheus');
    const query = url.searchParams.get('query') ?? '';
    queries.push(query);
    const colors = /color=~"([^"]+)"/.exec(query)?.[1]?.split('|') ?? [];
    void Promise.all(targets.map(async (target) => ({ target, text: await (await fetch(target)).text() }))).then((scraped) => {
      const result = scraped.flatMap(({ target, text }) =>
        parsePromText(text)
          .filter((s) => (s.name === 'colormesh_requests_total' || s.name === 'colormesh_request_duration_seconds_bucket') && s.labels['direction'] === 'inbound' && colors.includes(s.labels['color'] ?? ''))
          .map((s) => ({ metric: { __name__: s.name, ...s.labels, instance: new URL(target).host, job: 'colormesh' }, value: [Date.now() / 1000, String(s.value)] })),
      );
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
