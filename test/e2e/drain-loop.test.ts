// Issue 3, scenarios 6 and 7: SIGTERM during a burst of slow requests loses none of them, and the sidecar's own
// upstream connections never loop back into it, even when every outbound TCP port is intercepted.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { netnsSkipReason } from '../support/netns.js';
import { Mesh } from '../support/e2e-mesh.js';
import { chainExpectation, chainMesh, ENTRY_URL_PATH } from '../support/e2e-chain.js';
import { hopsOf, laneIntegrity, laneRequests } from '../support/e2e-lanes.js';

const skip = netnsSkipReason();
if (skip !== undefined) process.stdout.write(`# SKIP e2e drain/loop: ${skip}\n`);

const APP_PODS = ['entry', 'a', 'a-blue', 'b', 'c', 'c-blue', 'c-green'];
const SLOW_MS = 2500;

/** Packet counters of one nat chain in a pod, rule by rule (the nat table sees one packet per new connection). */
function counters(mesh: Mesh, pod: string, chain: string): { packets: number; rule: string }[] {
  const listed = mesh.cluster.exec(pod, 'iptables', ['-w', '-t', 'nat', '-L', chain, '-v', '-n', '-x']);
  assert.equal(listed.status, 0, listed.stderr);
  return listed.stdout
    .split('\n')
    .slice(2)
    .filter((line) => line.trim() !== '')
    .map((line) => ({ packets: Number(line.trim().split(/\s+/)[0]), rule: line.trim() }));
}

describe('drain on SIGTERM and no redirect loop (netns pods)', { skip, timeout: 120_000 }, () => {
  let mesh: Mesh;

  before(async () => {
    mesh = new Mesh(chainMesh());
    await mesh.start();
  });
  after(() => mesh?.destroy());

  test('6: SIGTERM to a mid-chain sidecar during a burst of slow requests loses none of them', async () => {
    const slow = { DELAY_MS: String(SLOW_MS), LOG_ARRIVALS: '1' };
    await Promise.all(APP_PODS.map((pod) => mesh.startApp(pod, { FORWARD: 'baggage', ...(pod.startsWith('c') ? slow : {}) })));
    const { requests, laneOf } = laneRequests(`http://${mesh.cluster.pod('entry').ip}:8080${ENTRY_URL_PATH}`, 10);
    const sidecar = mesh.sidecars.get('b');
    assert.ok(sidecar !== undefined);
    const exited = once(sidecar, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    // Every request is in flight at svc-c (sleeping SLOW_MS) when svc-b's sidecar is told to stop: it holds
    // each of them twice, on its inbound side (from a) and on its outbound side (to c).
    const burst = mesh.drive('client', { requests, concurrency: requests.length, timeoutMs: 20_000 });
    const arrivedAtC = (): number => ['c', 'c-blue', 'c-green'].reduce((sum, pod) => sum + mesh.appOutputCount(pod, 'arrived'), 0);
    const waitUntil = Date.now() + 10_000;
    while (arrivedAtC() < requests.length && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 20));
    assert.equal(arrivedAtC(), requests.length, 'the burst never got fully in flight');
    const signalledAt = Date.now();
    sidecar.kill('SIGTERM');
    const results = await burst;
    const [code, signal] = await exited;
    const drainMs = Date.now() - signalledAt;
    const figure = laneIntegrity('6 (SIGTERM mid-burst)', results, requests.length, (id) => chainExpectation(laneOf(id)));
    assert.deepEqual(figure.wrong, [], `lost or misrouted:\n${figure.wrong.slice(0, 8).join('\n')}\n${mesh.diagnostics()}`);
    assert.equal(signal, null, `the sidecar died of ${signal} instead of draining`);
    assert.equal(code, 0, `the sidecar exited with ${code}:\n${mesh.logs.get('sidecar b') ?? ''}`);
    assert.ok(drainMs < 10_000, `drain took ${drainMs} ms, beyond its timeout`);
    process.stdout.write(`# drain: ${results.length} requests answered 200 after SIGTERM; sidecar exited 0 after ${drainMs} ms\n`);
    // Put the pod back for the next scenario, as a Deployment would.
    await mesh.startSidecar('b');
  });

  test('7: with every TCP port intercepted, only the app\'s own connections are redirected', async () => {
    await Promise.all(APP_PODS.map((pod) => mesh.startApp(pod, { FORWARD: 'baggage' })));
    // Re-applying with other options also exercises apply's idempotence on a live pod.
    mesh.applyIptables('a', ['--outbound-ports', '*']);
    const redirectBefore = counters(mesh, 'a', 'COLORMESH_REDIRECT')[0]?.packets ?? 0;
    const ownerBefore = counters(mesh, 'a', 'COLORMESH_OUTPUT')[0]?.packets ?? 0;

    const { requests, laneOf } = laneRequests(`http://${mesh.cluster.pod('entry').ip}:8080${ENTRY_URL_PATH}`, 10);
    const results = await mesh.drive('client', { requests, concurrency: 5, timeoutMs: 10_000 });
    const figure = laneIntegrity('7 (no redirect loop, all TCP intercepted in svc-a)', results, requests.length, (id) => chainExpectation(laneOf(id)));
    assert.deepEqual(figure.wrong, [], `${figure.wrong.slice(0, 8).join('\n')}\n${mesh.diagnostics()}`);

    // The app in pod a opens one connection per call (agent: false); each one is redirected once. Had the
    // sidecar's own connection to svc-b been redirected too, it would come back to the sidecar, again and again.
    const throughA = results.filter((r) => hopsOf(r.body).pods.includes('a')).length;
    const redirected = (counters(mesh, 'a', 'COLORMESH_REDIRECT')[0]?.packets ?? 0) - redirectBefore;
    const exemptOwner = (counters(mesh, 'a', 'COLORMESH_OUTPUT')[0]?.packets ?? 0) - ownerBefore;
    process.stdout.write(`# loop check: ${throughA} calls through pod a, ${redirected} connections redirected, ${exemptOwner} sidecar connections exempted by uid\n`);
    assert.ok(throughA > 0);
    assert.equal(redirected, throughA);
    assert.ok(exemptOwner >= 1, 'the sidecar made no connection of its own: the chain did not go through it');
    mesh.applyIptables('a', []);
  });
});
