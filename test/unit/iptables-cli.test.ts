// `colormesh iptables print` flags and environment variables (SPEC 6); print needs no privileges and runs nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const COLORMESH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');

function colormesh(args: string[], env: Record<string, string> = {}): { status: number; stdout: string; stderr: string } {
  // A clean environment: no COLORMESH_* variable of the caller leaks in; PATH has no iptables on purpose.
  const result = spawnSync(process.execPath, [COLORMESH, 'iptables', ...args], { encoding: 'utf8', env: { PATH: '/nonexistent', ...env } });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

const ruleLines = (text: string): string[] => text.split('\n').filter((line) => line.startsWith('-A '));

describe('colormesh iptables print', () => {
  let dir: string;
  let rulesPath: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'colormesh-iptables-cli-'));
    rulesPath = path.join(dir, 'rules.yaml');
    writeFileSync(rulesPath, 'version: 1\nservices:\n  a: { port: 7070, endpoints: [{ address: "127.0.0.1:1" }] }\n  b: { port: 7171, endpoints: [{ address: "127.0.0.1:2" }] }\n  c: { port: 7070, endpoints: [{ address: "127.0.0.1:3" }] }\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('defaults: inbound from --app-port, outbound from the rule file\'s service ports, Istio\'s ports and uid', () => {
    const out = colormesh(['print', '--app-port', '8080', '--config', rulesPath]);
    assert.equal(out.status, 0, out.stderr);
    const rules = ruleLines(out.stdout);
    assert.ok(rules.includes('-A COLORMESH_INBOUND -p tcp -m tcp --dport 8080 -j COLORMESH_IN_REDIRECT'));
    assert.deepEqual(rules.filter((r) => r.endsWith('-j COLORMESH_REDIRECT')), [
      '-A COLORMESH_OUTPUT -p tcp -m tcp --dport 7070 -j COLORMESH_REDIRECT',
      '-A COLORMESH_OUTPUT -p tcp -m tcp --dport 7171 -j COLORMESH_REDIRECT',
    ]);
    assert.ok(rules.includes('-A COLORMESH_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006'));
    assert.ok(rules.includes('-A COLORMESH_REDIRECT -p tcp -j REDIRECT --to-ports 15001'));
    assert.ok(rules.includes('-A COLORMESH_OUTPUT -m owner --uid-owner 1337 -j RETURN'));
    assert.doesNotMatch(out.stdout, /ip6tables/, 'IPv6 is off unless asked for');
  });

  test('every flag reads its environment variable', () => {
    const out = colormesh(['print'], {
      COLORMESH_APP_PORT: '9000',
      COLORMESH_OUTBOUND_PORTS: '*',
      COLORMESH_EXCLUDE_OUTBOUND_PORTS: '5432',
      COLORMESH_EXCLUDE_OUTBOUND_CIDRS: '10.96.0.0/12',
      COLORMESH_PROXY_UID: '2000',
      COLORMESH_INBOUND_PORT: '16006',
      COLORMESH_OUTBOUND_PORT: '16001',
      COLORMESH_IPTABLES_IPV6: 'true',
    });
    assert.equal(out.status, 0, out.stderr);
    const v4 = ruleLines(out.stdout.split('ip6tables')[0] ?? '');
    assert.ok(v4.includes('-A COLORMESH_INBOUND -p tcp -m tcp --dport 9000 -j COLORMESH_IN_REDIRECT'), v4.join('\n'));
    assert.ok(v4.includes('-A COLORMESH_OUTPUT -p tcp -j COLORMESH_REDIRECT'));
    assert.ok(v4.includes('-A COLORMESH_OUTPUT -p tcp -m tcp --dport 5432 -j RETURN'));
    assert.ok(v4.includes('-A COLORMESH_OUTPUT -d 10.96.0.0/12 -j RETURN'));
    assert.ok(v4.includes('-A COLORMESH_OUTPUT -m owner --uid-owner 2000 -j RETURN'));
    assert.ok(v4.includes('-A COLORMESH_OUTPUT -m owner --gid-owner 2000 -j RETURN'));
    assert.ok(v4.includes('-A COLORMESH_IN_REDIRECT -p tcp -j REDIRECT --to-ports 16006'));
    assert.ok(v4.includes('-A COLORMESH_REDIRECT -p tcp -j REDIRECT --to-ports 16001'));
    assert.match(out.stdout, /ip6tables/);
  });

  test('--inbound-ports wins over --app-port, and a flag over its variable', () => {
    const out = colormesh(['print', '--app-port', '8080', '--inbound-ports', '8443,9443', '--outbound-ports', '80'], { COLORMESH_OUTBOUND_PORTS: '81' });
    assert.equal(out.status, 0, out.stderr);
    const inbound = ruleLines(out.stdout).filter((r) => r.startsWith('-A COLORMESH_INBOUND'));
    assert.deepEqual(inbound.map((r) => r.match(/--dport (\d+)/)?.[1]), ['8443', '9443']);
    assert.match(out.stdout, /--dport 80 -j COLORMESH_REDIRECT/);
    assert.doesNotMatch(out.stdout, /--dport 81 /);
  });

  test('an unreadable rule file is a failure (exit 1) that says what to do; usage errors exit 2', () => {
    const noConfig = colormesh(['print', '--app-port', '8080', '--config', path.join(dir, 'missing.yaml')]);
    assert.equal(noConfig.status, 1);
    assert.match(noConfig.stderr, /give --outbound-ports/);
    for (const args of [['print', '--inbound-ports', '*', '--outbound-ports', '80'], ['print', '--exclude-outbound-cidrs', '300.1.1.1/8', '--outbound-ports', '80'], ['flush'], ['print', '--ipv6', 'maybe', '--outbound-ports', '80']]) {
      const out = colormesh(args);
      assert.equal(out.status, 2, `${args.join(' ')}: ${out.stderr}`);
    }
    const help = colormesh(['--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--exclude-outbound-cidrs/);
  });
});
