// Ingress coloring (SPEC 4): gives a request entering the mesh its color, from the client, a rule or the split.
import type { IncomingHttpHeaders } from 'node:http';
import { stableHash32 } from './hash.js';
import type { MatchRule, MatchSource, Rules, Split } from './types.js';

export interface IngressRequest {
  headers: IncomingHttpHeaders;
  /** origin-form ("/x?a=b") or absolute-form; only its query is read, and only when a rule needs it */
  url: string | undefined;
}

export interface IngressResult {
  color: string | undefined;
  source: 'client' | 'rule' | 'split' | 'none';
}

const TWO_POW_32 = 4294967296;

/**
 * `clientColor` is the valid color the client's baggage already carried, if any. `random` returns a
 * number in [0, 1) and is injected so tests can seed it.
 */
export function colorIngress(rules: Rules, req: IngressRequest, clientColor: string | undefined, random: () => number): IngressResult {
  const ingress = rules.ingress;
  if (ingress.acceptClientColor && clientColor !== undefined && (rules.colors === undefined || rules.colors.has(clientColor))) {
    return { color: clientColor, source: 'client' };
  }
  // The query string is parsed at most once per request, and only if some rule looks at it.
  let query: URLSearchParams | undefined;
  const lazyQuery = (): URLSearchParams => (query ??= parseQuery(req.url));
  for (const rule of ingress.rules) {
    const value = readSource(rule.match.source, rule.match.name, req.headers, lazyQuery);
    if (value !== undefined && matches(rule.match, value)) return { color: rule.color, source: 'rule' };
  }
  const split = ingress.split;
  if (split !== undefined && split.total > 0) {
    return { color: chooseSplitColor(split, req.headers, random), source: 'split' };
  }
  return { color: undefined, source: 'none' };
}

/**
 * With `stickyBy`, the hash of the user's key (scaled to [0, 1)) picks the lane, so a user always lands in
 * the same one while users as a whole follow the weights. Scaling rather than `hash % total` keeps
 * fractional weights exact. A request without the sticky key falls back to a random choice: there is no
 * user to keep stable, and sending all of them to one lane would skew the split.
 */
export function chooseSplitColor(split: Split, headers: IncomingHttpHeaders, random: () => number): string | undefined {
  let unit: number | undefined;
  if (split.stickyBy !== undefined) {
    const key = readSource(split.stickyBy.source, split.stickyBy.name, headers, () => EMPTY_QUERY);
    if (key !== undefined && key.length > 0) unit = stableHash32(key) / TWO_POW_32;
  }
  return pickWeighted(split, (unit ?? random()) * split.total);
}

/**
 * Maps a point in [0, total) to the color whose slice of the cumulative weights contains it. Each weight is
 * SUBTRACTED as we walk: the often-copied `if (point < weight[i])` without subtracting compares the whole
 * offset with one weight instead of the running sum, so with weights 50/30/20 the second and third colors
 * are never chosen by a comparison and the shares depend on whatever the loop falls back to.
 */
export function pickWeighted(split: Split, point: number): string | undefined {
  let rest = point;
  let lastPositive: string | undefined;
  for (let i = 0; i < split.colors.length; i++) {
    const weight = split.weights[i] ?? 0;
    if (weight <= 0) continue; // weight 0 is never chosen, even if a caller built such a Split
    lastPositive = split.colors[i];
    rest -= weight;
    if (rest < 0) return lastPositive;
  }
  // Only reached through floating-point rounding at the very top of the range.
  return lastPositive;
}

const EMPTY_QUERY = new URLSearchParams();

/**
 * The value a match looks at. For a header sent several times in a form Node keeps as an array, the first
 * value is used (Node already joins most repeated headers with ", "). For a cookie repeated in the Cookie
 * header the first one is used: browsers send the most specific (longest path) cookie first.
 */
function readSource(source: MatchSource, name: string, headers: IncomingHttpHeaders, query: () => URLSearchParams): string | undefined {
  switch (source) {
    case 'header':
      return headerValue(headers, name);
    case 'cookie':
      return readCookie(headers.cookie, name);
    case 'query':
      return query().get(name) ?? undefined;
  }
}

/**
 * A header by its configured name. Node's header object has Object.prototype, so a rule naming
 * "constructor" would otherwise read a function, not a header, and throw on every request.
 */
function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(headers, name) ? firstValue(headers[name]) : undefined;
}

function matches(match: MatchRule, value: string): boolean {
  if (match.exact !== undefined) return value === match.exact;
  if (match.prefix !== undefined) return value.startsWith(match.prefix);
  if (match.regex !== undefined) return match.regex.test(value);
  return false;
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Finds cookie `name` in Cookie header(s) ("a=1; b=2"); surrounding double quotes are removed (RFC 6265). */
export function readCookie(header: string | string[] | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  const texts = Array.isArray(header) ? header : [header];
  for (const text of texts) {
    if (text.indexOf(name) === -1) continue;
    for (const pair of text.split(';')) {
      const eq = pair.indexOf('=');
      if (eq === -1 || pair.slice(0, eq).trim() !== name) continue;
      const value = pair.slice(eq + 1).trim();
      return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
    }
  }
  return undefined;
}

function parseQuery(url: string | undefined): URLSearchParams {
  if (url === undefined) return EMPTY_QUERY;
  const mark = url.indexOf('?');
  if (mark === -1) return EMPTY_QUERY;
  const hash = url.indexOf('#', mark);
  return new URLSearchParams(hash === -1 ? url.slice(mark + 1) : url.slice(mark + 1, hash));
}
