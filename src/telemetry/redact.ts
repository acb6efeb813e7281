// Which request/response headers must never reach a log line, and the copy of a header set that hides them.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** Credentials and session state: always hidden, whatever the configuration says. */
export const ALWAYS_REDACTED_HEADERS: readonly string[] = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie'];

export const REDACTED = '[redacted]';

/**
 * The full list: the fixed ones plus the comma-separated extras of COLORMESH_LOG_REDACT_HEADERS
 * (e.g. "x-api-key, x-session-token"). Header names are case-insensitive, so all are lower-cased.
 */
export function redactedHeaderNames(env: NodeJS.ProcessEnv = process.env): readonly string[] {
  const extras = (env['COLORMESH_LOG_REDACT_HEADERS'] ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    // Only HTTP header tokens: anything else could not be a header, and would break pino's redact paths.
    .filter((name) => /^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name));
  return [...new Set([...ALWAYS_REDACTED_HEADERS, ...extras])];
}

/**
 * A plain copy of `headers` with every sensitive value replaced. Node already lower-cases incoming
 * header names; outgoing ones (res.getHeaders()) are lower-cased too, but we do not rely on it.
 */
export function redactHeaders(
  headers: IncomingHttpHeaders | OutgoingHttpHeaders,
  sensitive: ReadonlySet<string>,
): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    copy[name] = sensitive.has(name.toLowerCase()) ? REDACTED : value;
  }
  return copy;
}

/**
 * pino `redact` paths for the places a headers object may sit in a log line, so that a header set
 * logged anywhere (not only by the access log) is censored. Names with '-' need bracket syntax.
 */
export function pinoRedactPaths(names: readonly string[]): string[] {
  const paths: string[] = [];
  for (const name of names) {
    const key = /^[a-z_$][a-z0-9_$]*$/.test(name) ? `.${name}` : `["${name}"]`;
    for (const parent of ['headers', 'req.headers', 'res.headers', 'requestHeaders', 'responseHeaders']) {
      paths.push(`${parent}${key}`);
    }
  }
  return paths;
}
