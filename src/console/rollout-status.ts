// The rollout status file: how a running `colormesh rollout` tells the console (and anyone else) what it is doing.
//
// Contract (docs/console.md, "How the console learns of a rollout"):
// - For rules in a file `F`, the status lives next to it in `F.rollout.json`; for a ConfigMap, the console
//   keeps no status file and infers a rollout from the history of the split weights it has seen.
// - The writer replaces the whole file by rename (never a half-written JSON) at start, after each step,
//   and once at the end with `state` set to promoted / rolled-back / aborted / conflict.
// - Readers treat a missing or malformed file as "no rollout", and a `running` file whose `updatedAt` is
//   older than `staleAfterMs` (the writer died without saying so) as stale.
import { readFile, rename, writeFile } from 'node:fs/promises';

export const ROLLOUT_STATES = ['running', 'promoted', 'rolled-back', 'aborted', 'conflict'] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];

export interface RolloutStatus {
  /** the stable color users move from */
  from: string;
  /** the candidate color users move to */
  to: string;
  /** the candidate's share in percent after each step, e.g. [10, 25, 50, 100] */
  steps: number[];
  /** index into steps of the step running now (or the last one that ran); -1 before the first */
  step: number;
  state: RolloutState;
  /** ISO timestamps */
  startedAt: string;
  updatedAt: string;
  /** why it ended, when it did not end promoted */
  reason?: string;
  /** milliseconds each step runs before it is judged */
  intervalMs?: number;
  /** the writer's process id, for an operator who wants to stop it */
  pid?: number;
}

/** Where the status of a rollout editing the rule file `rulesPath` is kept. */
export function rolloutStatusPath(rulesPath: string): string {
  return `${rulesPath}.rollout.json`;
}

/** Writes the status atomically: a temporary file in the same directory, then rename over the old one. */
export async function writeRolloutStatus(path: string, status: RolloutStatus): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(status, null, 2) + '\n');
  await rename(tmp, path);
}

/** Checks a parsed JSON value against the contract; undefined when it is not a status. */
export function asRolloutStatus(value: unknown): RolloutStatus | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const isString = (x: unknown): x is string => typeof x === 'string' && x !== '';
  if (!isString(v['from']) || !isString(v['to']) || !isString(v['startedAt']) || !isString(v['updatedAt'])) return undefined;
  if (!Array.isArray(v['steps']) || !v['steps'].every((s) => typeof s === 'number' && Number.isFinite(s))) return undefined;
  if (typeof v['step'] !== 'number' || !Number.isInteger(v['step'])) return undefined;
  if (!(ROLLOUT_STATES as readonly unknown[]).includes(v['state'])) return undefined;
  const status: RolloutStatus = {
    from: v['from'],
    to: v['to'],
    steps: v['steps'] as number[],
    step: v['step'],
    state: v['state'] as RolloutState,
    startedAt: v['startedAt'],
    updatedAt: v['updatedAt'],
  };
  if (typeof v['reason'] === 'string') status.reason = v['reason'];
  if (typeof v['intervalMs'] === 'number') status.intervalMs = v['intervalMs'];
  if (typeof v['pid'] === 'number') status.pid = v['pid'];
  return status;
}

/** Reads the status file; a missing, unreadable or malformed one means "no rollout known". */
export async function readRolloutStatus(path: string): Promise<RolloutStatus | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return asRolloutStatus(JSON.parse(text));
  } catch {
    return undefined;
  }
}
