// DNS discovery: one hostname per color, each resolved (A and AAAA) into one endpoint per address,
// and re-resolved on a timer that follows the records' TTL within configured bounds.
import { Resolver as PromiseResolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { DiscoveredEndpoint, DiscoveryLogger, DiscoverySource, DiscoveryUpdate } from './source.js';
import { candidateNames, NO_SEARCH, systemSearchList, type SearchList } from './dns-search.js';
import { lowerCaseColor } from './static.js';

/** The part of `dns.promises.Resolver` this source uses, so tests and callers can supply their own. */
export interface DnsResolver {
  resolve4(hostname: string, options: { ttl: true }): Promise<Array<{ address: string; ttl: number }>>;
  resolve6(hostname: string, options: { ttl: true }): Promise<Array<{ address: string; ttl: number }>>;
  cancel(): void;
}

export interface DnsDiscoveryOptions {
  /** DNS servers ("ip" or "ip:port"); default: the system's (from /etc/resolv.conf) */
  readonly servers?: readonly string[];
  /** makes the resolver; each source gets its own so stop() can cancel only its queries */
  readonly createResolver?: () => DnsResolver;
  /** re-resolve interval when no record TTL is known; default 5000 */
  readonly refreshMs?: number;
  /** bounds applied to record TTLs; defaults 1000 and 30000 */
  readonly minRefreshMs?: number;
  readonly maxRefreshMs?: number;
  /** per-query timeout handed to the resolver; default 2000 */
  readonly queryTimeoutMs?: number;
  /** search domains for short names; default the system's resolv.conf, or none when `servers` is given */
  readonly search?: SearchList;
}

export const DNS_DEFAULTS = Object.freeze({ refreshMs: 5000, minRefreshMs: 1000, maxRefreshMs: 30_000, queryTimeoutMs: 2000 });

/** The config key that means "endpoints without a color". */
export const UNTAGGED_KEY = 'untagged';

interface Target {
  readonly key: string;
  readonly color: string | undefined;
  readonly host: string;
  readonly port: number;
}

/** What the last successful lookup of one target gave; a failed lookup leaves it unchanged. */
type TargetState = { readonly kind: 'addresses'; readonly addresses: readonly string[] } | { readonly kind: 'nxdomain' };

type LookupResult = TargetState & { readonly ttlSeconds?: number };

export class DnsDiscovery implements DiscoverySource {
  private readonly targets: readonly Target[];
  private readonly resolver: DnsResolver;
  private readonly known = new Map<string, TargetState>();
  private readonly failing = new Set<string>();
  private readonly refresh: { readonly fallback: number; readonly min: number; readonly max: number };
  private readonly search: SearchList;
  private onUpdate: ((update: DiscoveryUpdate) => void) | undefined;
  private lastReported: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly service: string,
    hosts: Readonly<Record<string, string>>,
    defaultPort: number,
    private readonly logger: DiscoveryLogger,
    options: DnsDiscoveryOptions = {},
  ) {
    this.targets = Object.entries(hosts).map(([key, value]) => parseTarget(key, value, defaultPort));
    this.refresh = {
      fallback: options.refreshMs ?? DNS_DEFAULTS.refreshMs,
      min: options.minRefreshMs ?? DNS_DEFAULTS.minRefreshMs,
      max: options.maxRefreshMs ?? DNS_DEFAULTS.maxRefreshMs,
    };
    this.resolver = options.createResolver?.() ?? systemResolver(options);
    // Explicit servers (tests, a dedicated DNS) answer the names as written unless told otherwise.
    this.search = options.search ?? (options.servers !== undefined || options.createResolver !== undefined ? NO_SEARCH : systemSearchList());
  }

  start(onUpdate: (update: DiscoveryUpdate) => void): void {
    if (this.stopped || this.onUpdate !== undefined) return;
    this.onUpdate = onUpdate;
    void this.round();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    // Pending queries would otherwise hold the process open until they time out.
    this.resolver.cancel();
  }

  /** One pass over all hostnames; the next pass is scheduled only after this one ends, so passes never overlap. */
  private async round(): Promise<void> {
    if (this.stopped) return;
    const results = await Promise.all(this.targets.map((t) => this.lookup(t)));
    if (this.stopped) return;
    let shortestTtl: number | undefined;
    results.forEach((result, i) => {
      const target = this.targets[i]!;
      if (result instanceof Error) return this.noteFailure(target, result);
      if (this.failing.delete(target.key)) this.logger.info({ service: this.service, host: target.host }, 'dns resolution recovered');
      this.known.set(target.key, result);
      if (result.ttlSeconds !== undefined) shortestTtl = Math.min(shortestTtl ?? Infinity, result.ttlSeconds);
    });
    const delay = shortestTtl === undefined ? this.refresh.fallback : clamp(shortestTtl * 1000, this.refresh.min, this.refresh.max);
    try {
      this.report();
    } finally {
      // Even if a listener throws, the name keeps being refreshed.
      this.timer = setTimeout(() => void this.round().catch((err: Error) => this.logger.warn({ service: this.service, err: err.message }, 'dns refresh failed')), delay);
      this.timer.unref();
    }
  }

  private async lookup(target: Target): Promise<LookupResult | Error> {
    if (isIP(target.host) !== 0) return { kind: 'addresses', addresses: [target.host] };
    // The first candidate name that exists wins; a failure (not an absence) stops the search, as in libc.
    for (const name of candidateNames(target.host, this.search)) {
      const result = await this.lookupName(name);
      if (result instanceof Error || result.kind === 'addresses') return result;
    }
    return { kind: 'nxdomain' };
  }

  private async lookupName(name: string): Promise<LookupResult | Error> {
    const [v4, v6] = await Promise.all([
      settle(this.resolver.resolve4(name, { ttl: true })),
      settle(this.resolver.resolve6(name, { ttl: true })),
    ]);
    const failure = [v4, v6].find((r) => r instanceof Error && !isAbsent(r));
    if (failure instanceof Error) return failure;
    if (isNxdomain(v4) && isNxdomain(v6)) return { kind: 'nxdomain' };
    const records = [v4, v6].flatMap((r) => (r instanceof Error ? [] : r));
    const addresses = [...new Set(records.map((r) => r.address))].sort();
    const ttlSeconds = records.length === 0 ? undefined : Math.min(...records.map((r) => r.ttl));
    return ttlSeconds === undefined ? { kind: 'addresses', addresses } : { kind: 'addresses', addresses, ttlSeconds };
  }

  private noteFailure(target: Target, err: Error): void {
    // Logged on the first failure only: a DNS outage would otherwise log every few seconds per host.
    if (this.failing.has(target.key)) return;
    this.failing.add(target.key);
    const code = (err as NodeJS.ErrnoException).code ?? err.message;
    this.logger.warn({ service: this.service, host: target.host, code }, 'dns resolution failed; keeping the last addresses');
  }

  /** Reports the full list, but only when it differs from the last one reported. */
  private report(): void {
    if (this.known.size === 0) return; // nothing resolved yet: stay silent rather than claim zero endpoints
    const states = [...this.known.values()];
    const update: DiscoveryUpdate =
      this.known.size === this.targets.length && states.every((s) => s.kind === 'nxdomain')
        ? { kind: 'does-not-exist' }
        : { kind: 'reset', endpoints: this.endpoints() };
    const signature = JSON.stringify(update);
    if (signature === this.lastReported) return;
    this.lastReported = signature;
    this.onUpdate?.(update);
  }

  private endpoints(): DiscoveredEndpoint[] {
    const out: DiscoveredEndpoint[] = [];
    for (const target of this.targets) {
      const state = this.known.get(target.key);
      if (state?.kind !== 'addresses') continue;
      for (const address of state.addresses) out.push({ address: joinHostPort(address, target.port), color: target.color, healthy: true });
    }
    return out;
  }
}

