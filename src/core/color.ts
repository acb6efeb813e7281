// What a valid traffic-lane color is (SPEC 1), and how a raw value from a header becomes one or none.

/** SPEC 1; applied after lower-casing. At most 32 characters, no leading or trailing hyphen. */
export const COLOR_PATTERN = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;

// The same pattern, case-insensitive, checked BEFORE lower-casing: without the `u` flag it matches ASCII
// letters only, so a look-alike such as the Kelvin sign (U+212A, which lower-cases to "k") is rejected
// instead of being turned into a valid color.
const COLOR_ANY_CASE = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/i;

/**
 * Turns a raw value (from baggage, a flag, a rule file) into a color, or undefined when it is empty or
 * invalid. Only optional whitespace (space and tab, RFC 9110 OWS) is trimmed: any other character makes
 * the value invalid rather than being silently stripped, so "blue\n" cannot pass as "blue".
 */
export function normalizeColor(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const trimmed = trimOws(raw);
  if (!COLOR_ANY_CASE.test(trimmed)) return undefined;
  return trimmed.toLowerCase();
}

/** True for the characters RFC 9110 calls optional whitespace. */
export function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** Removes leading and trailing OWS; returns the same string when there is none (no allocation). */
export function trimOws(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isOws(text.charCodeAt(start))) start++;
  while (end > start && isOws(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}
