// Remembers which color the inbound side saw for a trace, so the outbound side can color calls of apps that
// do not forward `baggage` but do forward `traceparent` (SPEC 3 step 2). Bounded LRU with a TTL.
import { LRUCache } from 'lru-cache';

// W3C Trace Context: version "-" trace-id "-" parent-id "-" flags, lower-case hex only.
const TRACEPARENT_PREFIX = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}/;
const TRACEPARENT_LENGTH = 55;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_PARENT_ID = '0'.repeat(16);

/**
 * The trace id of a `traceparent` value, or undefined when it is not valid per W3C Trace Context:
 * version ff, all-zero ids, wrong lengths or upper-case hex are rejected. A version newer than 00 is
 * accepted when its prefix parses and anything after it starts with "-", as the spec asks of parsers
 * that meet a future version. Several traceparent headers (an array, or Node's ", "-joined duplicates)
 * are ambiguous and rejected.
 */
export function traceIdOf(traceparent: string | string[] | undefined): string | undefined {
  if (Array.isArray(traceparent)) {
    if (traceparent.length !== 1) return undefined;
    traceparent = traceparent[0];
  }
  if (traceparent === undefined || traceparent.length < TRACEPARENT_LENGTH) return undefined;
  const value = traceparent.trim();
  if (!TRACEPARENT_PREFIX.test(value)) return undefined;
  const version = value.slice(0, 2);
  if (version === 'ff') return undefined;
  if (version === '00' ? value.length !== TRACEPARENT_LENGTH : value.length > TRACEPARENT_LENGTH && value[TRACEPARENT_LENGTH] !== '-') {
    return undefined;
  }
  const traceId = value.slice(3, 35);
  if (traceId === ZERO_TRACE_ID || value.slice(36, 52) === ZERO_PARENT_ID) return undefined;
  return traceId;
}

export interface TraceColorTableOptions {
  /** default 100000 */
  maxEntries?: number;
  /** default 300000 (5 minutes) */
  ttlMs?: number;
  /** clock in milliseconds; injected for tests. Default: the monotonic performance.now() */
  now?: () => number;
}

/** What the table remembers of a trace: its color, and whether it is a shadow copy's (SPEC 8). */
export interface Remembered {
  readonly color: string;
  readonly shadow: boolean;
}

/**
 * trace id → color: an LRU bounded in entries with a TTL (lru-cache, O(1) at capacity, which the
 * hand-made Map LRU this replaced was not). The TTL runs from the last `set` (the inbound side sets
 * it on every request of the trace); a `get` refreshes recency only, so a trace that stops arriving
 * at the inbound side expires on time.
 */
export class TraceColorTable {
  private readonly cache: LRUCache<string, Remembered>;
  /** one frozen value per color and shadow flag: colors are few, so a set allocates nothing */
  private readonly interned = new Map<string, Remembered>();

  constructor(opts: TraceColorTableOptions = {}) {
    const now = opts.now ?? (() => performance.now());
    this.cache = new LRUCache<string, Remembered>({
      max: Math.max(1, Math.floor(opts.maxEntries ?? 100_000)),
      ttl: opts.ttlMs ?? 300_000,
      updateAgeOnGet: false,
      // read the clock on every call (the default caches it for 1 ms behind a timer)
      ttlResolution: 0,
      allowStale: false,
      perf: { now },
    });
  }

  set(traceId: string, color: string, shadow = false): void {
    const key = shadow ? `${color};shadow` : color;
    let value = this.interned.get(key);
    if (value === undefined) {
      if (this.interned.size > 10_000) this.interned.clear();
      value = Object.freeze({ color, shadow });
      this.interned.set(key, value);
    }
    this.cache.set(traceId, value);
  }

  get(traceId: string): Remembered | undefined {
    return this.cache.get(traceId);
  }

  /** Entries held, including expired ones not yet touched. */
  get size(): number {
    return this.cache.size;
  }
}
