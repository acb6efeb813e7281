// IPv6 interception: with `iptables apply --ipv6 true` and `run --outbound-bind ::`, an app whose service name
// resolves to an IPv6 address is redirected by ip6tables and still routed by color.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { netnsSkipReason } from '../support/netns.js';
import { Mesh } from '../support/e2e-mesh.js';
import { laneIntegrity } from '../support/e2e-lanes.js';

const skip = netnsSkipReason({ ipv6: true });
if (skip !== undefined) process.stdout.write(`# SKIP e2e ipv6: ${skip}\n`);

function redirectedConnections(mesh: Mesh, binary: 'iptables' | 'ip6tables'): number {
  const listed = mesh.cluster.exec('a', binary, ['-w', '-t', 'nat', '-L', 'COLORMESH_REDIRECT', '-v', '-n', '-x']);
  assert.equal(listed.status, 0, listed.stderr);
  return Number(listed.stdout.split('\n')[2]?.trim().split(/\s+/)[0] ?? NaN);
}

describe('IPv6 interception (dual-stack netns pods)', { skip, timeout: 60_000 }, () => {
  let mesh: Mesh;

  before(async () => {
    mesh = new Mesh({
      pods: [
        { name: 'client' },
        { name: 'a', service: 'svc-a', app: { NEXT: 'http://svc-c:8080/c', FORWARD: 'baggage' } },
        { name: 'c', service: 'svc-c' },
        { name: 'c-blue', service: 'svc-c', color: 'blue' },
      ],
      hosts: { 'svc-a': 'a' },
      // The app in pod a reaches svc-c over IPv6 only.
      ipv6Hosts: { 'svc-c': 'c' },
      rules: (ip) => `version: 1
services:
  svc-a: { port: 8080, endpoints: [{ address: "${ip('a')}:8080" }] }
  svc-c:
    port: 8080
    endpoints: [{ address: "${ip('c')}:8080" }, { address: "${ip('c-blue')}:8080", color: blue }]
`,
      iptablesFlags: ['--ipv6', 'true'],
      sidecarFlags: ['--outbound-bind', '::'],
    });
    await mesh.start();
  });
  after(() => mesh?.destroy());

  test('calls over IPv6 are redirected by ip6tables and keep their lane', async () => {
    const v4Before = redirectedConnections(mesh, 'iptables');
    const v6Before = redirectedConnections(mesh, 'ip6tables');
    const requests = Array.from({ length: 20 }, (_, id) => ({
      id,
      url: `http://${mesh.cluster.pod('a').ip}:8080/a`,
      headers: id % 2 === 0 ? { baggage: 'color=blue' } : ({} as Record<string, string>),
    }));
    const results = await mesh.drive('client', { requests, concurrency: 4, timeoutMs: 10_000 });
    const figure = laneIntegrity('ipv6 (ip6tables, --outbound-bind ::)', results, requests.length, (id) => ({ pods: id % 2 === 0 ? ['a', 'c-blue'] : ['a', 'c'] }));
    assert.deepEqual(figure.wrong, [], `${figure.wrong.slice(0, 5).join('\n')}\n${mesh.diagnostics()}`);
    assert.equal(redirectedConnections(mesh, 'ip6tables') - v6Before, requests.length, 'each app call went through ip6tables once');
    assert.equal(redirectedConnections(mesh, 'iptables') - v4Before, 0, 'no app call took the IPv4 path');
  });
});