function systemResolver(options: DnsDiscoveryOptions): DnsResolver {
  const resolver = new PromiseResolver({ timeout: options.queryTimeoutMs ?? DNS_DEFAULTS.queryTimeoutMs, tries: 2 });
  if (options.servers !== undefined && options.servers.length > 0) resolver.setServers([...options.servers]);
  return resolver;
}

/** "host:port", "host" (the service's port) or "[v6]:port". */
export function parseTarget(key: string, value: string, defaultPort: number): Target {
  const color = key.toLowerCase() === UNTAGGED_KEY ? undefined : lowerCaseColor(key);
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  if (bracketed !== null) return { key, color, host: bracketed[1]!, port: bracketed[2] === undefined ? defaultPort : Number(bracketed[2]) };
  const colon = value.lastIndexOf(':');
  // A bare IPv6 literal has several colons and no port.
  if (colon === -1 || isIP(value) === 6) return { key, color, host: value, port: defaultPort };
  return { key, color, host: value.slice(0, colon), port: Number(value.slice(colon + 1)) };
}

export function joinHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

async function settle<T>(promise: Promise<T>): Promise<T | Error> {
  try {
    return await promise;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/** NXDOMAIN: the name does not exist at all. */
function isNxdomain(r: unknown): boolean {
  return r instanceof Error && (r as NodeJS.ErrnoException).code === 'ENOTFOUND';
}

/** The name or this record type does not exist: an answer, not a failure. */
function isAbsent(r: Error): boolean {
  const code = (r as NodeJS.ErrnoException).code;
  return code === 'ENOTFOUND' || code === 'ENODATA';
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
