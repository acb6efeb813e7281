// The whole of GET /api/state, assembled from what the console last read: the rules, the metrics'
// rates, the rollout status. Pure, so the page's contract is tested without sockets.
import { buildLaneMap, splitRoles, type RateSample, type ServiceRow } from './lanes.js';
import type { RolloutView } from './rollout-view.js';
import type { RulesView } from './rules-view.js';

export interface TargetStatus {
  url: string;
  ok: boolean;
  error?: string;
}

export interface SplitState {
  /** every color of ingress.split.weights, zeros included, in file order */
  weights: Record<string, number>;
  /** the color with the largest weight */
  stable: string | null;
  /** every other split color: each gets a rollback button */
  candidates: string[];
  stickyBy: string | null;
}

export interface ConsoleState {
  /** the rules version (as rules.version): what a write answers and may send back to be conflict-checked */
  version: string | null;
  updatedAt: string;
  /** how often the console re-reads rules and metrics, ms */
  refreshMs: number;
  rules: {
    /** e.g. "file /etc/colormesh/rules.yaml" */
    source: string;
    /** the rules version: their hash, as the sidecars report it (colormesh_config_info{hash}) and POST /api/split answers it */
    version: string | null;
    /** the store's own version (content hash of a file, resourceVersion of a ConfigMap) */
    storeVersion: string | null;
    /** why the rules could not be read or are not valid; the last good ones are still shown */
    error: string | null;
  };
  metrics: { source: string; targets: TargetStatus[] };
  split: SplitState | null;
  /** lane map columns: colors in split order, then the allow-list, then others; "-" is the untagged lane */
  lanes: string[];
  services: ServiceRow[];
  rollout: RolloutView | null;
}

export interface StateInput {
  now: number;
  refreshMs: number;
  rulesSource: string;
  /** the last valid rules read, if any */
  rules: RulesView | undefined;
  storeVersion: string | undefined;
  rulesError: string | undefined;
  metricsSource: string;
  samples: readonly RateSample[];
  targets: readonly TargetStatus[];
  rollout: RolloutView | undefined;
}

export function buildState(input: StateInput): ConsoleState {
  const rules = input.rules;
  const map = rules === undefined ? { lanes: [], services: [] } : buildLaneMap(rules, input.samples);
  let split: SplitState | null = null;
  if (rules?.split !== undefined) {
    const { stable, candidates } = splitRoles(rules.split.weights);
    split = { weights: { ...rules.split.weights }, stable: stable ?? null, candidates, stickyBy: rules.split.stickyBy ?? null };
  }
  return {
    version: rules?.hash ?? null,
    updatedAt: new Date(input.now).toISOString(),
    refreshMs: input.refreshMs,
    rules: {
      source: input.rulesSource,
      version: rules?.hash ?? null,
      storeVersion: input.storeVersion ?? null,
      error: input.rulesError ?? null,
    },
    metrics: { source: input.metricsSource, targets: [...input.targets] },
    split,
    lanes: map.lanes,
    services: map.services,
    rollout: input.rollout ?? null,
  };
}
