// Records the updates a discovery source reports and lets a test wait, with a deadline, for one it expects.
import type { DiscoveredEndpoint, DiscoveryUpdate } from '../../src/discovery/source.js';

export interface NormalizedEndpoint {
  readonly address: string;
  readonly color: string | null;
  readonly healthy: boolean;
}

/** Sorted, with `healthy` and `color` explicit, so lists compare with deepEqual whatever order a source used. */
export function normalize(endpoints: readonly DiscoveredEndpoint[]): NormalizedEndpoint[] {
  return endpoints
    .map((e) => ({ address: e.address, color: e.color ?? null, healthy: e.healthy ?? true }))
    .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}

export class UpdateRecorder {
  readonly updates: DiscoveryUpdate[] = [];
  private waiters: Array<() => void> = [];

  /** Pass this to source.start(). */
  readonly listener = (update: DiscoveryUpdate): void => {
    this.updates.push(update);
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  };

  /** The next update not yet returned by next(). */
  private consumed = 0;
  async next(timeoutMs: number): Promise<DiscoveryUpdate> {
    const index = this.consumed;
    await this.until(() => this.updates.length > index, timeoutMs, `update #${index + 1}`);
    this.consumed = index + 1;
    return this.updates[index]!;
  }

  /** Resolves with the first update (seen so far or later) that matches. */
  async waitFor(matches: (update: DiscoveryUpdate) => boolean, timeoutMs: number): Promise<DiscoveryUpdate> {
    await this.until(() => this.updates.some(matches), timeoutMs, 'a matching update');
    const found = this.updates.find(matches)!;
    this.consumed = this.updates.indexOf(found) + 1;
    return found;
  }

  /** The latest update, if any. */
  get last(): DiscoveryUpdate | undefined {
    return this.updates.at(-1);
  }

  private until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (condition()) {
          clearTimeout(timer);
          resolve();
        } else this.waiters.push(check);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${JSON.stringify(this.updates)}`));
      }, timeoutMs);
      check();
    });
  }
}
