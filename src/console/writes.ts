// The console's two writes, on top of the rollout's write path: set split weights, or roll a candidate
// back. Each is checked against the rules version the page showed, so nobody overwrites a change unseen.
import { createHash } from 'node:crypto';
import { RulesConflictError, type RulesStore } from '../release/rules-store.js';
import { readSplitWeights } from '../release/split-edit.js';
import { writeSplit } from '../release/write-split.js';
import { rollbackWeights } from './lanes.js';
import { parseRollbackBody, parseSplitBody, RequestError } from './requests.js';

export interface Written {
  /** the rules version after the write: the hash the sidecars report in colormesh_config_info{hash} */
  version: string;
  /** the store's own version (a content hash of the file, the ConfigMap's resourceVersion) */
  storeVersion: string;
  /** every split weight after the write, in file order */
  weights: Readonly<Record<string, number>>;
  /** false when the weights already were these: nothing was written */
  changed: boolean;
}

/**
 * The rules version of a text: the hash config/load.ts gives a rule file (sha256, 12 hex digits), which
 * the sidecars report and `colormesh validate` prints. A unit test keeps the two equal.
 */
export function rulesHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/** Reads the rules; a `version` (the rules hash, or the store's version) that is no longer current is a conflict. */
async function readAt(store: RulesStore, version: string | undefined): Promise<{ text: string; version: string }> {
  const current = await store.read();
  if (version !== undefined && version !== current.version && version !== rulesHash(current.text)) {
    throw new RulesConflictError(
      `${store.describe()} was changed by someone else since version ${version} (now ${rulesHash(current.text)}); nothing written: look at the new weights and try again`,
    );
  }
  return current;
}

async function write(store: RulesStore, weights: Record<string, number>, basedOn: string): Promise<Written> {
  // Pinned to the version just read: a write in between is a conflict too (writeSplit checks it again at the write).
  const written = await writeSplit(store, weights, { expectedVersion: basedOn });
  return { version: written.rulesVersion, storeVersion: written.version, weights: written.weights, changed: written.changed };
}

/** POST /api/split. Throws RequestError, InvalidRulesError (the validator's message) or RulesConflictError. */
export async function applySplit(store: RulesStore, body: string): Promise<Written> {
  const { weights, version } = parseSplitBody(body);
  const current = await readAt(store, version);
  return write(store, weights, current.version);
}

/** POST /api/rollback: the candidate's weight goes to `to`, or to the stable color of the rules as they are now. */
export async function applyRollback(store: RulesStore, body: string): Promise<Written> {
  const { color, to, version } = parseRollbackBody(body);
  const current = await readAt(store, version);
  let weights: Record<string, number>;
  try {
    weights = rollbackWeights(readSplitWeights(current.text), color, to);
  } catch (err) {
    throw new RequestError(400, 'not_a_candidate', (err as Error).message);
  }
  return write(store, weights, current.version);
}
