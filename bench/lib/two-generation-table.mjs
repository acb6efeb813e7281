// A trace id → color table of two generations of Maps, for bench/micro.mjs to compare with the
// project's LRU and with lru-cache: O(1) at capacity with no per-entry bookkeeping (issue 9, item 3).
// Not used by the sidecar; the lead picks a design from the measurements.

/**
 * New entries go into `current`; when it holds half the capacity it becomes `previous` and the old
 * `previous` is dropped whole (one Map for the GC, no per-entry eviction). A hit in `previous` moves
 * the entry forward, so a trace in use survives the swap. Holds between half and all of maxEntries.
 * TTL runs from the last set and is checked on read; expired entries go with their generation.
 */
export class TwoGenerationTable {
  constructor({ maxEntries = 100_000, ttlMs = 300_000, now = () => performance.now() } = {}) {
    this.half = Math.max(1, Math.ceil(maxEntries / 2));
    this.ttlMs = ttlMs;
    this.now = now;
    this.current = new Map();
    this.previous = new Map();
  }

  set(traceId, color) {
    const expiresAt = this.now() + this.ttlMs;
    let entry = this.current.get(traceId);
    if (entry === undefined) {
      entry = this.previous.get(traceId);
      if (entry !== undefined) this.previous.delete(traceId);
      else entry = { color, expiresAt };
      this.insert(traceId, entry);
    }
    entry.color = color;
    entry.expiresAt = expiresAt;
  }

  get(traceId) {
    let entry = this.current.get(traceId);
    if (entry === undefined) {
      entry = this.previous.get(traceId);
      if (entry === undefined) return undefined;
      if (this.now() >= entry.expiresAt) return undefined;
      this.previous.delete(traceId);
      this.insert(traceId, entry);
      return entry.color;
    }
    return this.now() >= entry.expiresAt ? undefined : entry.color;
  }

  get size() {
    return this.current.size + this.previous.size;
  }

  insert(traceId, entry) {
    if (this.current.size >= this.half) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(traceId, entry);
  }
}
