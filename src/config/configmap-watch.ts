// Rules from the Kubernetes API (SPEC 6a): lists and watches one ConfigMap and hands its `rules.yaml` text
// to the rules watcher, so a change reaches the sidecar in about a second instead of after the kubelet's
// volume sync. Resumes a watch that ended from its resourceVersion, re-lists when that is too old (410),
// and retries with backoff while the API cannot be reached. Validation stays in watch.ts.
import type { KubeConfig } from '@kubernetes/client-node';

/** `--configmap NAMESPACE/NAME` becomes this watch path, so the sidecar's rules watcher knows its source. */
export const CONFIGMAP_SCHEME = 'configmap://';
export const CONFIGMAP_RULES_KEY = 'rules.yaml';

export interface ConfigMapRef {
  readonly namespace: string;
  readonly name: string;
}

export function parseConfigMapFlag(value: string): ConfigMapRef | undefined {
  const m = /^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]{0,251}[a-z0-9])?)$/.exec(value);
  return m === null ? undefined : { namespace: m[1] as string, name: m[3] as string };
}

export function configMapWatchPath(ref: ConfigMapRef): string {
  return `${CONFIGMAP_SCHEME}${ref.namespace}/${ref.name}`;
}

export function configMapFromWatchPath(path: string): ConfigMapRef | undefined {
  return path.startsWith(CONFIGMAP_SCHEME) ? parseConfigMapFlag(path.slice(CONFIGMAP_SCHEME.length)) : undefined;
}

export interface ConfigMapTextHandlers {
  /** the current text of key rules.yaml; undefined when the ConfigMap or the key is gone */
  text(text: string | undefined, resourceVersion: string): void;
  /** the API could not be reached or refused; the watch retries by itself */
  unavailable(err: Error): void;
}

export interface ConfigMapWatchOptions {
  /** first retry delay after a failure; doubles up to maxBackoffMs. Default 1000 */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** a watch that ends sooner than this is resumed only after the same delay, so a server closing at once cannot make us spin */
  minWatchLifetimeMs?: number;
}

interface ConfigMapObject {
  metadata?: { name?: string; resourceVersion?: string };
  data?: Record<string, string>;
}

/** Reads the ConfigMap once (start-up); rejects when the API cannot be reached or the object is missing. */
export async function readConfigMapRules(kc: KubeConfig, ref: ConfigMapRef, timeoutMs = 5000): Promise<{ text: string; resourceVersion: string }> {
  const { CoreV1Api } = await import('@kubernetes/client-node');
  const api = kc.makeApiClient(CoreV1Api);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from the Kubernetes API within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const object = (await Promise.race([api.readNamespacedConfigMap({ namespace: ref.namespace, name: ref.name }), timeout])) as ConfigMapObject;
    const text = object.data?.[CONFIGMAP_RULES_KEY];
    if (text === undefined) throw new MissingKeyError(`configmap ${ref.namespace}/${ref.name} has no key "${CONFIGMAP_RULES_KEY}"`);
    return { text, resourceVersion: object.metadata?.resourceVersion ?? '' };
  } finally {
    clearTimeout(timer);
  }
}

/** The ConfigMap answered but holds no rules: not a reason to fall back to a file silently. */
export class MissingKeyError extends Error {
  override name = 'MissingKeyError';
}

/** Lists and watches the ConfigMap until stop(); every version of its rules text goes to `handlers.text`. */
export function watchConfigMapRules(kc: KubeConfig, ref: ConfigMapRef, handlers: ConfigMapTextHandlers, opts: ConfigMapWatchOptions = {}): { stop(): void } {
  const baseBackoff = opts.backoffMs ?? 1000;
  const maxBackoff = opts.maxBackoffMs ?? 30_000;
  const minLifetime = opts.minWatchLifetimeMs ?? 1000;
  const path = `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/configmaps`;
  const fieldSelector = `metadata.name=${ref.name}`;
  let stopped = false;
  let controller: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;
  let resourceVersion = '';
  let backoff = baseBackoff;

  const later = (fn: () => Promise<void>, ms: number): void => {
    clearTimeout(timer);
    timer = setTimeout(() => void fn().catch(fail), ms);
    timer.unref();
  };

  const fail = (err: unknown): void => {
    if (stopped) return;
    handlers.unavailable(err instanceof Error ? err : new Error(String(err)));
    later(list, backoff);
    backoff = Math.min(backoff * 2, maxBackoff);
  };

  const deliver = (object: ConfigMapObject | undefined): void => {
    handlers.text(object?.data?.[CONFIGMAP_RULES_KEY], object?.metadata?.resourceVersion ?? resourceVersion);
  };

  const list = async (): Promise<void> => {
    if (stopped) return;
    const { CoreV1Api } = await import('@kubernetes/client-node');
    const listed = await kc.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace: ref.namespace, fieldSelector });
    if (stopped) return;
    resourceVersion = listed.metadata?.resourceVersion ?? '';
    backoff = baseBackoff;
    deliver(listed.items.find((item) => item.metadata?.name === ref.name) as ConfigMapObject | undefined);
    await watchFrom();
  };

  const watchFrom = async (): Promise<void> => {
    const { Watch } = await import('@kubernetes/client-node');
    const startedAt = Date.now();
    let expired = false;
    let serverError: Error | undefined;
    let ended = false;
    const onEvent = (type: string, object: unknown): void => {
      if (stopped) return;
      if (type === 'ERROR') {
        const status = object as { code?: number; message?: string };
        if (status.code === 410) expired = true;
        else serverError = new Error(`watch error ${status.code ?? ''}: ${status.message ?? ''}`);
        return;
      }
      const cm = object as ConfigMapObject;
      if (cm.metadata?.resourceVersion !== undefined) resourceVersion = cm.metadata.resourceVersion;
      if (type === 'ADDED' || type === 'MODIFIED') deliver(cm);
      else if (type === 'DELETED') deliver(undefined);
      // BOOKMARK only moves resourceVersion forward.
    };
    const onDone = (err: unknown): void => {
      ended = true;
      controller = undefined;
      if (stopped) return;
      if (expired || (err as { statusCode?: number } | null)?.statusCode === 410) {
        later(list, 0);
      } else if (serverError !== undefined || (err != null && (err as Error).name !== 'TimeoutError' && (err as Error).name !== 'AbortError')) {
        fail(serverError ?? err);
      } else {
        // A normal end (the server's timeoutSeconds, a dropped connection): carry on from where we were.
        later(watchFrom, Math.max(0, minLifetime - (Date.now() - startedAt)));
      }
    };
    const query = { fieldSelector, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 240 + Math.floor(Math.random() * 60) };
    const started = await new Watch(kc).watch(path, query, onEvent, onDone);
    if (stopped || ended) started.abort();
    else controller = started;
  };

  void list().catch(fail);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      controller?.abort();
      controller = undefined;
    },
  };
}
