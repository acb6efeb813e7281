// Issue 3, scenarios 1–4: lanes through a 4-hop chain of pods (network namespaces) with transparent interception,
// whatever the apps forward: baggage, only traceparent, nothing (pod colors), and force answering 503 at its hop.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { netnsSkipReason } from '../support/netns.js';
import { Mesh } from '../support/e2e-mesh.js';
import { chainExpectation, chainMesh, ENTRY_URL_PATH } from '../support/e2e-chain.js';
import { laneIntegrity, laneRequests, type Expectation, type Lane } from '../support/e2e-lanes.js';

const skip = netnsSkipReason();
if (skip !== undefined) process.stdout.write(`# SKIP e2e lanes: ${skip}\n`);

const PER_LANE = 20;
const APP_PODS = ['entry', 'a', 'a-blue', 'b', 'c', 'c-blue', 'c-green'];

describe('lanes through a 4-hop chain (netns pods, iptables interception)', { skip, timeout: 120_000 }, () => {
  let mesh: Mesh;

  before(async () => {
    mesh = new Mesh(chainMesh());
    await mesh.start();
  });
  after(() => mesh?.destroy());

  /** Restarts every app with the same extra environment (the apps themselves are never changed). */
  async function setApps(env: Record<string, string>): Promise<void> {
    await Promise.all(APP_PODS.map((pod) => mesh.startApp(pod, env)));
  }

  async function runLanes(scenario: string, expect: (lane: Lane) => Expectation): Promise<void> {
    const { requests, laneOf } = laneRequests(`http://${mesh.cluster.pod('entry').ip}:8080${ENTRY_URL_PATH}`, PER_LANE);
    const results = await mesh.drive('client', { requests, concurrency: 6, timeoutMs: 15_000 });
    const figure = laneIntegrity(scenario, results, requests.length, (id) => expect(laneOf(id)));
    assert.deepEqual(figure.wrong, [], `misrouted requests:\n${figure.wrong.slice(0, 10).join('\n')}\n${mesh.diagnostics()}`);
    assert.equal(figure.rightEveryHop, requests.length);
  }

  test('1: apps forward baggage: every request reaches its lane at every hop', async () => {
    await setApps({ FORWARD: 'baggage' });
    await runLanes('1 (apps forward baggage)', chainExpectation);
  });

  test('2: apps forward only traceparent: the color comes back from the trace table', async () => {
    await setApps({ FORWARD: 'traceparent' });
    await runLanes('2 (apps forward only traceparent)', chainExpectation);
  });

  test('3: apps forward nothing: a colored pod keeps its calls in its lane', async () => {
    // Called directly (as a Deployment per lane would be), svc-a's pods call svc-c with no header at all:
    // only the pod's own color (SPEC 3, step 3) can keep the lane.
    await setApps({ FORWARD: 'none' });
    await Promise.all(['a', 'a-blue'].map((pod) => mesh.startApp(pod, { FORWARD: 'none', NEXT: 'http://svc-c:8080/c' })));
    const requests = Array.from({ length: PER_LANE * 2 }, (_, id) => ({
      id,
      url: `http://${mesh.cluster.pod(id % 2 === 0 ? 'a-blue' : 'a').ip}:8080/a`,
      headers: {},
    }));
    const results = await mesh.drive('client', { requests, concurrency: 6, timeoutMs: 15_000 });
    const figure = laneIntegrity('3 (apps forward nothing, pod colors)', results, requests.length, (id) =>
      id % 2 === 0 ? { pods: ['a-blue', 'c-blue'] } : { pods: ['a', 'c'] },
    );
    assert.deepEqual(figure.wrong, [], figure.wrong.slice(0, 10).join('\n'));
  });

  test('4: force answers 503 no_endpoint at the forced hop, and only for the missing color', async () => {
    // svc-b now calls svc-c-forced, which has untagged and blue pods but no green one, and force: true.
    await setApps({ FORWARD: 'baggage' });
    await mesh.startApp('b', { FORWARD: 'baggage', NEXT: 'http://svc-c-forced:8080/c' });
    await runLanes('4 (force at the last hop)', (lane) => {
      if (lane === 'green') return { pods: ['entry', 'a', 'b'], status: 503, failedRoute: 'svc-c-forced;color=green;via=none', failedError: 'no_endpoint' };
      return chainExpectation(lane);
    });
  });
});
