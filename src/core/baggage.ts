// Reads and edits the color member of W3C `baggage` headers while passing every other member on untouched.
//
// Why not OpenTelemetry's W3CBaggagePropagator: it drops members with empty values, re-encodes `=` inside
// values as %3D, keeps only the last of duplicate keys and reorders numeric keys (JavaScript object order).
// SPEC 3 promises that we change only our own member, so this module works on the member texts directly.
//
// Grammar (https://www.w3.org/TR/baggage/): list-member *( OWS "," OWS list-member ), where
// list-member = key OWS "=" OWS value *( OWS ";" OWS property ). Only the first "=" separates key and value.
import { isOws, normalizeColor, trimOws } from './color.js';

/** Node gives several `baggage` headers joined by ", " in req.headers; rawHeaders-style callers pass an array. */
export type BaggageHeader = string | string[] | undefined;

export interface BaggageColor {
  /** percent-decoded value of the member; undefined when the member is absent */
  value: string | undefined;
  /** normalizeColor(value) */
  color: string | undefined;
  /** the member is present but its value is not a valid color */
  invalid: boolean;
  /** the member carries the `shadow` property: a mirrored copy that must stay in its lane (SPEC 8) */
  shadow: boolean;
}

const ABSENT: Readonly<BaggageColor> = Object.freeze({ value: undefined, color: undefined, invalid: false, shadow: false });

/**
 * Finds member `key` (compared case-sensitively, as W3C keys are) in one or several baggage headers.
 * When the key occurs more than once the LAST occurrence wins: list members are appended as a request
 * travels, so the last one is the one set most recently (and it is what OpenTelemetry's parser keeps too,
 * so apps and the sidecar agree). Malformed members are skipped; this never throws.
 */
export function readBaggageColor(header: BaggageHeader, key: string): BaggageColor {
  if (header === undefined || key.length === 0) return { ...ABSENT };
  let found: Found | undefined;
  if (typeof header === 'string') {
    found = lastValueIn(header, key, undefined);
  } else {
    for (const text of header) found = lastValueIn(text, key, found);
  }
  if (found === undefined) return { ...ABSENT };
  const value = percentDecode(found.raw);
  const color = normalizeColor(value);
  return { value, color, invalid: color === undefined, shadow: found.shadow };
}

/**
 * Returns the single `baggage` value to send with `key` set to `color` (or removed when color is
 * undefined), or undefined when nothing is left.
 *
 * - Every other member keeps its exact text (OWS around it trimmed) and its position; malformed members
 *   (no "=", empty key) are passed on verbatim too. Empty list elements (",,") carry nothing and are dropped.
 *   Several headers are merged into one, and separators may be normalized to a bare ",".
 * - All existing `key` members are removed and one `key=<color>` is appended at the END: readers that keep
 *   the last duplicate (ours, OpenTelemetry's) would pick it even if something else were left, and the order
 *   of the other members is unchanged.
 * - Nothing is dropped to meet the W3C limits. They are minimums a receiver must accept (64 members,
 *   8192 bytes); the input is already bounded by Node's header size limit, and our edit changes the size by
 *   at most one short member, so cutting the caller's members would only lose data.
 */
export function writeBaggageColor(header: BaggageHeader, key: string, color: string | undefined, shadow = false): string | undefined {
  const ours = color === undefined ? undefined : shadow ? `${key}=${color};shadow` : `${key}=${color}`;
  // Fast path (most requests): no baggage at all, so no parsing.
  if (header === undefined) return ours;
  const text = typeof header === 'string' ? header : header.join(',');
  const trimmed = trimOws(text);
  if (trimmed.length === 0) return ours;
  // Fast path: the key does not even occur as a substring, so there is no member to remove.
  if (text.indexOf(key) === -1) return appendMember(text, trimmed, ours);
  const scan = scanKey(text, key);
  // Fast path: exactly one member of ours, already carrying the color: send the header unchanged.
  if (scan.count === 1 && color !== undefined && scan.last?.raw === color && scan.last.shadow === shadow) return text;
  if (scan.count === 0) return appendMember(text, trimmed, ours);
  return rebuildWithout(text, key, ours);
}

