// Which service of the rules a request is addressed to, from its Host header or absolute-form authority.
import type { Rules, ServiceRule } from './types.js';

export interface Authority {
  /** lower-cased; an IPv6 address without its brackets; a trailing root dot removed */
  host: string;
  /** undefined when the authority names no port */
  port: number | undefined;
}

/**
 * Parses `host`, `host:port` or `[v6]:port` (RFC 3986 authority without userinfo). Returns undefined for
 * anything else rather than guessing: a bare IPv6 address without brackets, a port that is not 0–65535,
 * characters that cannot appear in a host name. An empty port ("host:") means no port, as RFC 3986 allows.
 */
export function parseAuthority(value: string | undefined): Authority | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text.length === 0) return undefined;
  let host: string;
  let portText: string;
  if (text.charCodeAt(0) === 0x5b /* "[" */) {
    const close = text.indexOf(']');
    if (close === -1) return undefined;
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest.length > 0 && rest.charCodeAt(0) !== 0x3a /* ":" */) return undefined;
    portText = rest.slice(1);
    if (!isIpv6Literal(host)) return undefined;
  } else {
    const colon = text.indexOf(':');
    if (colon !== -1 && text.indexOf(':', colon + 1) !== -1) return undefined;
    host = colon === -1 ? text : text.slice(0, colon);
    portText = colon === -1 ? '' : text.slice(colon + 1);
    if (host.endsWith('.')) host = host.slice(0, -1);
    if (!isRegName(host)) return undefined;
  }
  const port = parsePort(portText);
  if (port === null) return undefined;
  return { host: host.toLowerCase(), port };
}

/**
 * SPEC 1: service `name` answers to `name`, `name.<ns>`, `name.<ns>.svc` and `name.<ns>.svc.cluster.local`.
 * `<ns>` must be the namespace of a kubernetes-discovered service, and may be any single label otherwise —
 * except in the two-label form `name.<ns>` when the pod's namespace is known: then `<ns>` must be it, or a
 * service named `github` would capture `github.com`. (The `.svc` forms cannot be outside hosts.)
 *
 * Port: an authority with a port matches only the service's own port. One WITHOUT a port matches whatever
 * the service's port is. Decision: a client that omits the port used its URL scheme's default, but in a
 * mesh the app addresses the service by name, and transparent interception has already chosen the service
 * by the destination port it redirected; rejecting `http://base-service/` because base-service listens on
 * 8080 would only turn a plausible request into a 502.
 */
export function findService(rules: Rules, authority: Authority, podNamespace?: string): ServiceRule | undefined {
  const host = authority.host;
  // A service whose name is the whole host (also covers names with dots, e.g. static external ones).
  const whole = rules.services.get(host);
  if (whole !== undefined) return portMatches(whole, authority) ? whole : undefined;
  const dot = host.indexOf('.');
  if (dot <= 0) return undefined;
  const service = rules.services.get(host.slice(0, dot));
  if (service === undefined || !portMatches(service, authority)) return undefined;
  return namespaceSuffixMatches(service, host, dot + 1, podNamespace) ? service : undefined;
}

function portMatches(service: ServiceRule, authority: Authority): boolean {
  return authority.port === undefined || authority.port === service.port;
}

const CLUSTER_SUFFIXES = ['', '.svc', '.svc.cluster.local'];

/** Checks host[from..] is `<ns>`, `<ns>.svc` or `<ns>.svc.cluster.local`, without allocating a regex. */
function namespaceSuffixMatches(service: ServiceRule, host: string, from: number, podNamespace: string | undefined): boolean {
  const nsEnd = host.indexOf('.', from);
  const namespaceEnd = nsEnd === -1 ? host.length : nsEnd;
  if (namespaceEnd === from) return false;
  const discovery = service.discovery;
  if (discovery.kind === 'kubernetes') {
    const ns = discovery.namespace;
    if (namespaceEnd - from !== ns.length || !host.startsWith(ns, from)) return false;
  }
  const suffixLength = host.length - namespaceEnd;
  if (suffixLength === 0 && discovery.kind !== 'kubernetes' && podNamespace !== undefined) {
    if (namespaceEnd - from !== podNamespace.length || !host.startsWith(podNamespace, from)) return false;
  }
  for (const suffix of CLUSTER_SUFFIXES) {
    if (suffix.length === suffixLength && host.endsWith(suffix)) return true;
  }
  return false;
}

function parsePort(text: string): number | undefined | null {
  if (text.length === 0) return undefined;
  if (text.length > 5) return null;
  let port = 0;
  for (let i = 0; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return null;
    port = port * 10 + digit;
  }
  return port <= 65535 ? port : null;
}

/** RFC 3986 reg-name restricted to what DNS names and IPv4 addresses use: letters, digits, "-", ".", "_". */
function isRegName(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x5f;
    if (!ok) return false;
  }
  return true;
}

/** Hex digits, ":" and "." (an embedded IPv4 tail); at least two colons. A zone id ("%25eth0") is rejected. */
function isIpv6Literal(host: string): boolean {
  let colons = 0;
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (c === 0x3a) colons++;
    else if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46) || c === 0x2e)) return false;
  }
  return colons >= 2;
}
