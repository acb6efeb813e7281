// Kubernetes discovery: the EndpointSlices of one Service, colored by the color label of the pods behind them.
// Two list+watch streams (slices, pods) feed one in-memory view; a failed stream is re-listed after a backoff.
import type { ServiceRule } from '../core/types.js';
import type { DiscoveredEndpoint, DiscoveryLogger, DiscoverySource, DiscoveryUpdate } from './source.js';
import { joinHostPort } from './dns.js';
import { lowerCaseColor } from './static.js';

/** The fields of discovery.k8s.io/v1 EndpointSlice this source reads. */
export interface EndpointSliceObject {
  readonly metadata: { readonly name?: string; readonly resourceVersion?: string };
  readonly addressType: string;
  readonly endpoints?: ReadonlyArray<{
    readonly addresses: readonly string[];
    readonly conditions?: { readonly ready?: boolean | null };
    readonly targetRef?: { readonly kind?: string; readonly name?: string };
  }> | null;
  readonly ports?: ReadonlyArray<{ readonly name?: string; readonly port?: number; readonly protocol?: string }> | null;
}

/** The fields of a v1 Pod this source reads. */
export interface PodObject {
  readonly metadata: { readonly name?: string; readonly resourceVersion?: string; readonly labels?: Readonly<Record<string, string>> };
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchHandlers<T> {
  /** A complete list (at start and after every re-list); replaces everything seen before. */
  synced(items: readonly T[]): void;
  changed(type: WatchEventType, object: T): void;
  /** The list or the watch failed and gave up; the source starts a new one after a backoff. */
  failed(err: unknown): void;
}

export interface WatchRequest {
  readonly namespace: string;
  /** '' = every object in the namespace */
  readonly labelSelector: string;
}

/**
 * The small slice of the Kubernetes API this source depends on. The real one (kubernetes-api.ts, via
 * client-node) lists and watches; the tests replay recorded objects through a fake.
 */
export interface KubernetesWatchApi {
  watchEndpointSlices(request: WatchRequest, handlers: WatchHandlers<EndpointSliceObject>): { stop(): void };
  watchPods(request: WatchRequest, handlers: WatchHandlers<PodObject>): { stop(): void };
}

export interface KubernetesDiscoveryOptions {
  /** the API to use; default: the client-node one, created on first use */
  readonly api?: KubernetesWatchApi | (() => KubernetesWatchApi | Promise<KubernetesWatchApi>);
  /** re-list backoff after a failure: doubles from initial up to max; defaults 1000 and 30000 */
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
}

type StreamName = 'endpointslices' | 'pods';

interface Stream {
  /** bumped on every (re)open and failure, so handlers of a replaced stream fall silent */
  generation: number;
  handle: { stop(): void } | undefined;
  synced: boolean;
  failures: number;
  retryTimer: NodeJS.Timeout | undefined;
}

export class KubernetesDiscovery implements DiscoverySource {
  private readonly slices = new Map<string, EndpointSliceObject>();
  private readonly podColors = new Map<string, string | undefined>();
  private readonly streams: Record<StreamName, Stream> = {
    endpointslices: { generation: 0, handle: undefined, synced: false, failures: 0, retryTimer: undefined },
    pods: { generation: 0, handle: undefined, synced: false, failures: 0, retryTimer: undefined },
  };
  private readonly ambiguousPortsWarned = new Set<string>();
  private api: KubernetesWatchApi | undefined;
  private onUpdate: ((update: DiscoveryUpdate) => void) | undefined;
  private lastReported: string | undefined;
  private stopped = false;

  constructor(
    private readonly rule: ServiceRule,
    private readonly config: { readonly service: string; readonly namespace: string; readonly colorLabel: string },
    private readonly logger: DiscoveryLogger,
    private readonly getApi: () => KubernetesWatchApi | Promise<KubernetesWatchApi>,
    private readonly retry: { readonly initialMs: number; readonly maxMs: number },
  ) {}

  start(onUpdate: (update: DiscoveryUpdate) => void): void {
    if (this.stopped || this.onUpdate !== undefined) return;
    this.onUpdate = onUpdate;
    this.open('endpointslices');
    this.open('pods');
  }

  stop(): void {
    this.stopped = true;
    for (const stream of Object.values(this.streams)) {
      clearTimeout(stream.retryTimer);
      stream.handle?.stop();
      stream.handle = undefined;
    }
  }

  private open(name: StreamName): void {
    void this.openAsync(name).catch((err: unknown) => this.fail(name, err));
  }

  private async openAsync(name: StreamName): Promise<void> {
    this.api ??= await this.getApi();
    if (this.stopped) return;
    const stream = this.streams[name];
    const { namespace, service, colorLabel } = this.config;
    const generation = ++stream.generation;
    const live = (): boolean => !this.stopped && stream.generation === generation;
    let handle: { stop(): void };
    if (name === 'endpointslices') {
      handle = this.api.watchEndpointSlices(
        { namespace, labelSelector: `kubernetes.io/service-name=${service}` },
        this.handlers(name, live, (items) => replaceAll(this.slices, items, (s) => s), (type, s) => applyEvent(this.slices, type, s, s)),
      );
    } else {
      // All pods, not only those with the label: a pod we have not seen yet must not pass for an untagged one.
      const toColor = (p: PodObject): string | undefined => lowerCaseColor(p.metadata.labels?.[colorLabel]);
      handle = this.api.watchPods(
        { namespace, labelSelector: '' },
        this.handlers(name, live, (items) => replaceAll(this.podColors, items, toColor), (type, p) => applyEvent(this.podColors, type, p, toColor(p))),
      );
    }
    // A failure reported synchronously inside watch*() has already moved on to a retry.
    if (live()) stream.handle = handle;
    else handle.stop();
  }

