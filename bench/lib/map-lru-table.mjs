// The trace table as it was before issue 9 (src/core/trace-table.ts at d28dfb6), ported to plain JS
// so bench/micro.mjs can keep showing the "before" beside whatever dist/ now holds.
// A Map LRU: every get deletes and re-inserts its key, eviction takes the first key in order.

export class MapLruTable {
  constructor({ maxEntries = 100_000, ttlMs = 300_000, now = () => performance.now() } = {}) {
    this.entries = new Map();
    this.maxEntries = Math.max(1, Math.floor(maxEntries));
    this.ttlMs = ttlMs;
    this.now = now;
  }

  set(traceId, color) {
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

  get(traceId) {
    const entry = this.entries.get(traceId);
    if (entry === undefined) return undefined;
    this.entries.delete(traceId);
    if (this.now() >= entry.expiresAt) return undefined;
    this.entries.set(traceId, entry);
    return entry.color;
  }

  get size() {
    return this.entries.size;
  }

  /** Up to two expired entries from the least recently used end per insert (the original's sweep). */
  dropExpiredOldest(now) {
    for (let i = 0; i < 2; i++) {
      const oldest = this.entries.entries().next();
      if (oldest.done === true || now < oldest.value[1].expiresAt) return;
      this.entries.delete(oldest.value[0]);
    }
  }
}
