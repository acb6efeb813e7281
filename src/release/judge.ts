// The rollout's judgement of a step, as pure functions: enough traffic yet, 5xx rate, p99, and when a step
// with too little traffic gives up. The CLI only samples, calls these, and acts on the verdict.
import type { LaneFigures, LaneReport } from './lane-figures.js';

export interface Thresholds {
  /** the most 5xx, in percent of the candidate lane's requests in the step (SPEC 9 default 1) */
  readonly maxErrorRatePct: number;
  /** when set, the candidate lane's p99 must stay under it */
  readonly maxP99Ms: number | undefined;
  /** requests of the candidate lane needed to judge (default 20) */
  readonly minRequests: number;
}

/** How many intervals a step may run without enough traffic before it fails ("no traffic to judge"). */
export const MAX_INTERVALS_WITHOUT_TRAFFIC = 3;

export type Verdict =
  /** healthy so far and the interval is over: the step passed */
  | { readonly kind: 'passed' }
  /** healthy so far, the interval is not over yet */
  | { readonly kind: 'healthy' }
  /** too few requests to judge yet */
  | { readonly kind: 'waiting' }
  | { readonly kind: 'failed'; readonly reason: string };

/** Judges one sample of a step: the candidate lane's figures since the step began, `elapsedMs` into it. */
export function judgeSample(candidate: LaneReport, thresholds: Thresholds, elapsedMs: number, intervalMs: number): Verdict {
  if (candidate.requests < thresholds.minRequests) {
    if (elapsedMs >= MAX_INTERVALS_WITHOUT_TRAFFIC * intervalMs) {
      return {
        kind: 'failed',
        reason: `no traffic to judge: ${candidate.requests} requests of the candidate lane in ${formatSeconds(elapsedMs)}, need ${thresholds.minRequests}`,
      };
    }
    return { kind: 'waiting' };
  }
  const problem = unhealthy(candidate, thresholds);
  if (problem !== undefined) return { kind: 'failed', reason: problem };
  return elapsedMs >= intervalMs ? { kind: 'passed' } : { kind: 'healthy' };
}

/** Why the figures break a threshold, naming the services where it happened; undefined when healthy. */
export function unhealthy(candidate: LaneReport, thresholds: Thresholds): string | undefined {
  if (candidate.errorRatePct > thresholds.maxErrorRatePct) {
    return `5xx ${formatPct(candidate.errorRatePct)} > ${formatPct(thresholds.maxErrorRatePct)} (${candidate.errors5xx} of ${candidate.requests})${whereErrors(candidate)}`;
  }
  if (thresholds.maxP99Ms !== undefined && candidate.p99Ms !== undefined && candidate.p99Ms >= thresholds.maxP99Ms) {
    return `p99 ${formatMs(candidate.p99Ms)} >= ${formatMs(thresholds.maxP99Ms)}${whereSlow(candidate, thresholds.maxP99Ms)}`;
  }
  return undefined;
}

/**
 * The services whose inbound hops answered 5xx, most first, with counts; then the one(s) where the errors
 * began (see errorOrigins), since an error deep in the chain shows at every hop above it too.
 */
function whereErrors(report: LaneReport): string {
  const parts = [...report.byService].filter(([, f]) => f.errors5xx > 0).map(([service, f]) => `${service} ${f.errors5xx}`);
  const at = parts.length > 0 ? `; 5xx at ${parts.join(', ')}` : '';
  return report.errorOrigins.length > 0 ? `${at}; failing: ${report.errorOrigins.join(', ')}` : at;
}

function whereSlow(report: LaneReport, limitMs: number): string {
  const parts = [...report.byService].filter(([, f]) => f.p99Ms !== undefined && f.p99Ms >= limitMs).map(([service, f]) => `${service} ${formatMs(f.p99Ms)}`);
  return parts.length > 0 ? `; slow at ${parts.join(', ')}` : '';
}

/** `green 42 req 0.0% 5xx p99 12ms`: one lane's figures for an output line. */
export function formatLane(color: string, f: LaneFigures): string {
  return `${color} ${f.requests} req ${formatPct(f.errorRatePct)} 5xx p99 ${formatMs(f.p99Ms)}`;
}

export function formatPct(pct: number): string {
  return `${pct.toFixed(1)}%`;
}

export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '-';
  return ms >= 10 ? `${Math.round(ms)}ms` : `${ms.toFixed(1)}ms`;
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
