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
import { inboundClassifier } from './inbound/classify.js';
import { outboundClassifier } from './outbound/classify.js';
import { gatewayClassifier } from './gateway/classify.js';
import { createAdminServer } from './admin/admin-server.js';
import { createMetricsServer } from './admin/metrics-server.js';
import { DeadlineSweep } from './pipeline/deadlines.js';
import { InFlight } from './pipeline/in-flight.js';
import { createListener, type ListenerLimits } from './pipeline/listener.js';
import { EntryPoint } from './pipeline/pipeline.js';
import type { PolicyStep } from './pipeline/policy.js';
import { OutlierDetector } from './pipeline/outlier.js';
import { Mirroring } from './pipeline/mirror.js';
import type { MeshState } from './pipeline/state.js';
import { setLogLevel, type Logger } from './telemetry/logger.js';
import { Http1Upstream } from './upstream/http1.js';
import { isLocalAddress, OwnListeners } from './upstream/loop-guard.js';
import { Tunnels } from './upstream/tunnel.js';

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
  readonly gateway?: { readonly service: string; readonly port: number; readonly exposeRoute?: boolean };
  /** limits of every proxy listener (headers timeout, keep-alive, connection cap) */
  readonly limits?: ListenerLimits;
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
  const own = new OwnListeners();
  const upstream = new Http1Upstream({ own });
  const tunnels = new Tunnels(own);
  const registry = new EndpointRegistry(opts.discovery ?? createDiscovery, { logger });
  const outliers = new OutlierDetector(registry);
  const deadlines = new DeadlineSweep();
  const random = opts.random ?? Math.random;
  const policies: PolicyStep[] = [outliers, new Mirroring({ registry, upstream, deadlines, random })];
  const state: MeshState = {
    rules: opts.rules,
    registry,
    traceTable: new TraceColorTable(opts.traceTable),
    pod: { service: opts.service, color: podColor, namespace: opts.namespace ?? (process.env['POD_NAMESPACE'] || undefined) },
    upstream,
    tunnels,
    random,
    own,
    deadlines,
    policies,
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
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const actual = (server.address() as AddressInfo).port;
    own.ports.add(actual);
    return actual;
  };

  try {
    const proxyListener = (entry: EntryPoint): http.Server => createListener(entry, opts.limits);
    if (opts.gateway !== undefined) {
      ports.gateway = await listen(proxyListener(new EntryPoint(state, gatewayClassifier(opts.gateway))), opts.gateway.port, bind);
    } else {
      const outboundBind = opts.outboundBind ?? '127.0.0.1';
      if (!isLocalAddress(outboundBind)) {
        logger.warn({ outboundBind }, 'the outbound listener is not on loopback: anyone who can reach it can use it as an open proxy to everything this pod can reach');
      }
      ports.outbound = await listen(proxyListener(new EntryPoint(state, outboundClassifier)), opts.outboundPort ?? 15001, outboundBind);
      if (opts.appPort !== undefined) {
        const app = { host: opts.appHost ?? '127.0.0.1', port: opts.appPort };
        ports.inbound = await listen(proxyListener(new EntryPoint(state, inboundClassifier(app))), opts.inboundPort ?? 15006, bind);
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
    void upstream.close();
    tunnels.close();
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
      outliers.stop();
      await upstream.close();
      tunnels.close();
      return result;
    },
  };
}
