// What the page shows of a rollout: the status file when `colormesh rollout` writes one, otherwise
// what the history of the split weights says (a candidate's share that moved recently).
import { splitRoles } from './lanes.js';
import type { RolloutState, RolloutStatus } from './rollout-status.js';

export interface WeightsSeen {
  /** ms since the epoch when the console first saw these weights */
  at: number;
  weights: Readonly<Record<string, number>>;
}

export interface RolloutView {
  source: 'status-file' | 'weights-history';
  from: string;
  to: string;
  /** the candidate's share after each step, in percent */
  steps: number[];
  /** index of the running (or last) step; -1 before the first */
  step: number;
  state: RolloutState | 'stale' | 'seen';
  /** the candidate's share of the from+to weights now, in percent */
  share: number | null;
  startedAt: string;
  updatedAt: string;
  reason?: string;
}

/** How long weights-history inference keeps saying "in progress" after the last move. */
export const INFER_WINDOW_MS = 10 * 60_000;
/** How long a finished rollout from the status file stays on the page. */
export const FINISHED_SHOWN_MS = 30 * 60_000;

function shareOf(weights: Readonly<Record<string, number>> | undefined, from: string, to: string): number | null {
  if (weights === undefined) return null;
  const sum = (weights[from] ?? 0) + (weights[to] ?? 0);
  return sum > 0 ? Math.round(((weights[to] ?? 0) * 1000) / sum) / 10 : null;
}

export function fromStatusFile(status: RolloutStatus, weights: Readonly<Record<string, number>> | undefined, now: number): RolloutView | undefined {
  const updated = Date.parse(status.updatedAt);
  if (status.state !== 'running' && now - updated > FINISHED_SHOWN_MS) return undefined;
  const staleAfter = status.intervalMs !== undefined ? status.intervalMs * 3 : 5 * 60_000;
  const state = status.state === 'running' && now - updated > staleAfter ? 'stale' : status.state;
  const view: RolloutView = {
    source: 'status-file',
    from: status.from,
    to: status.to,
    steps: status.steps,
    step: status.step,
    state,
    share: shareOf(weights, status.from, status.to),
    startedAt: status.startedAt,
    updatedAt: status.updatedAt,
  };
  if (status.reason !== undefined) view.reason = status.reason;
  return view;
}

/**
 * A rollout as the weights tell it: the latest change moved some candidate's share, within the
 * inference window. The steps are the rising shares seen since that candidate's share last fell.
 */
export function fromHistory(history: readonly WeightsSeen[], now: number): RolloutView | undefined {
  const last = history.at(-1);
  if (last === undefined || history.length < 2 || now - last.at > INFER_WINDOW_MS) return undefined;
  const previous = history.at(-2) as WeightsSeen;
  const { stable } = splitRoles(previous.weights);
  if (stable === undefined) return undefined;
  // The color whose weight changed most is the candidate (the stable one moves by the same amount).
  let to: string | undefined;
  let moved = 0;
  for (const color of new Set([...Object.keys(last.weights), ...Object.keys(previous.weights)])) {
    if (color === stable) continue;
    const delta = Math.abs((last.weights[color] ?? 0) - (previous.weights[color] ?? 0));
    if (delta > moved) [to, moved] = [color, delta];
  }
  if (to === undefined) return undefined;
  // The steps are the latest run of rising shares: a rollout only ever raises the candidate's share,
  // so a fall (to 0 on a rollback, or to a first step below a hand-set share) starts a new run.
  const shares: number[] = [];
  let startedAt = history[0]?.at ?? last.at;
  for (const seen of history) {
    const share = shareOf(seen.weights, stable, to) ?? 0;
    const previous = shares.at(-1);
    if (previous !== undefined && share <= previous) {
      if (share === previous) continue;
      shares.length = 0;
      startedAt = seen.at;
    }
    if (share === 0) {
      startedAt = seen.at;
      continue;
    }
    shares.push(share);
  }
  const share = shareOf(last.weights, stable, to);
  return {
    source: 'weights-history',
    from: stable,
    to,
    steps: shares,
    step: shares.length - 1,
    state: 'seen',
    share,
    startedAt: new Date(startedAt).toISOString(),
    updatedAt: new Date(last.at).toISOString(),
  };
}

/** Appends the weights when they differ from the last ones seen; keeps the newest `max`. */
export function recordWeights(history: WeightsSeen[], weights: Readonly<Record<string, number>> | undefined, at: number, max = 50): void {
  if (weights === undefined) return;
  const last = history.at(-1);
  if (last !== undefined && JSON.stringify(last.weights) === JSON.stringify(weights)) return;
  history.push({ at, weights: { ...weights } });
  if (history.length > max) history.splice(0, history.length - max);
}
