// Chooses the discovery source of a service from its rule (static, dns or kubernetes).
// `makeDiscoveryFactory(deps)` lets tests and embedders supply a DNS resolver or a Kubernetes API;
// `createDiscovery` is the production factory with the real ones.
import type { ServiceRule } from '../core/types.js';
import { DnsDiscovery, type DnsDiscoveryOptions } from './dns.js';
import { KubernetesDiscovery, type KubernetesDiscoveryOptions, type KubernetesWatchApi } from './kubernetes.js';
import type { DiscoveryContext, DiscoveryFactory, DiscoverySource } from './source.js';
import { StaticDiscovery } from './static.js';

/** Per-kind dependencies and tuning; everything is optional and defaults to the real thing. */
export interface DiscoveryDependencies {
  readonly dns?: DnsDiscoveryOptions;
  readonly kubernetes?: KubernetesDiscoveryOptions;
}

export const KUBERNETES_RETRY_DEFAULTS = Object.freeze({ initialMs: 1000, maxMs: 30_000 });

export function makeDiscoveryFactory(deps: DiscoveryDependencies = {}): DiscoveryFactory {
  const kubernetesApi = lazyKubernetesApi(deps.kubernetes?.api);
  return (service: ServiceRule, ctx: DiscoveryContext): DiscoverySource => {
    const discovery = service.discovery;
    switch (discovery.kind) {
      case 'static':
        return new StaticDiscovery(discovery.endpoints);
      case 'dns':
        return new DnsDiscovery(service.name, discovery.hosts, service.port, ctx.logger, deps.dns);
      case 'kubernetes':
        return new KubernetesDiscovery(service, discovery, ctx.logger, kubernetesApi, {
          initialMs: deps.kubernetes?.retryInitialMs ?? KUBERNETES_RETRY_DEFAULTS.initialMs,
          maxMs: deps.kubernetes?.retryMaxMs ?? KUBERNETES_RETRY_DEFAULTS.maxMs,
        });
    }
  };
}

/**
 * One API client for all kubernetes-discovered services of a factory, created on first use: a mesh
 * that uses only static or dns discovery never loads client-node or reads a kubeconfig.
 */
function lazyKubernetesApi(
  supplied: KubernetesDiscoveryOptions['api'],
): () => Promise<KubernetesWatchApi> {
  let pending: Promise<KubernetesWatchApi> | undefined;
  return () => {
    pending ??= (async () => {
      if (typeof supplied === 'function') return supplied();
      if (supplied !== undefined) return supplied;
      const { createClientNodeWatchApi } = await import('./kubernetes-api.js').catch((err: unknown) => {
        // Seen on Node 20 with undici 8 (which needs Node >= 22.19): say what failed, not just "cannot read 'bind'".
        throw new Error(`cannot load @kubernetes/client-node on Node ${process.version}: ${err instanceof Error ? err.message : String(err)}`);
      });
      return createClientNodeWatchApi();
    })();
    // A failed start (say, an unreadable kubeconfig) must not be cached: the source retries with backoff.
    pending.catch(() => {
      pending = undefined;
    });
    return pending;
  };
}

export const createDiscovery: DiscoveryFactory = makeDiscoveryFactory();
