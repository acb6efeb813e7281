// Runs a rollout (SPEC 9): write each step's weights, sample the lanes, judge, move on or roll back. All
// I/O comes in through `RolloutIo`, the store and the scraper, so tests drive it with fakes and a fake clock.
import { judgeSample, formatLane, type Thresholds } from './judge.js';
import { laneReport, type Reading } from './lane-figures.js';
import { rollbackWeights, samplePeriodMs, weightsAt, type Lanes } from './plan.js';
import { RulesConflictError, type RulesStore } from './rules-store.js';
import type { Scraper } from './scrape.js';
import { InvalidRulesError, writeSplit } from './write-split.js';

/** SPEC 9: every step is sampled at least this many times before it can pass. */
export const MIN_SAMPLES_PER_STEP = 4;

export const EXIT = Object.freeze({ promoted: 0, rolledBack: 1, badInput: 2, conflict: 3, sigint: 130, sigterm: 143 });

export interface RolloutIo {
  /** one line per sample on standard output */
  out(line: string): void;
  /** the narrative (steps written, rollback, conflict) on standard error */
  err(line: string): void;
  now(): number;
  /** resolves after `ms`, or as soon as the rollout is interrupted */
  sleep(ms: number): Promise<void>;
  /** the signal that interrupted the rollout, if any */
  interrupted(): NodeJS.Signals | undefined;
  /** told at each step and at the end (for the console's rollout status file); errors are the caller's to swallow */
  progress?(update: RolloutProgress): void;
}

export interface RolloutProgress {
  /** index into the steps of the step running now (or the last one that ran); -1 before the first */
  readonly step: number;
  readonly state: 'running' | 'promoted' | 'rolled-back' | 'conflict';
  readonly reason?: string;
}

export interface RolloutPlan {
  readonly store: RulesStore;
  readonly scraper: Scraper;
  readonly lanes: Lanes;
  readonly steps: readonly number[];
  readonly intervalMs: number;
  readonly thresholds: Thresholds;
  /** the store's version the plan was checked against; a different one before the first write is a conflict */
  readonly baseVersion: string;
}

