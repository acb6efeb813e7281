// Issue 3, scenario 5: apps built on plain clients that know nothing of proxies (curl, Python's urllib, Node's http)
// stay in their lanes with transparent interception, and also in explicit mode via HTTP_PROXY (curl, Python).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { netnsSkipReason } from '../support/netns.js';
import { Mesh } from '../support/e2e-mesh.js';
import { chainExpectation, chainMesh, ENTRY_URL_PATH } from '../support/e2e-chain.js';
import { laneIntegrity, laneRequests } from '../support/e2e-lanes.js';

const skip = netnsSkipReason();
if (skip !== undefined) process.stdout.write(`# SKIP e2e clients: ${skip}\n`);

const PER_LANE = 6;
const APP_PODS = ['entry', 'a', 'a-blue', 'b', 'c', 'c-blue', 'c-green'];
const MESH_PODS = APP_PODS;
/** curl reads only the lower-case variable for http:// URLs; Python reads either. */
const EXPLICIT_PROXY = { http_proxy: 'http://127.0.0.1:15001', HTTP_PROXY: 'http://127.0.0.1:15001' };

describe('plain HTTP clients in unmodified apps', { skip, timeout: 150_000 }, () => {
  let mesh: Mesh;

  before(async () => {
    mesh = new Mesh(chainMesh());
    await mesh.start();
  });
  after(() => mesh?.destroy());

  async function runWith(scenario: string, env: Record<string, string>): Promise<void> {
    await Promise.all(APP_PODS.map((pod) => mesh.startApp(pod, { FORWARD: 'baggage', ...env })));
    const { requests, laneOf } = laneRequests(`http://${mesh.cluster.pod('entry').ip}:8080${ENTRY_URL_PATH}`, PER_LANE);
    const results = await mesh.drive('client', { requests, concurrency: 4, timeoutMs: 20_000 });
    const figure = laneIntegrity(scenario, results, requests.length, (id) => chainExpectation(laneOf(id)));
    assert.deepEqual(figure.wrong, [], `misrouted:\n${figure.wrong.slice(0, 8).join('\n')}\n${mesh.diagnostics()}`);
  }

  for (const client of ['curl', 'python', 'node']) {
    test(`5: ${client}, no HTTP_PROXY (transparent interception)`, async () => {
      await runWith(`5 (${client}, transparent)`, { CLIENT: client });
    });
  }

  describe('explicit mode, with outbound interception switched off', () => {
    // With no outbound redirect, a lane can only survive if the client really went through HTTP_PROXY:
    // a direct call would land on whichever pod the hosts file names (the untagged one).
    before(() => {
      for (const pod of MESH_PODS) mesh.applyIptables(pod, ['--outbound-ports=']);
    });
    after(() => {
      for (const pod of MESH_PODS) mesh.applyIptables(pod, []);
    });

    test('control: without HTTP_PROXY and without outbound interception, the lanes are lost', async () => {
      await Promise.all(APP_PODS.map((pod) => mesh.startApp(pod, { FORWARD: 'baggage', CLIENT: 'node' })));
      const { requests } = laneRequests(`http://${mesh.cluster.pod('entry').ip}:8080${ENTRY_URL_PATH}`, 2, ['blue']);
      const results = await mesh.drive('client', { requests, concurrency: 2, timeoutMs: 20_000 });
      const figure = laneIntegrity('5 control (no proxy at all)', results, requests.length, () => chainExpectation('blue'));
      assert.equal(figure.rightEveryHop, 0, 'blue requests reached blue pods without any proxy: the explicit-mode test would prove nothing');
    });

    for (const client of ['curl', 'python']) {
      test(`5: ${client} with HTTP_PROXY (explicit mode)`, async () => {
        await runWith(`5 (${client}, explicit HTTP_PROXY)`, { CLIENT: client, ...EXPLICIT_PROXY });
      });
    }
  });
});
