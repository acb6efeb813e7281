// Keeps one discovery source per service and the per-color endpoint sets the router reads.
// Sets are rebuilt only when a source reports a change or the rules change a service's discovery,
// so the request path does a Map lookup and nothing else.
import { normalizeColor } from '../core/color.js';
import { buildEndpointSets } from '../core/route.js';
import type { Endpoint, EndpointSets, Rules, ServiceRule } from '../core/types.js';
import { channels, publish, type EndpointsEvent } from '../events.js';
import type { DiscoveredEndpoint, DiscoveryContext, DiscoveryFactory, DiscoverySource, DiscoveryUpdate } from './source.js';

interface Entry {
  /** identity of the discovery config, to tell whether a reload changed it */
  key: string;
  source: DiscoverySource;
  sets: EndpointSets;
}

const EMPTY: EndpointSets = buildEndpointSets([]);

export class EndpointRegistry {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly factory: DiscoveryFactory,
    private readonly ctx: DiscoveryContext,
  ) {}

  /** The current sets of a service; empty sets until its source reports. */
  sets(service: string): EndpointSets {
    return this.entries.get(service)?.sets ?? EMPTY;
  }

  /** Starts, keeps or stops sources so they match the services of `rules`. */
  sync(rules: Rules): void {
    for (const [name, entry] of this.entries) {
      const rule = rules.services.get(name);
      if (rule === undefined || discoveryKey(rule) !== entry.key) {
        entry.source.stop();
        this.entries.delete(name);
      }
    }
    for (const rule of rules.services.values()) {
      if (!this.entries.has(rule.name)) this.start(rule);
    }
  }

  /** Every service's endpoints, for the admin endpoint. */
  snapshot(): Record<string, readonly Endpoint[]> {
    const out: Record<string, readonly Endpoint[]> = {};
    for (const [name, entry] of this.entries) out[name] = entry.sets.all;
    return out;
  }

  stop(): void {
    for (const entry of this.entries.values()) entry.source.stop();
    this.entries.clear();
  }

  private readonly warned = new Set<string>();

  /** Once per endpoint and color, bounded: discovery repeats its whole list on every change. */
  private warnInvalidColor(service: string, address: string, color: string): void {
    const key = `${service}|${address}|${color}`;
    if (this.warned.has(key) || this.warned.size >= 1000) return;
    this.warned.add(key);
    this.ctx.logger.warn({ service, address, color }, 'endpoint color is not a valid color; the endpoint counts as untagged');
  }

  private start(rule: ServiceRule): void {
    const source = this.factory(rule, this.ctx);
    const entry: Entry = { key: discoveryKey(rule), source, sets: EMPTY };
    this.entries.set(rule.name, entry);
    source.start((update) => {
      // A late update from a source that was replaced meanwhile must not overwrite the new one.
      if (this.entries.get(rule.name) !== entry) return;
      entry.sets = buildEndpointSets(toEndpoints(update, entry.sets.all, (address, color) => this.warnInvalidColor(rule.name, address, color)));
      publish<EndpointsEvent>(channels.endpoints, { service: rule.name, endpoints: entry.sets.all });
    });
  }
}

/** A source depends on the service's port too (default DNS port, choice among slice ports). */
function discoveryKey(rule: ServiceRule): string {
  return JSON.stringify([rule.port, rule.discovery]);
}

/**
 * Turns a discovery update into endpoint objects, reusing the previous object for an unchanged
 * endpoint so its in-flight counter (least-request) survives the rebuild.
 */
function toEndpoints(update: DiscoveryUpdate, previous: readonly Endpoint[], warnInvalid: (address: string, color: string) => void): Endpoint[] {
  if (update.kind === 'does-not-exist') return [];
  const byKey = new Map<string, Endpoint>();
  for (const e of previous) byKey.set(endpointKey(e.address, e.color, e.healthy), e);
  const out: Endpoint[] = [];
  for (const d of update.endpoints) {
    const healthy = d.healthy ?? true;
    // SPEC 1: anything that is not a valid color is no color; say so, since a label typo moves a pod out of its lane.
    const color = normalizeColor(d.color);
    if (color === undefined && d.color !== undefined && d.color.trim() !== '') warnInvalid(d.address, d.color);
    const reused = byKey.get(endpointKey(d.address, color, healthy));
    out.push(reused ?? makeEndpoint(d, color, healthy));
  }
  return out;
}

function endpointKey(address: string, color: string | undefined, healthy: boolean): string {
  return `${address}|${color ?? ''}|${healthy ? 1 : 0}`;
}

function makeEndpoint(d: DiscoveredEndpoint, color: string | undefined, healthy: boolean): Endpoint {
  const { host, port } = splitAddress(d.address);
  return { address: d.address, host, port, color, healthy, active: 0 };
}

/** "host:port" or "[v6]:port" → parts. Addresses were validated when the rules were loaded. */
export function splitAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  let host = address.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port: Number(address.slice(colon + 1)) };
}
