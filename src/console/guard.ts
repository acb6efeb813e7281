// Request checks that keep other web pages from using the console through a user's browser:
// a Host naming the console (no DNS rebinding), a same-origin Origin, and a JSON content type on writes.
import net from 'node:net';

export interface GuardOptions {
  /** the port the console listens on */
  port: number;
  /**
   * Host names (or IP literals) that name the console besides the loopback ones, e.g. the bind address
   * and, when bound to every interface, the machine's own addresses. Compared lower-cased.
   */
  names: readonly string[];
}

export type GuardResult = { ok: true } | { ok: false; status: 403; error: string; message: string };

const OK: GuardResult = { ok: true };

/** Splits `host[:port]` (with `[v6]` brackets) as a Host header carries it; undefined when malformed. */
export function splitHost(value: string): { name: string; port: number | undefined } | undefined {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(value.trim());
  if (m === null) return undefined;
  const name = (m[1] as string).toLowerCase().replace(/^\[|\]$/g, '');
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && port > 65535) return undefined;
  return { name, port };
}

function isLoopback(name: string): boolean {
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (net.isIPv4(name)) return name.startsWith('127.');
  return name === '::1' || name === '::ffff:127.0.0.1';
}

/**
 * Does this Host header name the console? A loopback name with any port is accepted, because a
 * `kubectl port-forward` puts the console behind a different local port and a rebinding attacker
 * cannot make a browser send a loopback Host for its own site. Any other name must be one the console
 * was bound to, on the console's own port.
 */
export function hostNamesConsole(host: string | undefined, opts: GuardOptions): boolean {
  if (host === undefined || host === '') return false;
  const parsed = splitHost(host);
  if (parsed === undefined) return false;
  if (isLoopback(parsed.name)) return true;
  const port = parsed.port ?? 80;
  return port === opts.port && opts.names.some((n) => n.toLowerCase() === parsed.name);
}

/** Every request: the Host must name the console, so a rebound DNS name cannot even read the state. */
export function checkHost(headers: { host?: string | undefined }, opts: GuardOptions): GuardResult {
  if (hostNamesConsole(headers.host, opts)) return OK;
  return {
    ok: false,
    status: 403,
    error: 'forbidden_host',
    message: `the Host header ${JSON.stringify(headers.host ?? '')} does not name this console; open it as http://127.0.0.1:${opts.port}/ or http://localhost:${opts.port}/`,
  };
}

/**
 * A write must come from the console's own page: JSON (which a cross-site form cannot send without a
 * CORS preflight the console never grants) and, when the browser says where it comes from, an Origin
 * whose host is exactly the Host the request was sent to.
 */
export function checkWrite(headers: { host?: string | undefined; origin?: string | undefined; 'content-type'?: string | undefined }, opts: GuardOptions): GuardResult {
  const host = checkHost(headers, opts);
  if (!host.ok) return host;
  const origin = headers.origin;
  if (origin !== undefined) {
    let sameOrigin = false;
    try {
      const url = new URL(origin);
      sameOrigin = (url.protocol === 'http:' || url.protocol === 'https:') && url.host.toLowerCase() === normalHost(headers.host as string, url.protocol);
    } catch {
      sameOrigin = false; // "null" (sandboxed frames, file://) and garbage are never the console
    }
    if (!sameOrigin) {
      return { ok: false, status: 403, error: 'forbidden_origin', message: `a change from origin ${JSON.stringify(origin)} is refused: only the console's own page may write` };
    }
  }
  const type = (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    // 403 like the other two: the request is refused as one another page could have sent, not as malformed.
    return { ok: false, status: 403, error: 'forbidden_content_type', message: 'a change must be sent with content-type: application/json (a form or a plain-text post may come from another site)' };
  }
  return OK;
}

/** The Host as URL.host spells it for that scheme: lower-cased, default port dropped. */
function normalHost(host: string, protocol: string): string {
  const h = host.trim().toLowerCase();
  const defaultPort = protocol === 'https:' ? ':443' : ':80';
  return h.endsWith(defaultPort) ? h.slice(0, -defaultPort.length) : h;
}