export async function runRollout(plan: RolloutPlan, io: RolloutIo): Promise<number> {
  const { lanes, steps } = plan;
  const periodMs = samplePeriodMs(plan.intervalMs);
  let version = plan.baseVersion;
  let step = -1;
  const report = (state: RolloutProgress['state'], reason?: string): void => io.progress?.({ step, state, ...(reason !== undefined ? { reason } : {}) });

  const write = async (weights: Record<string, number>): Promise<{ ok: true; rulesVersion: string } | { ok: false; code: number }> => {
    try {
      const written = await writeSplit(plan.store, weights, { expectedVersion: version });
      version = written.version;
      return { ok: true, rulesVersion: written.rulesVersion };
    } catch (err) {
      if (err instanceof RulesConflictError) {
        io.err(`conflict: ${err.message}; the rollout stops here and writes nothing more`);
        report('conflict', err.message);
        return { ok: false, code: EXIT.conflict };
      }
      if (err instanceof InvalidRulesError) {
        io.err(`the new weights would make the rules invalid, nothing written:\n${err.message}`);
        return { ok: false, code: EXIT.badInput };
      }
      io.err(`cannot write ${plan.store.describe()}: ${(err as Error).message}`);
      return { ok: false, code: EXIT.rolledBack };
    }
  };

  /** Rolls back and answers the exit code: `code` when the rollback was written. */
  const rollBack = async (why: string, code: number, judgedAt: number): Promise<number> => {
    const result = await write(rollbackWeights(lanes));
    if (!result.ok) {
      if (result.code !== EXIT.conflict) io.err(`ROLLBACK FAILED (${why}): set ${lanes.to} to 0 by hand`);
      return result.code === EXIT.conflict ? EXIT.conflict : EXIT.rolledBack;
    }
    io.err(`rolled back (${why}): ${lanes.to} 0%, ${lanes.from} ${lanes.sum}; rules ${result.rulesVersion}; written ${io.now() - judgedAt} ms after the decision`);
    report('rolled-back', why);
    return code;
  };

  const signalCode = (signal: NodeJS.Signals): number => (signal === 'SIGTERM' ? EXIT.sigterm : EXIT.sigint);

  for (let i = 0; i < steps.length; i++) {
    const share = steps[i] as number;
    const label = `step ${i + 1}/${steps.length} ${lanes.to} ${share}%`;
    const signal = io.interrupted();
    if (signal !== undefined) return rollBack(`interrupted by ${signal}`, signalCode(signal), io.now());
    const weights = weightsAt(lanes, share);
    step = i;
    report('running');
    const written = await write(weights);
    if (!written.ok) {
      // A step that could not be written: nothing of ours is half-done beyond the previous step; undo it.
      if (written.code === EXIT.conflict || i === 0) return written.code;
      return rollBack(`step ${i + 1} could not be written`, EXIT.rolledBack, io.now());
    }
    io.err(`${label}: weights ${lanes.to}=${weights[lanes.toKey]} ${lanes.from}=${weights[lanes.fromKey]} written (rules ${written.rulesVersion})`);
    const stepStart = io.now();
    let base: Reading;
    try {
      base = await plan.scraper.read();
    } catch (err) {
      io.out(`${label} | failed: ${(err as Error).message}`);
      return rollBack((err as Error).message, EXIT.rolledBack, io.now());
    }
    for (let sample = 1; ; sample++) {
      // Samples at fixed offsets from the step's start, so slow scrapes do not stretch the period.
      await io.sleep(Math.max(0, stepStart + sample * periodMs - io.now()));
      const interruptedBy = io.interrupted();
      if (interruptedBy !== undefined) return rollBack(`interrupted by ${interruptedBy}`, signalCode(interruptedBy), io.now());
      let now: Reading;
      try {
        now = await plan.scraper.read();
      } catch (err) {
        io.out(`${label} | failed: ${(err as Error).message}`);
        return rollBack((err as Error).message, EXIT.rolledBack, io.now());
      }
      const judgedAt = io.now();
      const elapsed = judgedAt - stepStart;
      const candidate = laneReport(base, now, lanes.to);
      const stable = laneReport(base, now, lanes.from);
      let verdict = judgeSample(candidate, plan.thresholds, elapsed, plan.intervalMs);
      // SPEC 9: at least 4 samples per step, even when a slow scrape has already used up the interval.
      if (verdict.kind === 'passed' && sample < MIN_SAMPLES_PER_STEP) verdict = { kind: 'healthy' };
      const figures = `${label} t=${(elapsed / 1000).toFixed(1)}s | ${formatLane(lanes.to, candidate)} | ${formatLane(lanes.from, stable)}`;
      if (verdict.kind === 'failed') {
        io.out(`${figures} | failed: ${verdict.reason}`);
        return rollBack(verdict.reason, EXIT.rolledBack, judgedAt);
      }
      // Each sample ends with its judgement: ok (healthy so far), waiting (too few requests to judge), failed.
      if (verdict.kind === 'waiting') {
        io.out(`${figures} | ${candidate.requests} of ${plan.thresholds.minRequests} requests needed | waiting`);
        continue;
      }
      if (verdict.kind === 'passed') {
        io.out(`${figures} | step passed | ok`);
        break;
      }
      io.out(`${figures} | ok`);
    }
  }
  io.err(`promoted: ${lanes.to} has ${lanes.sum} (100% of what ${lanes.from} and ${lanes.to} shared)`);
  report('promoted');
  return EXIT.promoted;
}

/** Sets the candidate's share to 0 at once (`--abort`). */
export async function abortRollout(store: RulesStore, lanes: Lanes, io: Pick<RolloutIo, 'out' | 'err'>): Promise<number> {
  try {
    const written = await writeSplit(store, rollbackWeights(lanes));
    io.out(`abort ${lanes.to} 0% | ${lanes.from} ${lanes.sum} | ${written.changed ? `rules ${written.rulesVersion}` : 'already 0'} | ok`);
    return EXIT.promoted;
  } catch (err) {
    if (err instanceof RulesConflictError) {
      io.err(`conflict: ${err.message}`);
      return EXIT.conflict;
    }
    if (err instanceof InvalidRulesError) {
      io.err(`the new weights would make the rules invalid, nothing written:\n${err.message}`);
      return EXIT.badInput;
    }
    throw err;
  }
}
