// Finds where an outbound request is going: the authority of an absolute-form request (explicit
// proxy, as HTTP_PROXY clients send) or the Host header of an origin-form one (transparent mode).
import type { IncomingMessage } from 'node:http';
import { parseAuthority, type Authority } from '../core/host.js';
import { hostLineCount } from './headers.js';

/** `host`: the authority as written (no userinfo), for a lookup that parses it once per rules snapshot. */
export type TargetResult = { ok: true; host: string } | { ok: false; message: string };

/**
 * Reads the target and, for absolute-form, rewrites `req.url` to origin-form and `Host` to the
 * URL's authority (RFC 9112 §3.2.2: a proxy uses the URI's authority, not a stale Host header).
 */
export function readTarget(req: IncomingMessage): TargetResult {
  const url = req.url ?? '/';
  if (url.charCodeAt(0) !== 47 /* '/' */ && url !== '*') {
    const lower = url.slice(0, 8).toLowerCase();
    if (lower.startsWith('https://')) {
      return { ok: false, message: 'https:// request targets need CONNECT; colormesh routes plain HTTP' };
    }
    if (!lower.startsWith('http://')) return { ok: false, message: `unsupported request target "${url.slice(0, 64)}"` };
    const pathStart = url.indexOf('/', 7);
    const hostPart = pathStart === -1 ? url.slice(7) : url.slice(7, pathStart);
    // Credentials in the URL are for the origin's own auth scheme, never part of the Host (RFC 9110 §4.2.4).
    const hostOnly = stripUserInfo(hostPart);
    if (hostOnly === '') return { ok: false, message: `bad authority in "${url.slice(0, 64)}"` };
    req.url = pathStart === -1 ? '/' : url.slice(pathStart);
    req.headers.host = hostOnly;
    return { ok: true, host: hostOnly };
  }
  const host = req.headers.host;
  if (host === undefined || host === '') return { ok: false, message: 'missing or invalid Host header' };
  return { ok: true, host };
}

function stripUserInfo(hostPart: string): string {
  const at = hostPart.lastIndexOf('@');
  return at === -1 ? hostPart : hostPart.slice(at + 1);
}

/** The `host:port` of a CONNECT request (port 443 when none is given). */
export function splitConnectAuthority(text: string): Authority | undefined {
  const authority = parseAuthority(text);
  if (authority === undefined || authority.port === 0) return undefined;
  return { host: authority.host, port: authority.port ?? 443 };
}

/** Whether a request target is origin-form (or `*`), as a server — not a proxy — expects it. */
export function isOriginForm(url: string | undefined): boolean {
  return url === undefined || url.charCodeAt(0) === 47 /* '/' */ || url === '*';
}

/**
 * A request for a server (the app behind the inbound side, the service behind the gateway): one
 * Host header, and origin-form with Host from the URI when it came in absolute-form (RFC 9112
 * §3.2.2). Returns what is wrong with it, if anything.
 */
export function asServerRequest(req: IncomingMessage): string | undefined {
  if (hostLineCount(req) > 1) return 'more than one Host header';
  if (isOriginForm(req.url)) return undefined;
  const target = readTarget(req);
  return target.ok ? undefined : target.message;
}
