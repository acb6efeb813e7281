// The real KubernetesWatchApi: list + watch through @kubernetes/client-node, resuming from the last
// resourceVersion when a watch simply ends and re-listing when the server says it expired (410 Gone).
import { CoreV1Api, DiscoveryV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import type { EndpointSliceObject, KubernetesWatchApi, PodObject, WatchEventType, WatchHandlers, WatchRequest } from './kubernetes.js';

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';
/** A watch that ends sooner than this without an error is resumed only after the same delay, so a server that closes at once cannot make us spin. */
const MIN_WATCH_LIFETIME_MS = 1000;

/** In a pod: the service account. Elsewhere: KUBECONFIG, then ~/.kube/config (client-node's defaults). */
export function loadKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  if (process.env.KUBERNETES_SERVICE_HOST !== undefined && existsSync(SERVICE_ACCOUNT_TOKEN)) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}

export function createClientNodeWatchApi(kc: KubeConfig = loadKubeConfig()): KubernetesWatchApi {
  const watch = new Watch(kc);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  return {
    watchEndpointSlices(request, handlers) {
      const path = `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(request.namespace)}/endpointslices`;
      const list = async (): Promise<Listed<EndpointSliceObject>> => {
        const result = await discovery.listNamespacedEndpointSlice({ namespace: request.namespace, labelSelector: selector(request) });
        return { items: result.items as EndpointSliceObject[], resourceVersion: result.metadata?.resourceVersion ?? '' };
      };
      return listAndWatch(watch, path, request, list, handlers);
    },
    watchPods(request, handlers) {
      const path = `/api/v1/namespaces/${encodeURIComponent(request.namespace)}/pods`;
      const list = async (): Promise<Listed<PodObject>> => {
        const result = await core.listNamespacedPod({ namespace: request.namespace, labelSelector: selector(request) });
        return { items: result.items as PodObject[], resourceVersion: result.metadata?.resourceVersion ?? '' };
      };
      return listAndWatch(watch, path, request, list, handlers);
    },
  };
}

function selector(request: WatchRequest): string | undefined {
  return request.labelSelector === '' ? undefined : request.labelSelector;
}

interface Listed<T> {
  readonly items: readonly T[];
  readonly resourceVersion: string;
}

function listAndWatch<T>(
  watch: Watch,
  path: string,
  request: WatchRequest,
  list: () => Promise<Listed<T>>,
  handlers: WatchHandlers<T>,
): { stop(): void } {
  let stopped = false;
  let controller: AbortController | undefined;
  let resumeTimer: NodeJS.Timeout | undefined;
  let resourceVersion = '';

  const fail = (err: unknown): void => {
    if (stopped) return;
    stopped = true; // the source opens a fresh stream after its backoff
    handlers.failed(err);
  };

  const relist = async (): Promise<void> => {
    const listed = await list();
    if (stopped) return;
    resourceVersion = listed.resourceVersion;
    handlers.synced(listed.items);
    await watchFromResourceVersion();
  };

  const watchFromResourceVersion = async (): Promise<void> => {
    const startedAt = Date.now();
    let expired = false;
    let ended = false;
    let serverError: unknown;
    const onEvent = (type: string, object: unknown): void => {
      if (stopped) return;
      if (type === 'ERROR') {
        // A Status object: 410 means our resourceVersion is too old; anything else ends the watch as a failure.
        const status = object as { code?: number; message?: string };
        if (status.code === 410) expired = true;
        else serverError = Object.assign(new Error(status.message ?? 'watch error'), { statusCode: status.code });
        return;
      }
      const version = (object as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
      if (version !== undefined) resourceVersion = version;
      if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') handlers.changed(type as WatchEventType, object as T);
      // BOOKMARK only moves resourceVersion forward.
    };
    const onDone = (err: unknown): void => {
      ended = true;
      controller = undefined;
      if (stopped) return;
      if (expired || (err as { statusCode?: number } | null)?.statusCode === 410) {
        void relist().catch(fail);
      } else if (serverError !== undefined || (err != null && (err as Error).name !== 'TimeoutError')) {
        fail(serverError ?? err);
      } else {
        // A normal end (server timeout, our inactivity timeout): carry on from where we were.
        const wait = Math.max(0, MIN_WATCH_LIFETIME_MS - (Date.now() - startedAt));
        resumeTimer = setTimeout(() => void watchFromResourceVersion().catch(fail), wait);
        resumeTimer.unref();
      }
    };
    // The server ends the watch after timeoutSeconds (jittered so sidecars do not re-list together);
    // without it a half-open watch could go stale unnoticed.
    const query = { labelSelector: selector(request), resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 240 + Math.floor(Math.random() * 60) };
    const started = await watch.watch(path, query, onEvent, onDone);
    // The watch may already have ended (and a successor started) by the time its controller arrives.
    if (stopped || ended) started.abort();
    else controller = started;
  };

  void relist().catch(fail);
  return {
    stop() {
      stopped = true;
      clearTimeout(resumeTimer);
      controller?.abort();
      controller = undefined;
    },
  };
}
