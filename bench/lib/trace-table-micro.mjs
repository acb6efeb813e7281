// The trace table at capacity, three designs side by side: insert + get cost per operation from empty
// to full (100 000) and then 200 000 inserts past it, in windows of 10 000, so a cost that grows with
// the fill level or with eviction shows as a rising row (issue 9: "the trace table's cost flat").
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import { LRUCache } from 'lru-cache';
import { TwoGenerationTable } from './two-generation-table.mjs';
import { MapLruTable } from './map-lru-table.mjs';

export const CAPACITY = 100_000;
const PAST_CAPACITY = 200_000;
const WINDOW = 10_000;
const TTL_MS = 300_000;
/** The get of each operation reads the trace set this many operations earlier (the app's own call out). */
const GET_LAG = 8;

/**
 * The designs, each as a factory of { set, get } for one fresh table of `max` entries: the table before issue 9, the
 * one dist/ holds now, lru-cache as configured by hand, and two generations of Maps.
 */
export async function designs(distUrl) {
  const out = {};
  out['Map LRU (before)'] = (max) => new MapLruTable({ maxEntries: max, ttlMs: TTL_MS });
  try {
    const { TraceColorTable } = await import(new URL('core/trace-table.js', distUrl).href);
    out['dist (current build)'] = (max) => new TraceColorTable({ maxEntries: max, ttlMs: TTL_MS });
  } catch (err) {
    out['dist (current build)'] = () => { throw new Error(`dist/src/core/trace-table.js: ${err.message}`); };
  }
  out['lru-cache'] = (max) => new LRUCache({ max, ttl: TTL_MS });
  out['two-generation'] = (max) => new TwoGenerationTable({ maxEntries: max, ttlMs: TTL_MS });
  // Not a design: a Map that never evicts, the floor every Map-based table pays (hashing fresh
  // strings, cache misses, growth); what a design costs above it is its own bookkeeping.
  out['Map, unbounded (floor)'] = () => new Map();
  return out;
}

/**
 * Trace ids as the sidecar gets them: sliced out of a fresh traceparent string each, a different
 * string instance for the inbound set and for the outbound get (so each computes its own hash).
 */
function traceIds(count) {
  const hex = randomBytes(16 * count).toString('hex');
  const slice = (i) => `00-${hex.slice(32 * i, 32 * i + 32)}-00f067aa0ba902b7-01`.slice(3, 35);
  const setKeys = new Array(count);
  const getKeys = new Array(count);
  for (let i = 0; i < count; i++) setKeys[i] = slice(i);
  for (let i = 0; i < count; i++) getKeys[i] = slice(i);
  return { setKeys, getKeys };
}

/** ns per (set + get) in each window of one pass from empty to `past` inserts beyond `capacity`. */
function onePass(makeTable, keys, capacity = CAPACITY, past = PAST_CAPACITY) {
  // the keys already exist (the caller made them), so the heap gained is the table's own structure
  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  const table = makeTable(capacity);
  const total = capacity + past;
  const ns = [];
  let hits = 0;
  for (let from = 0; from < total; from += WINDOW) {
    const start = performance.now();
    for (let i = from; i < Math.min(total, from + WINDOW); i++) {
      table.set(keys.setKeys[i], 'blue');
      if (table.get(keys.getKeys[i < GET_LAG ? i : i - GET_LAG]) !== undefined) hits++;
    }
    ns.push(((performance.now() - start) * 1e6) / WINDOW);
  }
  if (hits < total * 0.99) throw new Error(`only ${hits} of ${total} gets hit: the table lost recent entries`);
  collectGarbage();
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  return { ns, size: table.size, heapMb };
}

/** A full collection between runs, so one run's garbage is not collected inside the next one's windows. */
function collectGarbage() {
  v8.setFlagsFromString('--expose-gc');
  vm.runInNewContext('gc')();
}

/**
 * Median per window over `passes` fresh tables of each design, the designs interleaved within each
 * pass so a noisy minute of a shared machine hits all of them alike. Fresh trace ids for every run.
 */
export async function measureTraceTables(distUrl, passes) {
  const factories = await designs(distUrl);
  const result = { capacity: CAPACITY, pastCapacity: PAST_CAPACITY, window: WINDOW, getLag: GET_LAG, passes, designs: {} };
  const runs = Object.fromEntries(Object.keys(factories).map((name) => [name, []]));
  const errors = {};
  // JIT warm-up on small tables (filling and evicting), so the first window measures an empty table
  for (const [name, make] of Object.entries(factories)) {
    try { onePass(make, traceIds(20_000), 5_000, 15_000); } catch (err) { errors[name] = err.message; }
  }
  for (let p = 0; p < passes; p++) {
    for (const [name, make] of Object.entries(factories)) {
      if (errors[name]) continue;
      const keys = traceIds(CAPACITY + PAST_CAPACITY);
      try {
        runs[name].push(onePass(make, keys));
      } catch (err) {
        errors[name] = err.message;
      }
    }
  }
  for (const name of Object.keys(factories)) {
    if (errors[name]) {
      result.designs[name] = { error: errors[name] };
      continue;
    }
    const ns = runs[name][0].ns.map((_, w) => {
      const column = runs[name].map((r) => r.ns[w]).sort((a, b) => a - b);
      return column[Math.floor(column.length / 2)];
    });
    // flat = good: the cost past capacity against the cost while filling (first window left out)
    const full = CAPACITY / WINDOW;
    const pastOverFilling = middle(ns.slice(full)) / middle(ns.slice(1, full));
    // the fastest pass per window: on a shared machine, interference only ever adds time
    const best = runs[name][0].ns.map((_, w) => Math.min(...runs[name].map((r) => r.ns[w])));
    result.designs[name] = {
      ns, pastOverFilling, sizeAtEnd: runs[name][0].size, heapMbAtEnd: middle(runs[name].map((r) => r.heapMb)),
      best: { ns: best, fillingNs: middle(best.slice(1, full)), pastCapacityNs: middle(best.slice(full)) },
    };
  }
  return result;
}

function middle(values) {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** The windows the printed table shows: [label, index of the window ending at that many inserts]. */
export const SHOWN_WINDOWS = [
  ['0-10k', 0], ['40-50k', 4], ['90-100k (full)', 9], ['100-110k', 10], ['190-200k', 19], ['290-300k', 29],
];
