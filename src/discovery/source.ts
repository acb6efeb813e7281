// The one interface every discovery source (static, dns, kubernetes) implements.
// A source reports the complete current endpoint list of one service whenever it changes
// ("reset" in linkerd's terms); the registry turns that into per-color sets for the router.
import type { ServiceRule } from '../core/types.js';

export interface DiscoveredEndpoint {
  /** "host:port" */
  readonly address: string;
  /** undefined = untagged */
  readonly color?: string | undefined;
  /** default true */
  readonly healthy?: boolean;
}

export type DiscoveryUpdate =
  | { readonly kind: 'reset'; readonly endpoints: readonly DiscoveredEndpoint[] }
  /** the service is not known to the source (e.g. no such Kubernetes Service); treat as zero endpoints */
  | { readonly kind: 'does-not-exist' };

export interface DiscoveryLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface DiscoverySource {
  /**
   * Starts watching and calls `onUpdate` with the full list each time it changes. A source
   * keeps its last list on transient errors (logging them) rather than reporting zero endpoints.
   */
  start(onUpdate: (update: DiscoveryUpdate) => void): void;
  /** Stops watching and releases timers and sockets. Idempotent. */
  stop(): void;
}

export interface DiscoveryContext {
  readonly logger: DiscoveryLogger;
}

export type DiscoveryFactory = (service: ServiceRule, ctx: DiscoveryContext) => DiscoverySource;
