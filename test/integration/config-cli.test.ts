// `colormesh validate` and `colormesh explain` as an operator runs them: real processes, exit codes and output.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(here, '../../src/cli/main.js');
const FIXTURES = path.resolve(here, '../../../test/fixtures/rules');
const VALID = path.join(FIXTURES, 'valid.yaml');
const INVALID = path.join(FIXTURES, 'invalid.yaml');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function colormesh(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env }, timeout: 15_000 }, (error, stdout, stderr) => {
      resolve({ code: child.exitCode ?? (error ? 1 : 0), stdout, stderr });
    });
  });
}

describe('colormesh validate', () => {
  test('a valid file: exit 0 and one summary line with the service count and hash', async () => {
    const run = await colormesh(['validate', VALID]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^${VALID.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ok \\(3 services, hash [0-9a-f]{12}\\)\\n$`));
    assert.equal(run.stderr, '');
  });

  test('an invalid file: exit 1 and every problem as file:line:col: path: message', async () => {
    const run = await colormesh(['validate', INVALID]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    const lines = run.stderr.trimEnd().split('\n');
    assert.deepEqual(lines.slice(0, 3).map((l) => l.split(': ').slice(0, 2).join(': ')), [
      `${INVALID}:5:5: services.base-service.forse`,
      `${INVALID}:8:20: services.base-service.endpoints[1].address`,
      `${INVALID}:9:45: services.base-service.endpoints[2].color`,
    ]);
    assert.equal(lines[3], `${INVALID}: 3 problems`);
  });

  test('--config and COLORMESH_CONFIG name the file when no argument does', async () => {
    assert.equal((await colormesh(['validate', '--config', VALID])).code, 0);
    assert.equal((await colormesh(['validate'], { COLORMESH_CONFIG: INVALID })).code, 1);
  });

  test('a missing file exits 1 with a clear message; no file at all is a usage error (2)', async () => {
    const missing = await colormesh(['validate', path.join(FIXTURES, 'does-not-exist.yaml')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /does-not-exist\.yaml: cannot read the rule file: no such file/);
    const none = await colormesh(['validate']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /which file\?/);
  });

  test('--help exits 0', async () => {
    const run = await colormesh(['validate', '--help']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /usage: colormesh validate FILE/);
  });
});

describe('colormesh explain', () => {
  test('a color with endpoints routes exactly (exit 0)', async () => {
    const run = await colormesh(['explain', '--config', VALID, '--service', 'base-service', '--color', 'BLUE']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /decision: route via exact/);
    assert.match(run.stdout, /x-colormesh-route: base-service;color=blue;via=exact/);
    assert.match(run.stdout, /127\.0\.0\.1:9101 {2}blue/);
  });

  test('no untagged endpoint: defaultColor serves an uncolored request (--json)', async () => {
    const run = await colormesh(['explain', '--json', '--service', 'base-service'], { COLORMESH_CONFIG: VALID });
    assert.equal(run.code, 0, run.stderr);
    const explanation = JSON.parse(run.stdout) as { decision: { ok: boolean; via?: string }; candidates: { address: string }[] };
    assert.deepEqual(explanation.decision, { ok: true, via: 'default' });
    assert.deepEqual(explanation.candidates.map((c) => c.address), ['127.0.0.1:9102']);
  });

  test('force with no endpoint of the color is 503 no_endpoint (exit 1)', async () => {
    const run = await colormesh(['explain', '--config', VALID, '--service', 'strict-service', '--color', 'green']);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /decision: 503 no_endpoint/);
    assert.match(run.stdout, /force is true/);
  });

  test('an unknown service exits 1; a missing --service is a usage error (2)', async () => {
    const unknown = await colormesh(['explain', '--config', VALID, '--service', 'nope']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stdout, /not in the rules/);
    const usage = await colormesh(['explain', '--config', VALID]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--service is required/);
  });

  test('kubernetes discovery: says endpoints are found at runtime and shows the rule part', async () => {
    const run = await colormesh(['explain', '--config', VALID, '--service', 'live-service', '--color', 'blue']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /discovered at runtime \(Service shop\/live-service/);
    assert.match(run.stdout, /force is false/);
  });

  test('an invalid rule file exits 1 with its problems', async () => {
    const run = await colormesh(['explain', '--config', INVALID, '--service', 'base-service']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /invalid\.yaml:5:5: services\.base-service\.forse/);
  });

  test('--admin asks a running sidecar and uses its answer', async () => {
    const asked: string[] = [];
    const answer = {
      service: 'base-service', serviceFound: true, requestedColor: 'green', color: 'green', colorProblem: null,
      decision: { ok: false, error: 'no_endpoint' }, routeHeader: 'base-service;color=green;via=none',
      candidates: [], endpoints: [], reasons: ['served by a fake admin endpoint'],
    };
    const server = createServer((req, res) => {
      asked.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const run = await colormesh(['explain', '--admin', `http://127.0.0.1:${port}`, '--service', 'base-service', '--color', 'green']);
      assert.equal(run.code, 1, run.stderr);
      assert.deepEqual(asked, ['/explain?service=base-service&color=green']);
      assert.match(run.stdout, /decision: 503 no_endpoint/);
      assert.match(run.stdout, /served by a fake admin endpoint/);
    } finally {
      server.close();
    }
  });
});
