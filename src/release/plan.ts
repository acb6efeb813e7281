// The rollout's plan from its flags and the current rules, as pure functions: durations, steps, which
// colors move, and the weights each step writes. Every bad input is a PlanError (exit 2, nothing written).
import { normalizeColor } from '../core/color.js';
import type { Rules } from '../core/types.js';

export class PlanError extends Error {
  override name = 'PlanError';
}

export const DEFAULT_STEPS = '10,25,50,100';

/** `500ms`, `30s`, `2m`, `1.5s` → milliseconds. A bare number is refused: is it seconds or milliseconds? */
export function parseDuration(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text.trim());
  if (m === null) throw new PlanError(`--${flag}: "${text}" is not a duration (use ms, s or m, e.g. 60s)`);
  const ms = Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
  if (!(ms >= 1) || ms > 2_147_483_647) throw new PlanError(`--${flag}: "${text}" is out of range`);
  return Math.round(ms);
}

/** `10,25,50,100`: shares in percent, strictly increasing, each in (0, 100], the last exactly 100. */
export function parseSteps(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  const steps = parts.map((p) => {
    const n = /^\d+(\.\d+)?$/.test(p) ? Number(p) : NaN;
    if (!(n > 0 && n <= 100)) throw new PlanError(`--steps: "${p}" is not a share in percent (0 < share <= 100)`);
    return n;
  });
  for (let i = 1; i < steps.length; i++) {
    if ((steps[i] as number) <= (steps[i - 1] as number)) throw new PlanError(`--steps: the shares must increase (${steps[i - 1]} then ${steps[i]})`);
  }
  if (steps[steps.length - 1] !== 100) throw new PlanError(`--steps: the last share must be 100 (got ${steps[steps.length - 1]}), so the rollout ends with every user moved`);
  return steps;
}

export function parseNumberFlag(flag: string, text: string, min: number, max = Infinity): number {
  const n = /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) throw new PlanError(`--${flag}: "${text}" is not a number between ${min} and ${max}`);
  return n;
}

export interface Lanes {
  /** the candidate color */
  readonly to: string;
  /** the stable color */
  readonly from: string;
  /** the keys of the two colors as written in the file's weights (a file may write `Blue`) */
  readonly toKey: string;
  readonly fromKey: string;
  /** S: the sum of the two weights now; every step splits exactly this between them */
  readonly sum: number;
}

/**
 * Resolves `--to`/`--from` against the rules and the split weights as written in the file. The candidate must
 * be a color the rules know (the allow-list when there is one; else a weight, an endpoint color, a DNS color
 * or a defaultColor), so that a typo such as `--to gren` is refused instead of sending users nowhere.
 */
export function resolveLanes(rules: Rules, fileWeights: Readonly<Record<string, number>>, toFlag: string | undefined, fromFlag: string | undefined): Lanes {
  if (toFlag === undefined) throw new PlanError('--to COLOR is required: the candidate color');
  const to = normalizeColor(toFlag);
  if (to === undefined) throw new PlanError(`--to: "${toFlag}" is not a valid color`);
  const known = knownColors(rules, fileWeights);
  if (!known.has(to)) throw new PlanError(`--to: unknown color "${to}" (the rules know: ${[...known].sort().join(', ') || 'none'})`);
  const keyOf = new Map(Object.keys(fileWeights).map((k) => [k.toLowerCase(), k]));
  let from: string;
  if (fromFlag !== undefined) {
    const given = normalizeColor(fromFlag);
    if (given === undefined) throw new PlanError(`--from: "${fromFlag}" is not a valid color`);
    if (!keyOf.has(given)) throw new PlanError(`--from: "${given}" has no weight in ingress.split.weights (weights: ${describeWeights(fileWeights)})`);
    from = given;
  } else {
    from = largestOther(fileWeights, to);
  }
  if (from === to) throw new PlanError(`--from and --to are both "${to}"`);
  const fromKey = keyOf.get(from) as string;
  const toKey = keyOf.get(to) ?? to;
  const sum = (fileWeights[fromKey] ?? 0) + (fileWeights[toKey] ?? 0);
  if (!(sum > 0)) throw new PlanError(`"${from}" and "${to}" both have weight 0: there are no users to move`);
  return { to, from, toKey, fromKey, sum };
}

/** The color with the largest weight other than the candidate; the first in file order on a tie. */
function largestOther(fileWeights: Readonly<Record<string, number>>, to: string): string {
  let best: string | undefined;
  let bestWeight = -1;
  for (const [key, weight] of Object.entries(fileWeights)) {
    if (key.toLowerCase() === to || weight <= bestWeight) continue;
    best = key.toLowerCase();
    bestWeight = weight;
  }
  if (best === undefined) throw new PlanError(`ingress.split.weights has no color besides "${to}" to move users from; give --from`);
  return best;
}

export function knownColors(rules: Rules, fileWeights: Readonly<Record<string, number>>): Set<string> {
  if (rules.colors !== undefined) return new Set(rules.colors);
  const known = new Set(Object.keys(fileWeights).map((k) => k.toLowerCase()));
  for (const service of rules.services.values()) {
    if (service.defaultColor !== undefined) known.add(service.defaultColor);
    const d = service.discovery;
    if (d.kind === 'static') for (const e of d.endpoints) if (e.color !== undefined) known.add(e.color);
    if (d.kind === 'dns') for (const key of Object.keys(d.hosts)) if (key !== 'untagged') known.add(key);
  }
  return known;
}

/** The two weights at `share` percent: `to` = round(S × share / 100), `from` the rest (SPEC 9). */
export function weightsAt(lanes: Lanes, share: number): Record<string, number> {
  const to = Math.round((lanes.sum * share) / 100);
  return { [lanes.fromKey]: roundWeight(lanes.sum - to), [lanes.toKey]: to };
}

/** Rollback (and `--abort`): the candidate to 0, the stable color to S. */
export function rollbackWeights(lanes: Lanes): Record<string, number> {
  return { [lanes.fromKey]: lanes.sum, [lanes.toKey]: 0 };
}

/** Sampling period: at least every 5 s and at least 4 samples per step (SPEC 9). */
export function samplePeriodMs(intervalMs: number): number {
  return Math.max(1, Math.min(5000, Math.floor(intervalMs / 4)));
}

/**
 * Sticky users keep their lane only when the two colors are next to each other in the split's order (among
 * colors with a weight): the sticky hash maps users onto the cumulative weights in file order, so a color
 * with weight between them would have its slice slid across users. Returns those colors, to warn about.
 */
export function colorsBetween(fileWeights: Readonly<Record<string, number>>, lanes: Lanes): string[] {
  const keys = Object.keys(fileWeights);
  const a = keys.indexOf(lanes.fromKey);
  // A candidate not yet in the map is added at its end.
  const b = keys.includes(lanes.toKey) ? keys.indexOf(lanes.toKey) : keys.length;
  if (a === -1) return [];
  return keys.slice(Math.min(a, b) + 1, Math.max(a, b)).filter((k) => (fileWeights[k] ?? 0) > 0);
}

function roundWeight(n: number): number {
  return Number(n.toFixed(6));
}

function describeWeights(weights: Readonly<Record<string, number>>): string {
  return Object.entries(weights).map(([k, v]) => `${k}=${v}`).join(', ') || 'none';
}
