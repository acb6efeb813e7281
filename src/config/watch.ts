// Keeps the rules current while the sidecar runs: watches the rule file's directory (a ConfigMap update swaps
// the `..data` symlink, which a watch on the file itself would miss), validates every new version completely,
// swaps it in atomically, and keeps the last good rules when a new version is invalid. With a watch path
// `configmap://NAMESPACE/NAME` (SPEC 6a) the text comes from the Kubernetes API instead; the rest is the same.
import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, dirname } from 'node:path';
import type { Rules } from '../core/types.js';
import { channels, publish, type ReloadEvent } from '../events.js';
import type { KubeConfig } from '@kubernetes/client-node';
import { configMapFromWatchPath, watchConfigMapRules, CONFIGMAP_RULES_KEY, type ConfigMapRef, type ConfigMapWatchOptions } from './configmap-watch.js';
import { loadKubeConfigLazily } from './kube-config.js';
import { ConfigError, parseRules, unreadableProblem, type ConfigProblem } from './load.js';

export interface RulesWatcherOptions {
  /** quiet time after the last file-system event before re-reading; default 100 */
  debounceMs?: number;
  /** fallback re-read interval, for file systems where fs.watch misses events; default 2000 */
  pollMs?: number;
  /** for a `configmap://` path: the API to watch (default: in-cluster service account, else KUBECONFIG) */
  kubeConfig?: KubeConfig;
  configMap?: ConfigMapWatchOptions;
}

export interface ReloadFailure {
  readonly message: string;
  readonly problems: readonly ConfigProblem[];
  /** ISO time of the failed attempt */
  readonly at: string;
}

/**
 * Events: 'change' (rules: Rules) after a new valid version is in force; 'invalid' (err: ConfigError) when a new
 * version was rejected (the previous rules stay). Not 'error': an unhandled 'error' event would crash the sidecar.
 */
export class RulesWatcher extends EventEmitter {
  private rules: Rules;
  private failure: ReloadFailure | undefined;
  /** hash of the last text examined, good or bad, so an unchanged invalid file is reported once, not every poll */
  private lastSeenHash: string;
  private watcher: FSWatcher | undefined;
  private debounceTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private reloading = false;
  private reloadAgain = false;
  private running = false;
  private stopped = false;
  private readonly debounceMs: number;
  private readonly pollMs: number;
  private readonly configMap: ConfigMapRef | undefined;
  private configMapWatch: { stop(): void } | undefined;
  private apiError: { message: string; at: string } | undefined;
  private readonly kubeConfig: KubeConfig | undefined;
  private readonly configMapOptions: ConfigMapWatchOptions | undefined;

  constructor(
    private readonly path: string,
    initial: Rules,
    opts: RulesWatcherOptions = {},
  ) {
    super();
    this.rules = initial;
    this.lastSeenHash = initial.hash;
    this.debounceMs = opts.debounceMs ?? 100;
    this.pollMs = opts.pollMs ?? 2000;
    this.configMap = configMapFromWatchPath(path);
    this.kubeConfig = opts.kubeConfig;
    this.configMapOptions = opts.configMap;
  }

  /** The rules in force. Callers take this reference once per request, so a swap never changes a request midway. */
  get current(): Rules {
    return this.rules;
  }

  /** The last rejected version, until a valid version replaces it. */
  get lastError(): ReloadFailure | undefined {
    return this.failure;
  }

  /** For a ConfigMap source: the last time the API could not be reached (cleared when it answers again). */
  get sourceError(): { message: string; at: string } | undefined {
    return this.apiError;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopped = false;
    if (this.configMap !== undefined) {
      this.startConfigMapWatch(this.configMap);
      return;
    }
    this.watchDirectory();
    this.pollTimer = setInterval(() => {
      // The directory may have been unmounted and remounted; try to watch it again.
      if (this.watcher === undefined) this.watchDirectory();
      this.reloadInBackground();
    }, this.pollMs);
    this.pollTimer.unref();
  }

  stop(): void {
    this.running = false;
    this.stopped = true;
    this.watcher?.close();
    this.watcher = undefined;
    this.configMapWatch?.stop();
    this.configMapWatch = undefined;
    clearTimeout(this.debounceTimer);
    clearInterval(this.pollTimer);
    this.debounceTimer = undefined;
    this.pollTimer = undefined;
  }

