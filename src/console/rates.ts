// Turns successive scrapes of each sidecar into per-second rates over a sliding window, so the lane
// map moves smoothly; the deltas (with counter resets) are the rollout's own (release/lane-figures.ts).
import { deltas } from '../release/lane-figures.js';
import type { Sample } from '../release/prom-text.js';
import type { RateSample } from './lanes.js';

export interface Snapshot {
  /** ms since the epoch when the scrape finished */
  at: number;
  samples: readonly Sample[];
}

/** Counters (and histogram parts) become rates; everything else is a gauge, taken as it is. */
export function isCounterName(name: string): boolean {
  return name.endsWith('_total') || name.endsWith('_bucket') || name.endsWith('_count') || name.endsWith('_sum');
}

/** Rates between two scrapes of one sidecar, plus the gauges of the later one. */
export function ratesBetween(first: Snapshot, last: Snapshot): RateSample[] {
  const out: RateSample[] = [];
  for (const s of last.samples) if (!isCounterName(s.name)) out.push(s);
  const seconds = (last.at - first.at) / 1000;
  if (!(seconds > 0)) return out;
  const one = (snapshot: Snapshot) => new Map([['target', snapshot.samples]]);
  for (const d of deltas(one(first), one(last), (s) => isCounterName(s.name))) out.push({ name: d.name, labels: d.labels, value: d.value / seconds });
  return out;
}

/**
 * Keeps the recent scrapes of each target and answers rates over the window: the oldest scrape still
 * inside the window against the newest. A target that fails a scrape keeps its last good data until
 * twice the window has passed, so one slow scrape does not blank its lanes.
 */
export class RateWindow {
  private readonly history = new Map<string, Snapshot[]>();

  constructor(private readonly windowMs: number) {}

  add(target: string, snapshot: Snapshot): void {
    const list = this.history.get(target) ?? [];
    list.push(snapshot);
    // Keep the newest scrape that is at least a window old, as the base of the rate.
    while (list.length > 2 && snapshot.at - (list[1] as Snapshot).at >= this.windowMs) list.shift();
    this.history.set(target, list);
  }

  rates(now: number): RateSample[] {
    const out: RateSample[] = [];
    for (const list of this.history.values()) {
      const first = list[0];
      const last = list.at(-1);
      if (first === undefined || last === undefined || now - last.at > this.windowMs * 2) continue;
      // With a single scrape there is no rate yet, only gauges.
      out.push(...ratesBetween(first, last));
    }
    return out;
  }
}