  private handlers<T>(
    name: StreamName,
    live: () => boolean,
    replace: (items: readonly T[]) => void,
    apply: (type: WatchEventType, object: T) => void,
  ): WatchHandlers<T> {
    const stream = this.streams[name];
    return {
      synced: (items) => {
        if (!live()) return;
        replace(items);
        stream.synced = true;
        stream.failures = 0;
        this.report();
      },
      changed: (type, object) => {
        if (!live()) return;
        apply(type, object);
        this.report();
      },
      failed: (err) => {
        if (live()) this.fail(name, err);
      },
    };
  }

  /** Keeps what was seen so far (the last good list) and re-lists after a doubling delay. */
  private fail(name: StreamName, err: unknown): void {
    const stream = this.streams[name];
    if (this.stopped || stream.retryTimer !== undefined) return;
    stream.generation += 1;
    stream.handle?.stop();
    stream.handle = undefined;
    const delay = Math.min(this.retry.maxMs, this.retry.initialMs * 2 ** stream.failures);
    stream.failures += 1;
    this.logger.warn(
      { service: this.rule.name, namespace: this.config.namespace, stream: name, retryInMs: delay, err: describe(err) },
      'kubernetes watch failed; keeping the last endpoints and re-listing',
    );
    stream.retryTimer = setTimeout(() => {
      stream.retryTimer = undefined;
      this.open(name);
    }, delay);
    stream.retryTimer.unref();
  }

  /** Reports the full list once both streams have listed, and only when it changed. */
  private report(): void {
    if (!this.streams.endpointslices.synced || !this.streams.pods.synced) return;
    // The EndpointSlice controller keeps at least one slice for every Service with a selector,
    // so no slice at all means there is no such Service (or it has no selector).
    const update: DiscoveryUpdate = this.slices.size === 0 ? { kind: 'does-not-exist' } : { kind: 'reset', endpoints: this.endpoints() };
    const signature = JSON.stringify(update);
    if (signature === this.lastReported) return;
    this.lastReported = signature;
    this.onUpdate?.(update);
  }

  private endpoints(): DiscoveredEndpoint[] {
    const slices = [...this.slices.values()];
    // Dual-stack Services get one slice family per IP family; using one family avoids counting each pod twice.
    const family = slices.some((s) => s.addressType === 'IPv4') ? 'IPv4' : 'IPv6';
    const byAddress = new Map<string, DiscoveredEndpoint>();
    for (const slice of slices) {
      if (slice.addressType !== family) continue;
      const port = this.pickPort(slice);
      if (port === undefined) continue;
      for (const endpoint of slice.endpoints ?? []) {
        // The API allows several addresses but says they are fungible and consumers may use the first.
        const ip = endpoint.addresses[0];
        if (ip === undefined) continue;
        const address = joinHostPort(ip, port);
        const ref = endpoint.targetRef;
        const isPod = ref?.kind === 'Pod' && ref.name !== undefined;
        // The two streams are not ordered: a slice can name a pod before the pod watch delivers it.
        // Routing such an endpoint as untagged could send plain traffic to a colored pod, so it waits.
        if (isPod && !this.podColors.has(ref.name!)) continue;
        const color = isPod ? this.podColors.get(ref.name!) : undefined;
        // ready: null/absent means "unknown", which the API says to treat as ready.
        const healthy = endpoint.conditions?.ready !== false || byAddress.get(address)?.healthy === true;
        byAddress.set(address, { address, color, healthy });
      }
    }
    return [...byAddress.values()].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  }

  /**
   * Slices carry target ports, not the Service port. In order: the only TCP port; the one whose number
   * equals the rule's port; the one named "http"; else the lowest number (with a warning, once).
   */
  private pickPort(slice: EndpointSliceObject): number | undefined {
    const tcp = (slice.ports ?? []).filter((p) => p.port !== undefined && (p.protocol ?? 'TCP') === 'TCP');
    if (tcp.length <= 1) return tcp[0]?.port;
    const chosen = tcp.find((p) => p.port === this.rule.port) ?? tcp.find((p) => p.name === 'http');
    if (chosen !== undefined) return chosen.port;
    const lowest = Math.min(...tcp.map((p) => p.port!));
    const sliceName = slice.metadata.name ?? '';
    if (!this.ambiguousPortsWarned.has(sliceName)) {
      this.ambiguousPortsWarned.add(sliceName);
      this.logger.warn({ service: this.rule.name, slice: sliceName, ports: tcp, chosen: lowest }, 'several ports and none matches; using the lowest');
    }
    return lowest;
  }
}

function replaceAll<T, V>(map: Map<string, V>, items: readonly T[], value: (item: T) => V): void {
  map.clear();
  for (const item of items) {
    const name = (item as { metadata: { name?: string } }).metadata.name;
    if (name !== undefined) map.set(name, value(item));
  }
}

function applyEvent<T extends { metadata: { name?: string } }, V>(map: Map<string, V>, type: WatchEventType, object: T, value: V): void {
  const name = object.metadata.name;
  if (name === undefined) return;
  if (type === 'DELETED') map.delete(name);
  else map.set(name, value);
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const status = (err as { statusCode?: number; code?: unknown }).statusCode ?? (err as { code?: unknown }).code;
    return status === undefined ? err.message : `${err.message} (${String(status)})`;
  }
  return String(err);
}
