// One coarse timer for every request deadline instead of a timer per request: a sweep every
// SWEEP_MS over the requests waiting for response headers, running only while there are some.

export const SWEEP_MS = 20;

export interface HasDeadline {
  /** performance.now() by which it must be done; 0 = none */
  deadline: number;
  onDeadline(): void;
}

export class DeadlineSweep {
  private readonly waiting = new Set<HasDeadline>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Starts `item`'s deadline `ms` from now. */
  start(item: HasDeadline, ms: number): void {
    item.deadline = this.now() + ms;
    this.waiting.add(item);
    if (this.timer === undefined) {
      this.timer = setInterval(this.sweep, SWEEP_MS);
      this.timer.unref();
    }
  }

  stop(item: HasDeadline): void {
    if (item.deadline === 0) return;
    item.deadline = 0;
    this.waiting.delete(item);
  }

  get size(): number {
    return this.waiting.size;
  }

  private readonly sweep = (): void => {
    const now = this.now();
    for (const item of this.waiting) {
      if (item.deadline > now) continue;
      this.waiting.delete(item);
      item.deadline = 0;
      item.onDeadline();
    }
    if (this.waiting.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  };
}
