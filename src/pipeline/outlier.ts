// Passive health (SPEC 2) as a policy step: an endpoint whose attempts fail `consecutiveFailures`
// times in a row is ejected for baseEjectionMs × (times ejected), at most maxEjectionMs, then let
// back; one success resets its count. Ejected endpoints leave the route's sets, so a lane whose
// every endpoint is down falls back exactly like an empty one.
import type { Endpoint } from '../core/types.js';
import { channels, publish, type EjectionEvent } from '../events.js';
import type { EndpointRegistry } from '../discovery/registry.js';
import type { UpstreamErrorKind } from './errors.js';
import type { Exchange } from './exchange.js';
import type { PolicyStep } from './policy.js';

interface Health {
  failures: number;
  ejections: number;
  timer: NodeJS.Timeout | undefined;
}

export class OutlierDetector implements PolicyStep {
  /** keyed by endpoint object: discovery reuses the object of an unchanged endpoint */
  private readonly health = new WeakMap<Endpoint, Health>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly registry: EndpointRegistry) {}

  afterAttempt(ex: Exchange, endpoint: Endpoint, failure: UpstreamErrorKind | undefined): void {
    const policy = ex.rule?.outlierDetection;
    if (policy === undefined) return;
    let h = this.health.get(endpoint);
    if (failure === undefined) {
      if (h !== undefined) h.failures = 0;
      return;
    }
    if (h === undefined) this.health.set(endpoint, (h = { failures: 0, ejections: 0, timer: undefined }));
    if (endpoint.ejected === true || ++h.failures < policy.consecutiveFailures) return;
    h.failures = 0;
    h.ejections++;
    const forMs = Math.min(policy.baseEjectionMs * h.ejections, policy.maxEjectionMs);
    endpoint.ejected = true;
    const service = ex.rule!.name;
    this.registry.refresh(service);
    publish<EjectionEvent>(channels.ejection, { service, address: endpoint.address, color: endpoint.color, ejected: true, forMs });
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      endpoint.ejected = false;
      this.registry.refresh(service);
      publish<EjectionEvent>(channels.ejection, { service, address: endpoint.address, color: endpoint.color, ejected: false, forMs: 0 });
    }, forMs);
    timer.unref();
    this.timers.add(timer);
    h.timer = timer;
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