/** Adds `ours` after the existing members without reparsing them; falls back to a rebuild on odd separators. */
function appendMember(text: string, trimmed: string, ours: string | undefined): string | undefined {
  if (ours === undefined) return text;
  if (trimmed.charCodeAt(trimmed.length - 1) === 0x2c /* "," */) return rebuildWithout(text, undefined, ours);
  return `${trimmed},${ours}`;
}

/** The slow path: split into members, keep all but `key` members and empty elements, append `ours`. */
function rebuildWithout(text: string, key: string | undefined, ours: string | undefined): string | undefined {
  const kept: string[] = [];
  let start = 0;
  for (;;) {
    const comma = text.indexOf(',', start);
    const end = comma === -1 ? text.length : comma;
    const member = trimOws(text.slice(start, end));
    if (member.length > 0 && (key === undefined || valueStart(member, 0, member.length, key) === -1)) kept.push(member);
    if (comma === -1) break;
    start = comma + 1;
  }
  if (ours !== undefined) kept.push(ours);
  return kept.length === 0 ? undefined : kept.join(',');
}

/** A `key` member: its raw (still percent-encoded) value, and whether it has the `shadow` property. */
interface Found {
  raw: string;
  shadow: boolean;
}

interface KeyScan {
  count: number;
  last: Found | undefined;
}

function scanKey(text: string, key: string): KeyScan {
  const scan: KeyScan = { count: 0, last: undefined };
  forEachMember(text, (start, end) => {
    const at = valueStart(text, start, end, key);
    if (at === -1) return;
    scan.count++;
    scan.last = memberAt(text, at, end);
  });
  return scan;
}

/** The last `key` member in `text`, or `previous` when `text` has none. */
function lastValueIn(text: string, key: string, previous: Found | undefined): Found | undefined {
  if (text.indexOf(key) === -1) return previous;
  let found = previous;
  forEachMember(text, (start, end) => {
    const at = valueStart(text, start, end, key);
    if (at !== -1) found = memberAt(text, at, end);
  });
  return found;
}

function memberAt(text: string, at: number, end: number): Found {
  return { raw: valueText(text, at, end), shadow: hasShadowProperty(text, at, end) };
}

/** Whether one of the member's properties (after the value, ";"-separated) is `shadow`. */
function hasShadowProperty(text: string, from: number, end: number): boolean {
  let semicolon = text.indexOf(';', from);
  while (semicolon !== -1 && semicolon < end) {
    const next = text.indexOf(';', semicolon + 1);
    const stop = next !== -1 && next < end ? next : end;
    const property = trimOws(text.slice(semicolon + 1, stop));
    if (property === 'shadow' || property.startsWith('shadow=')) return true;
    semicolon = next;
  }
  return false;
}

/** Calls `visit` with the bounds of each comma-separated element; no substrings are allocated. */
function forEachMember(text: string, visit: (start: number, end: number) => void): void {
  let start = 0;
  for (;;) {
    const comma = text.indexOf(',', start);
    const end = comma === -1 ? text.length : comma;
    visit(start, end);
    if (comma === -1) return;
    start = comma + 1;
  }
}

/**
 * When text[start, end) is a member whose key is exactly `key`, returns the index just after its "=";
 * otherwise -1. OWS is allowed before the key and on both sides of the "=".
 */
function valueStart(text: string, start: number, end: number, key: string): number {
  let i = start;
  while (i < end && isOws(text.charCodeAt(i))) i++;
  if (end - i < key.length + 1 || !text.startsWith(key, i)) return -1;
  i += key.length;
  while (i < end && isOws(text.charCodeAt(i))) i++;
  return i < end && text.charCodeAt(i) === 0x3d /* "=" */ ? i + 1 : -1;
}

/** The value between the "=" and the first ";" (properties follow it), OWS trimmed. */
function valueText(text: string, from: number, end: number): string {
  const semicolon = text.indexOf(';', from);
  const stop = semicolon !== -1 && semicolon < end ? semicolon : end;
  return trimOws(text.slice(from, stop));
}

/** W3C values are percent-encoded UTF-8; an undecodable value is returned as is (it will not be a color). */
function percentDecode(raw: string): string {
  if (raw.indexOf('%') === -1) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
