// The kubernetes source fed with recorded API objects (no cluster runs here): the discovery contract,
// then the recorded list + watch sequence, re-list after failures, dual-stack and port choice.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EndpointSlice } from 'kubernetes-models/discovery.k8s.io/v1/EndpointSlice';
import { Pod } from 'kubernetes-models/v1/Pod';
import { makeDiscoveryFactory } from '../../src/discovery/factory.js';
import type { DiscoverySource } from '../../src/discovery/source.js';
import { runDiscoveryContract } from '../support/discovery-contract.js';
import { FakeKubernetesApi, readFixture, readWatchEvents, type ApiObject } from '../support/discovery-fake-kubernetes.js';
import { KubernetesWorld } from '../support/discovery-kubernetes-world.js';
import { RecordingLogger, context, serviceRule } from '../support/discovery-fixtures.js';
import { UpdateRecorder, normalize } from '../support/discovery-recorder.js';

const KUBE = { kind: 'kubernetes', service: 'base-service', namespace: 'shop', colorLabel: 'color' } as const;
const FAST_RETRY = { retryInitialMs: 20, retryMaxMs: 80 };

runDiscoveryContract('kubernetes (recorded objects, fake list/watch)', async () => {
  const api = new FakeKubernetesApi();
  const world = new KubernetesWorld(api);
  const factory = makeDiscoveryFactory({ kubernetes: { api, ...FAST_RETRY } });
  return {
    live: true,
    expressesHealth: true,
    canFail: true,
    settleMs: 500,
    async setWorld(endpoints) {
      world.set(endpoints);
    },
    async touch() {
      world.touch();
    },
    createSource: () => factory(serviceRule(KUBE), context()),
    async breakBackend() {
      api.broken = true;
      api.failWatches();
    },
    async repairBackend() {
      api.broken = false;
    },
    activity: () => api.lists,
    async close() {},
  };
});

interface Harness {
  api: FakeKubernetesApi;
  source: DiscoverySource;
  recorder: UpdateRecorder;
  logger: RecordingLogger;
}

/** A source over the recorded slices and pods of namespace "shop". */
function recorded(overrides: { port?: number; slices?: ApiObject[]; pods?: ApiObject[] } = {}): Harness {
  const api = new FakeKubernetesApi();
  api.load('EndpointSlice', overrides.slices ?? readFixture<{ items: ApiObject[] }>('endpointslice-list.json').items);
  api.load('Pod', overrides.pods ?? readFixture<{ items: ApiObject[] }>('pod-list.json').items);
  const logger = new RecordingLogger();
  const source = makeDiscoveryFactory({ kubernetes: { api, ...FAST_RETRY } })(serviceRule(KUBE, { port: overrides.port ?? 8080 }), context(logger));
  const recorder = new UpdateRecorder();
  source.start(recorder.listener);
  return { api, source, recorder, logger };
}

const endpointsOf = (update: { kind: string; endpoints?: unknown } | undefined) =>
  update?.kind === 'reset' ? normalize((update as { endpoints: never[] }).endpoints) : update?.kind;

const sorted = <T extends { address: string }>(list: T[]): T[] => [...list].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));

const RECORDED_INITIAL = [
  { address: '10.244.1.17:8080', color: 'blue', healthy: true },
  { address: '10.244.1.23:8080', color: null, healthy: true },
  { address: '10.244.1.8:8080', color: 'blue', healthy: false },
  { address: '10.244.2.14:8080', color: 'green', healthy: true },
  { address: '10.244.2.9:8080', color: 'blue', healthy: true },
];

