// `colormesh iptables apply|remove|print` against a real nat table in a throwaway network namespace:
// apply twice = apply once, remove restores what was there, print touches nothing, clear errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster, netnsSkipReason } from '../support/netns.js';

const skip = netnsSkipReason();
if (skip !== undefined) process.stdout.write(`# SKIP e2e iptables: ${skip}\n`);

const COLORMESH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');
const RULES = `version: 1
services:
  orders: { port: 8080, endpoints: [{ address: "10.9.0.1:8080" }] }
  billing: { port: 9090, endpoints: [{ address: "10.9.0.2:9090" }] }
`;

describe('colormesh iptables in a network namespace', { skip, timeout: 60_000 }, () => {
  let cluster: Cluster;
  let dir: string;
  let rulesPath: string;

  before(() => {
    cluster = Cluster.create(['pod']);
    dir = mkdtempSync(path.join(tmpdir(), 'colormesh-iptables-'));
    chmodSync(dir, 0o755);
    cluster.cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    rulesPath = path.join(dir, 'rules.yaml');
    writeFileSync(rulesPath, RULES, { mode: 0o644 });
    // Someone else's rules, which apply and remove must leave exactly as they are.
    for (const args of [['-N', 'OTHER_TOOL'], ['-A', 'OTHER_TOOL', '-p', 'udp', '-j', 'RETURN'], ['-A', 'OUTPUT', '-p', 'udp', '-j', 'OTHER_TOOL']]) {
      const result = cluster.exec('pod', 'iptables', ['-w', '-t', 'nat', ...args]);
      assert.equal(result.status, 0, result.stderr);
    }
  });
  after(() => cluster?.destroy());

  const colormesh = (args: string[], env: Record<string, string> = {}) =>
    cluster.exec('pod', 'env', ['-i', `PATH=${process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`, ...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, COLORMESH, 'iptables', ...args]);

  /** The nat table without comments and counters, so two snapshots compare by content only. */
  const snapshot = (binary = 'iptables-save'): string => {
    const saved = cluster.exec('pod', binary, ['-t', 'nat']);
    assert.equal(saved.status, 0, saved.stderr);
    return saved.stdout
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => line.replace(/\[\d+:\d+\]/, '[0:0]'))
      .join('\n');
  };

  test('print shows the plan and changes nothing; apply writes exactly what print showed', () => {
    const original = snapshot();
    const printed = colormesh(['print', '--app-port', '8080', '--config', rulesPath, '--exclude-outbound-cidrs', '10.96.0.0/12', '--ipv6', 'false']);
    assert.equal(printed.status, 0, printed.stderr);
    assert.equal(snapshot(), original);
    assert.match(printed.stdout, /-A COLORMESH_OUTPUT -p tcp -m tcp --dport 9090 -j COLORMESH_REDIRECT/, 'outbound ports come from the rule file');
    assert.match(printed.stdout, /-A COLORMESH_INBOUND -p tcp -m tcp --dport 8080 -j COLORMESH_IN_REDIRECT/);

    const applied = colormesh(['apply', '--app-port', '8080', '--config', rulesPath, '--exclude-outbound-cidrs', '10.96.0.0/12', '--ipv6', 'false']);
    assert.equal(applied.status, 0, applied.stderr);
    const table = snapshot().split('\n');
    for (const line of printed.stdout.split('\n').filter((l) => l.startsWith('-A '))) assert.ok(table.includes(line), `missing after apply: ${line}\n${table.join('\n')}`);
    assert.equal(colormesh(['remove', '--ipv6', 'false']).status, 0);
    assert.equal(snapshot(), original);
  });

  test('apply twice equals apply once, also with other options; remove restores the original table', () => {
    const original = snapshot();
    const flags = ['--inbound-ports', '8080,8443', '--outbound-ports', '80,8080', '--exclude-outbound-ports', '5432', '--ipv6', 'false'];
    assert.equal(colormesh(['apply', ...flags]).status, 0);
    const once = snapshot();
    assert.notEqual(once, original);
    assert.equal(colormesh(['apply', ...flags]).status, 0);
    assert.equal(snapshot(), once);
    // Different options on a second apply replace the first set rather than adding to it.
    assert.equal(colormesh(['apply', '--inbound-ports', '8080', '--outbound-ports', '*', '--ipv6', 'false']).status, 0);
    assert.doesNotMatch(snapshot(), /--dport 8443|--dport 5432/);
    assert.equal(snapshot().match(/-j COLORMESH_OUTPUT/g)?.length, 1, 'the OUTPUT jump was added twice');
    const removed = colormesh(['remove']);
    assert.equal(removed.status, 0, removed.stderr);
    assert.equal(snapshot(), original);
    assert.equal(colormesh(['remove']).status, 0, 'remove on a clean table is a no-op');
    assert.equal(snapshot(), original);
  });

  test('ip6tables gets the same chains when asked for (--ipv6 auto|true), and remove clears them too', (t) => {
    if (cluster.exec('pod', 'ip6tables', ['-w', '-t', 'nat', '-S']).status !== 0) {
      t.skip('ip6tables nat table not available here');
      return;
    }
    const original6 = snapshot('ip6tables-save');
    assert.equal(snapshot('ip6tables-save').includes('COLORMESH'), false);
    assert.equal(colormesh(['apply', '--app-port', '8080', '--outbound-ports', '8080']).status, 0);
    assert.equal(snapshot('ip6tables-save'), original6, 'ip6tables is programmed only when asked for');
    assert.equal(colormesh(['apply', '--ipv6', 'auto', '--app-port', '8080', '--outbound-ports', '8080', '--exclude-outbound-cidrs', 'fd00::/8,10.0.0.0/8']).status, 0);
    const v6 = snapshot('ip6tables-save');
    assert.match(v6, /-A COLORMESH_OUTPUT -d ::1\/128 -j RETURN/);
    assert.match(v6, /-A COLORMESH_OUTPUT -d fd00::\/8 -j RETURN/);
    assert.doesNotMatch(v6, /10\.0\.0\.0/);
    assert.equal(colormesh(['remove']).status, 0, 'remove clears ip6tables too, whatever --ipv6 says');
    assert.equal(snapshot('ip6tables-save'), original6);
  });

  test('clear errors: no CAP_NET_ADMIN, no iptables binary, bad flags', () => {
    const unprivileged = cluster.exec('pod', 'setpriv', ['--reuid=1337', '--regid=1337', '--clear-groups', process.execPath, COLORMESH, 'iptables', 'apply', '--app-port', '8080', '--outbound-ports', '8080']);
    assert.equal(unprivileged.status, 1);
    assert.match(unprivileged.stderr, /CAP_NET_ADMIN/);
    const missing = cluster.exec('pod', 'env', ['-i', 'PATH=/nonexistent', process.execPath, COLORMESH, 'iptables', 'apply', '--app-port', '8080', '--outbound-ports', '8080']);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /iptables not found on PATH/);
    const bad = colormesh(['apply', '--outbound-ports', '8080,99999']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /99999/);
    const noAction = colormesh([]);
    assert.equal(noAction.status, 2);
  });
});
