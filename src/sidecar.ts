// Assembles one sidecar: rules (loaded, watched), discovery, the inbound and outbound listeners,
// admin and metrics servers, and the graceful drain a blue/green cut-over depends on.
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TraceColorTable } from './core/trace-table.js';
import { normalizeColor } from './core/color.js';
import type { Rules } from './core/types.js';
import { channels, publish, type InvalidColorEvent } from './events.js';
import { RulesWatcher } from './config/watch.js';
import { EndpointRegistry } from './discovery/registry.js';
import { createDiscovery } from './discovery/factory.js';
import type { DiscoveryFactory } from './discovery/source.js';
import { createInboundServer } from './inbound/listener.js';
import { createOutboundServer } from './outbound/listener.js';
import { createGatewayServer } from './gateway/listener.js';
import { createAdminServer } from './admin/admin-server.js';
import { createMetricsServer } from './admin/metrics-server.js';
import { Upstream } from './proxy/upstream.js';
import type { MeshState } from './proxy/state.js';
import { setLogLevel, type Logger } from './telemetry/logger.js';
import { InFlight } from './proxy/in-flight.js';

export interface SidecarOptions {
  /** the rules already loaded and validated (start-up fails before this on an invalid file) */
  readonly rules: Rules;
  /** watch this file for changes; omit for embedded rules */
  readonly watchPath?: string | undefined;
  readonly service?: string | undefined;
  readonly color?: string | undefined;
  /** the pod's namespace; default POD_NAMESPACE */
  readonly namespace?: string | undefined;
  readonly appPort?: number | undefined;
  readonly appHost?: string;
  readonly inboundPort?: number;
  readonly outboundPort?: number;
  readonly adminPort?: number;
  readonly metricsPort?: number;
  /** inbound and metrics listeners */
  readonly bind?: string;
  /** the outbound listener; loopback unless transparent interception needs otherwise */
  readonly outboundBind?: string;
  /** gateway mode: one edge listener on `gatewayPort` routing to `gatewayService`, no inbound/outbound */
  readonly gateway?: { readonly service: string; readonly port: number };
  readonly logger: Logger;
  readonly drainTimeoutMs?: number;
  /** after SIGTERM, keep accepting this long (readiness failing, `connection: close`) before closing */
  readonly drainDelayMs?: number;
  readonly discovery?: DiscoveryFactory;
  readonly random?: () => number;
  readonly traceTable?: { maxEntries?: number; ttlMs?: number };
  /** Prometheus exposition, when telemetry is on */
  readonly metrics?: () => Promise<{ contentType: string; body: string }>;
  readonly setLogLevel?: (level: string) => void;
}

export interface Sidecar {
  readonly state: MeshState;
  /** actual bound ports (useful when 0 was asked for) */
  readonly ports: { inbound?: number; outbound?: number; gateway?: number; admin: number; metrics: number };
  /** Stops accepting, lets in-flight requests finish (up to the drain timeout), then closes everything. */
  drain(): Promise<{ drained: boolean; inFlight: number }>;
}

export async function startSidecar(opts: SidecarOptions): Promise<Sidecar> {
  const logger = opts.logger;
  const podColor = normalizeColor(opts.color);
  if (opts.color !== undefined && opts.color !== '' && podColor === undefined) {
    logger.warn({ color: opts.color }, 'pod color is not a valid color; the pod counts as untagged');
    publish<InvalidColorEvent>(channels.invalidColor, { direction: 'outbound', source: 'pod', value: opts.color });
  }
  const upstream = new Upstream();
  const registry = new EndpointRegistry(opts.discovery ?? createDiscovery, { logger });
  const state: MeshState = {
    rules: opts.rules,
    registry,
    traceTable: new TraceColorTable(opts.traceTable),
    pod: { service: opts.service, color: podColor, namespace: opts.namespace ?? (process.env['POD_NAMESPACE'] || undefined) },
    upstream,
    random: opts.random ?? Math.random,
    ownPorts: new Set<number>(),
  };
  registry.sync(opts.rules);

  let loadedAt = new Date().toISOString();
  let watcher: RulesWatcher | undefined;
  if (opts.watchPath !== undefined) {
    watcher = new RulesWatcher(opts.watchPath, opts.rules);
    watcher.on('change', (rules: Rules) => {
      // Atomic: requests already in flight hold their own reference to the old snapshot.
      state.rules = rules;
      loadedAt = new Date().toISOString();
      registry.sync(rules);
      logger.info({ hash: rules.hash, version: rules.version, source: rules.source }, 'rules reloaded');
    });
    watcher.on('invalid', (err: Error) => logger.error({ err: err.message }, 'rule file is invalid; keeping the last good rules'));
    watcher.start();
  }

  const inFlight = new InFlight();
  const servers: http.Server[] = [];
  const ports: { inbound?: number; outbound?: number; gateway?: number; admin: number; metrics: number } = { admin: 0, metrics: 0 };
  let ready = false;
  let draining = false;
  const bind = opts.bind ?? '0.0.0.0';

  const listen = async (server: http.Server, port: number, host: string): Promise<number> => {
    inFlight.track(server, () => draining);
    // Callers (apps, other sidecars) pool connections to us; keeping them open longer than their
    // idle timeouts means they, not we, close idle connections — no reset races on their side.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const actual = (server.address() as AddressInfo).port;
    state.ownPorts.add(actual);
    return actual;
  };

  try {
    if (opts.gateway !== undefined) {
      ports.gateway = await listen(createGatewayServer(state, opts.gateway.service), opts.gateway.port, bind);
    } else {
      ports.outbound = await listen(createOutboundServer(state), opts.outboundPort ?? 15001, opts.outboundBind ?? '127.0.0.1');
      if (opts.appPort !== undefined) {
        const app = { host: opts.appHost ?? '127.0.0.1', port: opts.appPort };
        ports.inbound = await listen(createInboundServer(state, app), opts.inboundPort ?? 15006, bind);
      } else {
        logger.info('no --app-port: the inbound listener is off');
      }
    }
    const admin = createAdminServer({
      state,
      configSource: opts.watchPath ?? opts.rules.source,
      lastReloadError: () => (watcher?.lastError ? { message: watcher.lastError.message, at: watcher.lastError.at } : undefined),
      loadedAt: () => loadedAt,
      getLogLevel: () => logger.level,
      setLogLevel: opts.setLogLevel ?? ((level) => setLogLevel(logger, level)),
    });
    ports.admin = await listen(admin, opts.adminPort ?? 15000, '127.0.0.1');
    const metricsServer = createMetricsServer({ isReady: () => ready && !draining, metrics: () => opts.metrics?.() });
    ports.metrics = await listen(metricsServer, opts.metricsPort ?? 15020, bind);
  } catch (err) {
    watcher?.stop();
    registry.stop();
    for (const s of servers) s.close();
    upstream.close();
    throw err;
  }
  ready = true;
  logger.info({ ports, service: opts.service ?? null, color: podColor ?? null, rules: opts.rules.hash }, 'colormesh is ready');

  return {
    state,
    ports,
    async drain() {
      draining = true;
      watcher?.stop();
      // Endpoints update asynchronously after readiness fails; until they do, callers still come here.
      if ((opts.drainDelayMs ?? 0) > 0) await new Promise((r) => setTimeout(r, opts.drainDelayMs));
      const result = await inFlight.drain(servers, opts.drainTimeoutMs ?? 30_000);
      registry.stop();
      upstream.close();
      return result;
    },
  };
}