describe('kubernetes discovery with recorded API objects', () => {
  test('the fixtures are valid Kubernetes objects (kubernetes-models schemas)', () => {
    for (const slice of readFixture<{ items: object[] }>('endpointslice-list.json').items) new EndpointSlice(slice as never).validate();
    for (const pod of readFixture<{ items: object[] }>('pod-list.json').items) new Pod(pod as never).validate();
    for (const event of readWatchEvents('watch-events.jsonl')) {
      if (event.object.kind === 'Pod') new Pod(event.object as never).validate();
      if (event.object.kind === 'EndpointSlice') new EndpointSlice(event.object as never).validate();
    }
  });

  test('the initial list: slice ports matched by number, colors from pod labels, terminating endpoint not ready', async () => {
    const h = recorded();
    const first = await h.recorder.next(500);
    h.source.stop();
    assert.deepEqual(endpointsOf(first), RECORDED_INITIAL);
    assert.equal(h.recorder.updates.length, 1, 'one report once both lists are in, not one per list');
  });

  test('replaying the recorded watch stream: new pod starts, becomes ready, old pod goes; no-op events report nothing', async () => {
    const h = recorded();
    await h.recorder.next(500);
    const events = readWatchEvents('watch-events.jsonl').filter((e) => e.type !== 'ERROR');
    for (const event of events) h.api.replay(event);
    h.source.stop();
    // ADDED pod (no slice change yet) and MODIFIED pod (readiness only) change nothing the source reports.
    const newGreen = (healthy: boolean) => ({ address: '10.244.1.31:8080', color: 'green', healthy });
    const without = (address: string) => RECORDED_INITIAL.filter((e) => e.address !== address);
    const terminating = '10.244.1.8:8080';
    assert.deepEqual(h.recorder.updates.slice(1).map(endpointsOf), [
      sorted([...RECORDED_INITIAL, newGreen(false)]),
      sorted([...RECORDED_INITIAL, newGreen(true)]),
      // The terminating pod is deleted before the slice drops it: an endpoint whose pod is unknown is left out
      // (never reported as untagged), so the slice update that follows changes nothing.
      sorted([...without(terminating), newGreen(true)]),
    ]);
  });

  test('a watch error (410 Expired) keeps the list, re-lists after the backoff and catches up on what was missed', async () => {
    const h = recorded();
    await h.recorder.next(500);
    const events = readWatchEvents('watch-events.jsonl');
    const expired = events.find((e) => e.type === 'ERROR')!;
    h.api.broken = true; // the first re-list attempt fails too
    h.api.replay(expired);
    // While no watch is open the world moves on; these changes can only arrive through the re-list.
    assert.equal(h.api.activeWatches(), 0);
    const listsBefore = h.api.lists;
    for (const event of events.filter((e) => e.type !== 'ERROR')) h.api.replay(event);
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(h.recorder.updates.length, 1, 'nothing reported while failing');
    assert.ok(h.api.lists > listsBefore, 'retried');
    h.api.broken = false;
    const caughtUp = sorted([...RECORDED_INITIAL.filter((e) => e.address !== '10.244.1.8:8080'), { address: '10.244.1.31:8080', color: 'green', healthy: true }]);
    await h.recorder.waitFor((u) => JSON.stringify(endpointsOf(u)) === JSON.stringify(caughtUp), 1000);
    h.source.stop();
    // The two streams re-list at different moments; in between, the new pod must never show up untagged.
    for (const update of h.recorder.updates) {
      const newPod = (endpointsOf(update) as Array<{ address: string; color: string | null }>).find((e) => e.address === '10.244.1.31:8080');
      assert.ok(newPod === undefined || newPod.color === 'green', JSON.stringify(update));
    }
    assert.ok(h.logger.warnings().length >= 2, 'each failure is logged');
  });

  test('no EndpointSlice for the service means does-not-exist', async () => {
    const h = recorded({ slices: [] });
    const first = await h.recorder.next(500);
    h.source.stop();
    assert.deepEqual(first, { kind: 'does-not-exist' });
  });

  test('dual-stack: only the IPv4 slices count; an IPv6-only service gives bracketed addresses', async () => {
    const [v4] = readFixture<{ items: ApiObject[] }>('endpointslice-list.json').items;
    const v6 = structuredClone(v4!);
    v6.metadata.name = 'base-service-v6x9z';
    v6['addressType'] = 'IPv6';
    (v6['endpoints'] as Array<{ addresses: string[] }>).forEach((e, i) => (e.addresses = [`fd00:10:244::${i + 1}`]));
    const dual = recorded({ slices: [v4!, v6] });
    const dualFirst = await dual.recorder.next(500);
    dual.source.stop();
    assert.ok((endpointsOf(dualFirst) as Array<{ address: string }>).every((e) => !e.address.startsWith('[')));
    const only6 = recorded({ slices: [v6] });
    const only6First = await only6.recorder.next(500);
    only6.source.stop();
    assert.deepEqual((endpointsOf(only6First) as Array<{ address: string; color: string }>).map((e) => [e.address, e.color]), [
      ['[fd00:10:244::1]:8080', 'blue'],
      ['[fd00:10:244::2]:8080', 'blue'],
      ['[fd00:10:244::3]:8080', null],
    ]);
  });

  const portCases = [
    { name: 'the rule port matches a slice port number', rulePort: 9090, ports: [{ name: 'http', port: 8080 }, { name: 'metrics', port: 9090 }], expected: 9090 },
    { name: 'no number matches: the port named http', rulePort: 80, ports: [{ name: 'metrics', port: 9090 }, { name: 'http', port: 8080 }], expected: 8080 },
    { name: 'a single port is used whatever its name', rulePort: 80, ports: [{ name: 'web', port: 3000 }], expected: 3000 },
    { name: 'UDP ports are ignored', rulePort: 80, ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'web', port: 3000 }], expected: 3000 },
    { name: 'ambiguous: the lowest, with a warning', rulePort: 80, ports: [{ name: 'b', port: 7001 }, { name: 'a', port: 7000 }], expected: 7000 },
  ];
  for (const c of portCases) {
    test(`port choice: ${c.name}`, async () => {
      const [slice] = readFixture<{ items: ApiObject[] }>('endpointslice-list.json').items;
      slice!['ports'] = c.ports.map((p) => ({ protocol: 'TCP', ...p }));
      const h = recorded({ slices: [slice!], port: c.rulePort });
      const first = await h.recorder.next(500);
      h.source.stop();
      const ports = new Set((endpointsOf(first) as Array<{ address: string }>).map((e) => Number(e.address.split(':').at(-1))));
      assert.deepEqual([...ports], [c.expected]);
      assert.equal(h.logger.warnings().length, c.name.startsWith('ambiguous') ? 1 : 0);
    });
  }

  test('an API that cannot even be created (bad kubeconfig) is retried with backoff, not thrown', async () => {
    const api = new FakeKubernetesApi();
    api.load('EndpointSlice', readFixture<{ items: ApiObject[] }>('endpointslice-list.json').items);
    let attempts = 0;
    const logger = new RecordingLogger();
    const source = makeDiscoveryFactory({
      kubernetes: {
        ...FAST_RETRY,
        api: () => {
          attempts += 1;
          if (attempts < 3) throw new Error('invalid kubeconfig');
          return api;
        },
      },
    })(serviceRule(KUBE), context(logger));
    const recorder = new UpdateRecorder();
    source.start(recorder.listener);
    await recorder.next(1000);
    source.stop();
    assert.equal(attempts, 3);
    assert.ok(logger.warnings().some((l) => JSON.stringify(l.obj).includes('invalid kubeconfig')));
  });
});
