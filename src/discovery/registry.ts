// Keeps one discovery source per service and the per-color endpoint sets the router reads.
// Sets are rebuilt only when a source reports a change or the rules change a service's discovery,
// so the request path does a Map lookup and nothing else.
import { normalizeColor } from '../core/color.js';
import { buildEndpointSets } from '../core/route.js';
import type { Endpoint, EndpointSets, Rules, ServiceRule } from '../core/types.js';
import { channels, publish, type EndpointsEvent } from '../events.js';
import { parseHostPort } from '../config/address.js';
import type { DiscoveryContext, DiscoveryFactory, DiscoverySource, DiscoveryUpdate } from './source.js';

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

  /**
   * Rebuilds a service's sets from its current endpoints, after passive health ejected one or let
   * it back (rare: the request path still only does a Map lookup).
   */
  refresh(service: string): void {
    const entry = this.entries.get(service);
    if (entry === undefined) return;
    entry.sets = buildEndpointSets(entry.sets.all);
    publish<EndpointsEvent>(channels.endpoints, { service, endpoints: entry.sets.all });
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

  /** Once per endpoint and problem, bounded: discovery repeats its whole list on every change. */
  private warnInvalid(service: string, address: string, problem: string): void {
    const key = `${service}|${address}|${problem}`;
    if (this.warned.has(key) || this.warned.size >= 1000) return;
    this.warned.add(key);
    this.ctx.logger.warn({ service, address }, `discovered endpoint: ${problem}`);
  }

  private start(rule: ServiceRule): void {
    const source = this.factory(rule, this.ctx);
    const entry: Entry = { key: discoveryKey(rule), source, sets: EMPTY };
    this.entries.set(rule.name, entry);
    source.start((update) => {
      // A late update from a source that was replaced meanwhile must not overwrite the new one.
      if (this.entries.get(rule.name) !== entry) return;
      entry.sets = buildEndpointSets(toEndpoints(update, entry.sets.all, (address, problem) => this.warnInvalid(rule.name, address, problem)));
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
function toEndpoints(update: DiscoveryUpdate, previous: readonly Endpoint[], warnInvalid: (address: string, problem: string) => void): Endpoint[] {
  if (update.kind === 'does-not-exist') return [];
  const byKey = new Map<string, Endpoint>();
  for (const e of previous) byKey.set(endpointKey(e.address, e.color, e.healthy), e);
  const out: Endpoint[] = [];
  for (const d of update.endpoints) {
    const healthy = d.healthy ?? true;
    // SPEC 1: anything that is not a valid color is no color; say so, since a label typo moves a pod out of its lane.
    const color = normalizeColor(d.color);
    if (color === undefined && d.color !== undefined && d.color.trim() !== '') {
      warnInvalid(d.address, `color "${d.color}" is not a valid color; the endpoint counts as untagged`);
    }
    const reused = byKey.get(endpointKey(d.address, color, healthy));
    if (reused !== undefined) {
      out.push(reused);
      continue;
    }
    // The same address check the rule file gets; a source that reports garbage loses that endpoint, loudly.
    const parsed = parseHostPort(d.address);
    if (typeof parsed === 'string') warnInvalid(d.address, parsed);
    else out.push({ address: d.address, host: parsed.host, port: parsed.port, color, healthy, active: 0 });
  }
  return out;
}

function endpointKey(address: string, color: string | undefined, healthy: boolean): string {
  return `${address}|${color ?? ''}|${healthy ? 1 : 0}`;
}