  /**
   * Re-reads the file now; resolves once the new version is in force or rejected. When a read is already in
   * progress it only asks that one to read again and resolves at once. Used by the timers, and by tests.
   */
  async reload(): Promise<void> {
    // A ConfigMap source pushes every version as it comes; there is nothing to re-read.
    if (this.configMap !== undefined) return;
    if (this.reloading) {
      // A change arrived while a read was in progress: read once more afterwards so the last write wins.
      this.reloadAgain = true;
      return;
    }
    this.reloading = true;
    try {
      do {
        this.reloadAgain = false;
        await this.reloadOnce();
      } while (this.reloadAgain && this.running);
    } finally {
      this.reloading = false;
    }
  }

  private async reloadOnce(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if (this.stopped) return;
      const problem = unreadableProblem(this.path, err);
      this.reject(new ConfigError([problem]), `unreadable:${problem.message}`);
      return;
    }
    // stop() while reading: a stopped watcher must not swap rules or emit any more.
    if (this.stopped) return;
    this.accept(text);
  }

  /** A new version of the text, from the file or the API: validated whole, swapped in only when valid. */
  private accept(text: string): void {
    const hash = createHash('sha256').update(text).digest('hex').slice(0, 12);
    if (hash === this.lastSeenHash) return;
    if (hash === this.rules.hash) {
      // Back to the version in force (e.g. after a moment without the file): nothing to swap, nothing failing.
      this.lastSeenHash = hash;
      this.failure = undefined;
      return;
    }
    let next: Rules;
    try {
      next = parseRules(text, this.path);
    } catch (err) {
      const configError = err instanceof ConfigError ? err : new ConfigError([{ file: this.path, line: 0, column: 0, path: '', message: String(err) }]);
      this.reject(configError, hash);
      return;
    }
    this.lastSeenHash = hash;
    this.rules = next;
    this.failure = undefined;
    publish<ReloadEvent>(channels.reload, { result: 'success', source: this.path, hash: next.hash, version: next.version, error: undefined });
    this.emit('change', next);
  }

  private startConfigMapWatch(ref: ConfigMapRef): void {
    const source = this.path;
    const begin = (kc: KubeConfig): void => {
      if (this.stopped) return;
      this.configMapWatch = watchConfigMapRules(
        kc,
        ref,
        {
          text: (text) => {
            if (this.stopped) return;
            this.apiError = undefined;
            if (text === undefined) {
              const message = `configmap ${ref.namespace}/${ref.name} or its key "${CONFIGMAP_RULES_KEY}" is gone; keeping the last good rules`;
              this.reject(new ConfigError([{ file: source, line: 0, column: 0, path: '', message }]), `missing:${message}`);
              return;
            }
            this.accept(text);
          },
          unavailable: (err) => {
            this.apiError = { message: err.message, at: new Date().toISOString() };
            this.emit('unavailable', err);
          },
        },
        this.configMapOptions,
      );
    };
    if (this.kubeConfig !== undefined) {
      begin(this.kubeConfig);
      return;
    }
    // Loaded only in ConfigMap mode: a file-based sidecar never pays for client-node.
    loadKubeConfigLazily().then(begin, (err: Error) => this.emit('unavailable', err));
  }

  private reject(err: ConfigError, seenKey: string): void {
    if (seenKey === this.lastSeenHash) return;
    this.lastSeenHash = seenKey;
    this.failure = { message: err.message, problems: err.problems, at: new Date().toISOString() };
    publish<ReloadEvent>(channels.reload, {
      result: 'failure',
      source: this.path,
      hash: this.rules.hash,
      version: this.rules.version,
      error: err.message,
    });
    this.emit('invalid', err);
  }

  private watchDirectory(): void {
    const fileName = basename(this.path);
    try {
      this.watcher = watch(dirname(this.path), { persistent: false }, (_event, changed) => {
        // A ConfigMap swap renames `..data_tmp` over `..data`, so events for other names matter too; only
        // editor swap files are worth ignoring, and re-reading is cheap, so no filtering beyond that.
        if (changed !== null && changed !== fileName && /(\.swp|~)$/.test(changed)) return;
        this.schedule();
      });
      this.watcher.on('error', () => {
        // The directory went away (volume remounted): fall back to polling until it can be watched again.
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      this.watcher = undefined;
    }
  }

  /** A throwing 'change' listener must not become an unhandled rejection that takes the sidecar down. */
  private reloadInBackground(): void {
    this.reload().catch((err: unknown) => process.emitWarning(`colormesh: a rules 'change' listener failed: ${String(err)}`));
  }

  private schedule(): void {
    if (!this.running) return;
    clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => this.reloadInBackground(), this.debounceMs);
    this.debounceTimer.unref();
  }
}
