// Which service a request's authority names, remembered per rules snapshot: the host texts a pod
// calls are few, so after the first request to each, classifying costs one Map lookup.
import { findService, parseAuthority, type Authority } from '../core/host.js';
import type { Rules, ServiceRule } from '../core/types.js';

export interface Resolved {
  readonly authority: Authority;
  /** undefined: the host is not in the mesh */
  readonly rule: ServiceRule | undefined;
}

/** Outside hosts under `outboundPolicy: allow` are unbounded; the table is cleared past this. */
const MAX_HOSTS = 4096;

const bySnapshot = new WeakMap<Rules, Map<string, Resolved | null>>();

/** The parsed authority and service of `host` (as written), or undefined when it is not a valid authority. */
export function lookupService(rules: Rules, host: string, podNamespace: string | undefined): Resolved | undefined {
  let table = bySnapshot.get(rules);
  if (table === undefined) bySnapshot.set(rules, (table = new Map()));
  let found = table.get(host);
  if (found === undefined) {
    const authority = parseAuthority(host);
    found = authority === undefined ? null : { authority, rule: findService(rules, authority, podNamespace) };
    if (table.size >= MAX_HOSTS) table.clear();
    table.set(host, found);
  }
  return found ?? undefined;
}
