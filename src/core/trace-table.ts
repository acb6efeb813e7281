// Remembers which color the inbound side saw for a trace, so the outbound side can color calls of apps that
// do not forward `baggage` but do forward `traceparent` (SPEC 3 step 2). Bounded LRU with a TTL.

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

interface Entry {
  color: string;
  expiresAt: number;
}

/**
 * trace id → color. A Map iterates in insertion order, so deleting and re-inserting a key on every
 * touch keeps the least recently used entry first, and eviction takes it in O(1).
 * The TTL runs from the last `set` (the inbound side sets it on every request of the trace); a `get`
 * refreshes recency only, so a trace that stops arriving at the inbound side expires on time.
 */
export class TraceColorTable {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(opts: TraceColorTableOptions = {}) {
    this.maxEntries = Math.max(1, Math.floor(opts.maxEntries ?? 100_000));
    this.ttlMs = opts.ttlMs ?? 300_000;
    this.now = opts.now ?? (() => performance.now());
  }

  set(traceId: string, color: string): void {
    const now = this.now();
    const existing = this.entries.get(traceId);
    if (existing !== undefined) {
      this.entries.delete(traceId);
      existing.color = color;
      existing.expiresAt = now + this.ttlMs;
      this.entries.set(traceId, existing);
      return;
    }
    this.dropExpiredOldest(now);
    this.entries.set(traceId, { color, expiresAt: now + this.ttlMs });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
  }

  get(traceId: string): string | undefined {
    const entry = this.entries.get(traceId);
    if (entry === undefined) return undefined;
    this.entries.delete(traceId);
    if (this.now() >= entry.expiresAt) return undefined;
    this.entries.set(traceId, entry);
    return entry.color;
  }

  /** Entries held, including expired ones not yet touched or swept. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Sweeps a couple of expired entries from the least recently used end on each insert, so memory follows
   * the live traffic instead of sitting at the bound; bounded work per call, no timers.
   */
  private dropExpiredOldest(now: number): void {
    for (let i = 0; i < 2; i++) {
      const oldest = this.entries.entries().next();
      if (oldest.done === true || now < oldest.value[1].expiresAt) return;
      this.entries.delete(oldest.value[0]);
    }
  }
}
