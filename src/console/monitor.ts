// The console's loop: every refresh it re-reads the rules, samples the metrics and the rollout
// status, and keeps the latest ConsoleState for the server to hand out.
import { ConfigError } from '../config/load.js';
import type { RulesStore } from '../release/rules-store.js';
import type { RateSample } from './lanes.js';
import { readRolloutStatus } from './rollout-status.js';
import { fromHistory, fromStatusFile, recordWeights, type WeightsSeen } from './rollout-view.js';
import { rulesView, type RulesView } from './rules-view.js';
import { buildState, type ConsoleState, type TargetStatus } from './state.js';

/** Where the lane figures come from: the sidecars' /metrics scraped directly, or Prometheus. */
export interface MetricsSource {
  describe(): string;
  /** per-second rates of counters and buckets, gauges as they are, and how each source answered */
  sample(now: number): Promise<{ samples: RateSample[]; targets: TargetStatus[] }>;
}

export interface MonitorOptions {
  store: RulesStore;
  metrics: MetricsSource;
  /** the rollout status file to read (rules in a file); undefined: infer from the weights' history */
  rolloutStatusPath?: string;
  refreshMs: number;
  now?: () => number;
}

export class ConsoleMonitor {
  private view: RulesView | undefined;
  private version: string | undefined;
  private rulesError: string | undefined;
  private samples: RateSample[] = [];
  private targets: TargetStatus[] = [];
  private readonly history: WeightsSeen[] = [];
  private current: ConsoleState;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: MonitorOptions) {
    this.now = opts.now ?? Date.now;
    this.current = this.assemble(undefined);
  }

  state(): ConsoleState {
    return this.current;
  }

  /** Refreshes now, then every refreshMs; one refresh at a time, so a slow scrape never piles up. */
  start(): Promise<void> {
    this.stopped = false;
    const tick = async (): Promise<void> => {
      await this.refresh();
      if (!this.stopped) this.timer = setTimeout(() => void tick(), this.opts.refreshMs);
    };
    return tick();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  refresh(): Promise<void> {
    this.running ??= this.refreshOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Re-reads only the rules (after the console itself wrote them), so the page shows the write at once. */
  async refreshRules(): Promise<void> {
    await this.readRules();
    this.current = this.assemble(await this.rollout());
  }

  private async refreshOnce(): Promise<void> {
    const [, sampled] = await Promise.all([
      this.readRules(),
      this.opts.metrics.sample(this.now()).catch((err: Error) => ({ samples: [] as RateSample[], targets: [{ url: this.opts.metrics.describe(), ok: false, error: err.message }] })),
    ]);
    // After the rules: the rollout's share and history are about the weights just read.
    const rollout = await this.rollout();
    this.samples = sampled.samples;
    this.targets = sampled.targets;
    this.current = this.assemble(rollout);
  }

  private async readRules(): Promise<void> {
    let read: { text: string; version: string };
    try {
      read = await this.opts.store.read();
    } catch (err) {
      this.rulesError = `cannot read ${this.opts.store.describe()}: ${(err as Error).message}`;
      return;
    }
    if (read.version === this.version && this.view !== undefined) {
      this.rulesError = undefined; // the last good text is back (an invalid edit was undone)
      return;
    }
    try {
      this.view = rulesView(read.text, this.opts.store.describe());
      this.version = read.version;
      this.rulesError = undefined;
      recordWeights(this.history, this.view.split?.weights, this.now());
    } catch (err) {
      // Someone saved an invalid file: keep showing the last good rules, as the sidecars keep routing by them.
      this.rulesError = err instanceof ConfigError ? err.message : (err as Error).message;
    }
  }

  private async rollout() {
    const now = this.now();
    if (this.opts.rolloutStatusPath !== undefined) {
      const status = await readRolloutStatus(this.opts.rolloutStatusPath);
      if (status !== undefined) return fromStatusFile(status, this.view?.split?.weights, now);
    }
    return fromHistory(this.history, now);
  }

  private assemble(rollout: ReturnType<typeof fromHistory>): ConsoleState {
    return buildState({
      now: this.now(),
      refreshMs: this.opts.refreshMs,
      rulesSource: this.opts.store.describe(),
      rules: this.view,
      storeVersion: this.version,
      rulesError: this.rulesError,
      metricsSource: this.opts.metrics.describe(),
      samples: this.samples,
      targets: this.targets,
      rollout,
    });
  }
}
