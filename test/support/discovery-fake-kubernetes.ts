// A fake of the small KubernetesWatchApi the kubernetes source depends on: it keeps API objects
// (recorded EndpointSlices and Pods), answers list+watch from them, and replays watch events and failures.
import { readFileSync } from 'node:fs';
import type {
  EndpointSliceObject,
  KubernetesWatchApi,
  PodObject,
  WatchEventType,
  WatchHandlers,
  WatchRequest,
} from '../../src/discovery/kubernetes.js';

export const FIXTURES = new URL('../../../test/fixtures/kubernetes/', import.meta.url);

export interface ApiObject {
  kind?: string;
  apiVersion?: string;
  metadata: { name?: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export interface WatchEvent {
  readonly type: WatchEventType | 'ERROR' | 'BOOKMARK';
  readonly object: ApiObject;
}

export function readFixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as T;
}

export function readWatchEvents(name: string): WatchEvent[] {
  return readFileSync(new URL(name, FIXTURES), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as WatchEvent);
}

type Kind = 'EndpointSlice' | 'Pod';

interface Watcher {
  readonly kind: Kind;
  readonly request: WatchRequest;
  readonly handlers: WatchHandlers<ApiObject>;
  active: boolean;
}

/** "a=b,c" → every term must hold: equality or existence (the two forms the source uses). */
export function matchesSelector(labels: Record<string, string> | undefined, selector: string): boolean {
  return selector
    .split(',')
    .filter((term) => term !== '')
    .every((term) => {
      const [key, value] = term.split('=', 2) as [string, string | undefined];
      return value === undefined ? labels?.[key] !== undefined : labels?.[key] === value;
    });
}

export class FakeKubernetesApi implements KubernetesWatchApi {
  private readonly store: Record<Kind, Map<string, ApiObject>> = { EndpointSlice: new Map(), Pod: new Map() };
  private readonly watchers: Watcher[] = [];
  /** while true, every new list fails (as when the API server is unreachable) */
  broken = false;
  /** lists served or refused so far */
  lists = 0;

  /** Loads objects as a list response holds them (items without kind). */
  load(kind: Kind, items: readonly ApiObject[]): void {
    for (const item of items) this.store[kind].set(item.metadata.name!, structuredClone(item));
  }

  objects(kind: Kind): ApiObject[] {
    return [...this.store[kind].values()];
  }

  watchEndpointSlices(request: WatchRequest, handlers: WatchHandlers<EndpointSliceObject>): { stop(): void } {
    return this.watch('EndpointSlice', request, handlers as unknown as WatchHandlers<ApiObject>);
  }

  watchPods(request: WatchRequest, handlers: WatchHandlers<PodObject>): { stop(): void } {
    return this.watch('Pod', request, handlers as unknown as WatchHandlers<ApiObject>);
  }

  /** Applies one event to the store and sends it, as the API server would, to every matching watch. */
  replay(event: WatchEvent): void {
    if (event.type === 'ERROR') return this.failWatches(Object.assign(new Error(String(event.object['message'])), { statusCode: event.object['code'] }));
    if (event.type === 'BOOKMARK') return;
    const kind = event.object.kind as Kind;
    const name = event.object.metadata.name!;
    const before = this.store[kind].get(name);
    if (event.type === 'DELETED') this.store[kind].delete(name);
    else this.store[kind].set(name, structuredClone(event.object));
    for (const watcher of this.watchers.filter((w) => w.active && w.kind === kind)) {
      const wasIn = before !== undefined && this.selects(watcher, before);
      const isIn = event.type !== 'DELETED' && this.selects(watcher, event.object);
      // A label change moves an object in or out of a selector: the API server sends ADDED or DELETED then.
      const type: WatchEventType | undefined =
        event.type === 'DELETED' ? (wasIn ? 'DELETED' : undefined) : isIn ? (wasIn ? 'MODIFIED' : 'ADDED') : wasIn ? 'DELETED' : undefined;
      if (type !== undefined) watcher.handlers.changed(type, structuredClone(event.object));
    }
  }

  /** Ends every open watch with an error, as a dropped connection or an expired resourceVersion does. */
  failWatches(err: Error = Object.assign(new Error('connection reset'), { code: 'ECONNRESET' })): void {
    for (const watcher of this.watchers.filter((w) => w.active)) {
      watcher.active = false;
      watcher.handlers.failed(err);
    }
  }

  activeWatches(): number {
    return this.watchers.filter((w) => w.active).length;
  }

  private watch(kind: Kind, request: WatchRequest, handlers: WatchHandlers<ApiObject>): { stop(): void } {
    const watcher: Watcher = { kind, request, handlers, active: true };
    this.watchers.push(watcher);
    // The list answers asynchronously, like a real request.
    setImmediate(() => {
      if (!watcher.active) return;
      this.lists += 1;
      if (this.broken) {
        watcher.active = false;
        handlers.failed(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' }));
        return;
      }
      handlers.synced(this.objects(kind).filter((o) => this.selects(watcher, o)).map((o) => structuredClone(o)));
    });
    return {
      stop: () => {
        watcher.active = false;
      },
    };
  }

  private selects(watcher: Watcher, object: ApiObject): boolean {
    return (object.metadata.namespace ?? watcher.request.namespace) === watcher.request.namespace && matchesSelector(object.metadata.labels, watcher.request.labelSelector);
  }
}
