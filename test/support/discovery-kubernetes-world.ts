// Builds API objects in the shape the recorded fixtures have, for a list of contract endpoints, and turns
// a change of that list into the watch events the API server would send (pods first, then the slice).
import { CONTRACT_PORT, type WorldEndpoint } from './discovery-contract.js';
import { readFixture, type ApiObject, type FakeKubernetesApi, type WatchEvent } from './discovery-fake-kubernetes.js';

interface ListFixture {
  items: ApiObject[];
}

const SLICE_NAME = 'base-service-ctr01';

export class KubernetesWorld {
  private resourceVersion = 200_000;
  private readonly sliceTemplate: ApiObject;
  private readonly podTemplate: ApiObject;

  constructor(private readonly api: FakeKubernetesApi) {
    this.sliceTemplate = readFixture<ListFixture>('endpointslice-list.json').items[0]!;
    this.podTemplate = readFixture<ListFixture>('pod-list.json').items[0]!;
  }

  /** Sends the events that take the fake API from its current objects to `world`. */
  set(world: readonly WorldEndpoint[]): void {
    const wantedPods = new Map(world.map((e) => [podName(e.ip), this.pod(e)]));
    for (const [name, pod] of wantedPods) {
      const current = this.api.objects('Pod').find((p) => p.metadata.name === name);
      if (current === undefined) this.send('ADDED', pod);
      else if (JSON.stringify(current.metadata.labels) !== JSON.stringify(pod.metadata.labels)) this.send('MODIFIED', pod);
    }
    for (const pod of this.api.objects('Pod')) {
      if (!wantedPods.has(pod.metadata.name!)) this.send('DELETED', pod);
    }
    const slice = this.slice(world);
    const current = this.api.objects('EndpointSlice').find((s) => s.metadata.name === SLICE_NAME);
    if (current === undefined) this.send('ADDED', slice);
    else if (JSON.stringify(current['endpoints']) !== JSON.stringify(slice['endpoints'])) this.send('MODIFIED', slice);
  }

  /** A slice update that changes nothing the source reads (the controller rewrote an annotation). */
  touch(): void {
    const current = this.api.objects('EndpointSlice').find((s) => s.metadata.name === SLICE_NAME);
    if (current !== undefined) this.send('MODIFIED', structuredClone(current));
  }

  private send(type: WatchEvent['type'], object: ApiObject): void {
    const copy = structuredClone(object);
    copy.metadata.resourceVersion = String(++this.resourceVersion);
    this.api.replay({ type, object: copy });
  }

  private pod(endpoint: WorldEndpoint): ApiObject {
    const pod = structuredClone(this.podTemplate);
    pod.kind = 'Pod';
    pod.apiVersion = 'v1';
    pod.metadata = { ...pod.metadata, name: podName(endpoint.ip), labels: endpoint.color === undefined ? { app: 'base' } : { app: 'base', color: endpoint.color } };
    (pod['status'] as { podIP: string; podIPs: Array<{ ip: string }> }).podIP = endpoint.ip;
    (pod['status'] as { podIPs: Array<{ ip: string }> }).podIPs = [{ ip: endpoint.ip }];
    return pod;
  }

  private slice(world: readonly WorldEndpoint[]): ApiObject {
    const slice = structuredClone(this.sliceTemplate);
    slice.kind = 'EndpointSlice';
    slice.apiVersion = 'discovery.k8s.io/v1';
    slice.metadata = { ...slice.metadata, name: SLICE_NAME };
    slice['ports'] = [{ name: 'http', protocol: 'TCP', port: CONTRACT_PORT }];
    slice['endpoints'] = world.map((e) => {
      const ready = e.healthy ?? true;
      return {
        addresses: [e.ip],
        conditions: { ready, serving: ready, terminating: false },
        targetRef: { kind: 'Pod', namespace: 'shop', name: podName(e.ip) },
        nodeName: 'worker-1',
        zone: 'zone-a',
      };
    });
    return slice;
  }
}

function podName(ip: string): string {
  return `base-${ip.replaceAll('.', '-')}`;
}
