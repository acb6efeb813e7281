// Keeps metric label values bounded: a client can send many valid-looking colors, and every distinct
// value would otherwise become a new time series in every scraper.

/** Label value for "no color" / "no service"; not a valid color name, so it cannot collide with one. */
export const NONE_LABEL = '-';
/** Label value for everything past the cap; also not a valid color name. */
export const OTHER_LABEL = '_other';

export const DEFAULT_MAX_VALUES = 50;

/**
 * Admits the values of an allow-list up front, then the first `max` other values in the order
 * they are seen; every later value is reported as `_other`. Once admitted a value stays admitted,
 * so a series never changes meaning half-way through a process's life.
 */
export class BoundedLabel {
  private readonly admitted = new Set<string>();
  private others = 0;

  constructor(
    private readonly max: number = DEFAULT_MAX_VALUES,
    allowList: Iterable<string> = [],
  ) {
    for (const value of allowList) this.admitted.add(value);
  }

  value(raw: string | undefined): string {
    if (raw === undefined || raw === '') return NONE_LABEL;
    if (this.admitted.has(raw)) return raw;
    if (this.others < this.max) {
      this.others++;
      this.admitted.add(raw);
      return raw;
    }
    return OTHER_LABEL;
  }
}

/** "2xx" … "5xx"; a status outside 100–599 (0: nothing was sent) is "unknown". */
export function statusClass(status: number): string {
  if (status < 100 || status > 599) return 'unknown';
  return `${Math.floor(status / 100)}xx`;
}
