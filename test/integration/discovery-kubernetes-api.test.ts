// The real client-node list/watch layer of the kubernetes source, against a loopback fake API server that
// serves the recorded objects: query parameters, resume after a normal end, re-list after 410, backoff after 500.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeDiscoveryFactory } from '../../src/discovery/factory.js';
import type { DiscoverySource } from '../../src/discovery/source.js';
import { FakeApiServer } from '../support/discovery-fake-apiserver.js';
import { readFixture, readWatchEvents, type ApiObject } from '../support/discovery-fake-kubernetes.js';
import { RecordingLogger, context, serviceRule } from '../support/discovery-fixtures.js';
import { UpdateRecorder, normalize } from '../support/discovery-recorder.js';

type List = FakeApiServer['lists']['pods'];

describe('kubernetes discovery through client-node against a fake API server', () => {
  let server: FakeApiServer;
  let source: DiscoverySource;
  const recorder = new UpdateRecorder();
  const logger = new RecordingLogger();
  const events = readWatchEvents('watch-events.jsonl');
  const addresses = () => {
    const last = recorder.last;
    return last?.kind === 'reset' ? normalize(last.endpoints).map((e) => `${e.address}=${e.color ?? '-'}/${e.healthy ? 'ready' : 'not-ready'}`) : [];
  };

  before(async () => {
    server = await FakeApiServer.start({
      endpointslices: readFixture<List>('endpointslice-list.json'),
      pods: readFixture<List>('pod-list.json'),
    });
    // Imported here so that a client-node that cannot load on this Node version fails with a clear message.
    const { KubeConfig } = await import('@kubernetes/client-node').catch((err: unknown) => {
      throw new Error(`@kubernetes/client-node does not load on Node ${process.version} (undici 8 needs Node >= 22.19; see docs/discovery.md): ${String(err)}`);
    });
    const { createClientNodeWatchApi } = await import('../../src/discovery/kubernetes-api.js');
    const kc = new KubeConfig();
    kc.loadFromOptions(server.kubeConfigOptions());
    const api = createClientNodeWatchApi(kc);
    const factory = makeDiscoveryFactory({ kubernetes: { api, retryInitialMs: 50, retryMaxMs: 200 } });
    source = factory(
      serviceRule({ kind: 'kubernetes', service: 'base-service', namespace: 'shop', colorLabel: 'color' }),
      context(logger),
    );
    source.start(recorder.listener);
  });
  after(async () => {
    source?.stop();
    await server?.close();
  });

  test('lists with the service label selector, then watches from the list resourceVersion', async () => {
    await recorder.next(3000);
    await server.until(() => server.watching('endpointslices') === 1 && server.watching('pods') === 1, 3000, 'both watches');
    assert.deepEqual(addresses(), [
      '10.244.1.17:8080=blue/ready',
      '10.244.1.23:8080=-/ready',
      '10.244.1.8:8080=blue/not-ready',
      '10.244.2.14:8080=green/ready',
      '10.244.2.9:8080=blue/ready',
    ]);
    const sliceWatch = server.requests.find((r) => r.resource === 'endpointslices' && r.watch)!;
    assert.equal(sliceWatch.query['labelSelector'], 'kubernetes.io/service-name=base-service');
    assert.equal(sliceWatch.query['resourceVersion'], '184467');
    const podWatch = server.requests.find((r) => r.resource === 'pods' && r.watch)!;
    assert.equal(podWatch.query['labelSelector'], undefined, 'all pods of the namespace');
  });

  test('streamed watch events arrive as updates', async () => {
    for (const event of events.filter((e) => e.type !== 'ERROR')) {
      server.push(event.object.kind === 'Pod' ? 'pods' : 'endpointslices', event);
    }
    await recorder.waitFor(() => addresses().includes('10.244.1.31:8080=green/ready') && !addresses().some((a) => a.startsWith('10.244.1.8:')), 3000);
  });

  test('a watch that simply ends is resumed from the last resourceVersion, without a new list', async () => {
    const listsBefore = server.requests.filter((r) => r.resource === 'pods' && !r.watch).length;
    const watchesBefore = server.requests.filter((r) => r.resource === 'pods' && r.watch).length;
    server.endWatches('pods');
    await server.until(() => server.requests.filter((r) => r.resource === 'pods' && r.watch).length > watchesBefore, 3000, 'a new pod watch');
    const resumed = server.requests.filter((r) => r.resource === 'pods' && r.watch).at(-1)!;
    assert.equal(resumed.query['resourceVersion'], '184480', 'the last pod event seen');
    assert.equal(server.requests.filter((r) => r.resource === 'pods' && !r.watch).length, listsBefore);
  });

  test('410 Expired makes the adapter re-list by itself (no failure logged) and pick up the new state', async () => {
    const warningsBefore = logger.warnings().length;
    const listsBefore = server.requests.filter((r) => r.resource === 'endpointslices' && !r.watch).length;
    // While the watch was expiring, the green slice lost its not-ready member for good and gained a new one.
    const slices = structuredClone(server.lists.endpointslices);
    const green = slices.items[1] as ApiObject & { endpoints: Array<{ addresses: string[] }> };
    green.endpoints = green.endpoints.filter((e) => e.addresses[0] !== '10.244.1.8');
    green.endpoints.push({ ...structuredClone(green.endpoints[0]!), addresses: ['10.244.2.40'] });
    slices.metadata.resourceVersion = '184600';
    server.lists.endpointslices = slices;
    server.push('endpointslices', events.find((e) => e.type === 'ERROR')!);
    server.endWatches('endpointslices');
    await recorder.waitFor(() => addresses().includes('10.244.2.40:8080=green/ready'), 3000);
    assert.equal(server.requests.filter((r) => r.resource === 'endpointslices' && !r.watch).length, listsBefore + 1);
    await server.until(() => server.requests.at(-1)?.query['resourceVersion'] === '184600', 3000, 'a watch from the new list');
    assert.equal(logger.warnings().length, warningsBefore);
  });

  test('an API error (500) is logged, and the source re-lists with backoff until the server recovers', async () => {
    server.failWith.pods = 500;
    server.endWatches('pods');
    await server.until(() => logger.warnings().length > 0, 3000, 'a logged failure');
    const pods = structuredClone(server.lists.pods);
    const recolored = pods.items.find((p) => p.metadata.name === 'base-7c9d8b6f5-k3j8n')!;
    recolored.metadata.labels = { ...recolored.metadata.labels, color: 'green' };
    server.lists.pods = pods;
    delete server.failWith.pods;
    await recorder.waitFor(() => addresses().includes('10.244.1.23:8080=green/ready'), 3000);
  });

  test('stop() closes the open watch connections', async () => {
    await server.until(() => server.watching('pods') === 1 && server.watching('endpointslices') === 1, 3000, 'both watches');
    source.stop();
    await server.until(() => server.watching('pods') === 0 && server.watching('endpointslices') === 0, 3000, 'watches closed');
  });
});
