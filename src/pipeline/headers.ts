// Builds the header lists that leave the sidecar: hop-by-hop headers removed both ways (RFC 9110
// §7.6.1, including every header the Connection header names), the pipeline's own edits applied.
import type { IncomingMessage } from 'node:http';

/** Meant for one connection only; never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'expect', 'http2-settings']);

/** Headers the pipeline (or a telemetry subscriber) may have edited in req.headers: sent from there. */
const EDITED = ['host', 'baggage', 'traceparent', 'tracestate'] as const;
const EDITED_SET = new Set<string>(EDITED);

/** The sidecar-to-sidecar hop counter, a second net under the address check against loops. */
export const HOPS_HEADER = 'x-colormesh-hops';
export const MAX_HOPS = 16;

/** Names listed in Connection headers (lower-cased), or undefined when there are none. */
function connectionNamed(value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value.join(',') : value;
  let names: Set<string> | undefined;
  for (const token of text.split(',')) {
    const name = token.trim().toLowerCase();
    if (name === '' || name === 'close' || name === 'keep-alive') continue;
    (names ??= new Set()).add(name);
  }
  return names;
}

/** The hop count the request arrived with (0 when absent or garbled). */
export function hopsOf(req: IncomingMessage): number {
  const value = req.headers[HOPS_HEADER];
  if (typeof value !== 'string') return 0;
  const n = Number.parseInt(value, 10);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/**
 * The request headers to send upstream, flat [name, value, …]: every header as received and in
 * order, minus hop-by-hop ones, plus the edited ones from req.headers and the hop counter.
 */
export function outgoingRequestHeaders(req: IncomingMessage, hops: number | undefined, baggage?: string): string[] {
  const raw = req.rawHeaders;
  const named = connectionNamed(req.headers.connection);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || EDITED_SET.has(lower) || lower === HOPS_HEADER) continue;
    if (named !== undefined && named.has(lower)) continue;
    out.push(name, raw[i + 1] as string);
  }
  const h = req.headers;
  for (const name of EDITED) {
    const value = name === 'baggage' && baggage !== undefined ? baggage : h[name];
    if (typeof value === 'string') out.push(name, value);
  }
  if (hops !== undefined) out.push(HOPS_HEADER, String(hops));
  return out;
}

/**
 * The response headers to send the client, flat [name, value, …] as strings, minus hop-by-hop ones
 * (the client connection's framing and keep-alive are this sidecar's business, e.g. while draining).
 */
export function outgoingResponseHeaders(raw: readonly Buffer[]): string[] {
  let named: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as Buffer;
    if (name.length === 10 && name.toString('latin1').toLowerCase() === 'connection') {
      const found = connectionNamed((raw[i + 1] as Buffer).toString('latin1'));
      if (found !== undefined) for (const n of found) (named ??= new Set()).add(n);
    }
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as Buffer).toString('latin1');
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || (named !== undefined && named.has(lower))) continue;
    out.push(name, (raw[i + 1] as Buffer).toString('latin1'));
  }
  return out;
}

/** Number of Host header lines as received (a request with two is refused, as nginx and Go do). */
export function hostLineCount(req: IncomingMessage): number {
  const raw = req.rawHeaders;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 4 && name.toLowerCase() === 'host') count++;
  }
  return count;
}
