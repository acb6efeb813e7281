// The one way release tooling changes the split (`colormesh rollout`, the release console): read the rules,
// edit only the weights, validate the result exactly as `colormesh validate` does, then write it atomically
// against the version that was read. Nothing is written when any of these steps fails.
import { ConfigError, parseRules } from '../config/load.js';
import type { Rules } from '../core/types.js';
import { RulesConflictError, type RulesStore } from './rules-store.js';
import { readSplitWeights, setSplitWeights, SplitEditError } from './split-edit.js';

/** The edited rules would not be valid (or could not be edited); the message is the validator's own. Nothing was written. */
export class InvalidRulesError extends Error {
  override name = 'InvalidRulesError';
  constructor(
    message: string,
    /** the validator's problems, when the failure came from validation */
    readonly problems: ConfigError['problems'] = [],
  ) {
    super(message);
  }
}

export interface SplitWritten {
  /** the store's version after the write (content hash of a file, resourceVersion of a ConfigMap) */
  readonly version: string;
  /** the rules hash the sidecars will report for this text (colormesh_config_info{hash}, admin /config) */
  readonly rulesVersion: string;
  /** every split weight after the write, in file order */
  readonly weights: Readonly<Record<string, number>>;
  /** false when the weights already had these values: nothing was written */
  readonly changed: boolean;
}

/** Parses and validates a text as the sidecars would; throws InvalidRulesError with the precise problems. */
export function validateRulesText(text: string, source: string): Rules {
  try {
    return parseRules(text, source);
  } catch (err) {
    if (err instanceof ConfigError) throw new InvalidRulesError(err.message, err.problems);
    throw err;
  }
}

/** Computes the new text for `weights` without writing anything; throws InvalidRulesError. */
export function editSplitText(text: string, weights: Readonly<Record<string, number>>, source: string): { text: string; rules: Rules } {
  let edited: string;
  try {
    edited = setSplitWeights(text, weights);
  } catch (err) {
    if (err instanceof SplitEditError) throw new InvalidRulesError(`${source}: ${err.message}`);
    throw err;
  }
  return { text: edited, rules: validateRulesText(edited, source) };
}

export interface WriteSplitOptions {
  /**
   * The version this edit is based on (what the caller last read or wrote). When the store no longer holds
   * it, someone else edited the rules in between: RulesConflictError, nothing written. Without it, the
   * edit is based on whatever the store holds now (still checked between this read and the write).
   */
  readonly expectedVersion?: string;
}

/**
 * Sets the named colors' split weights (others untouched). Throws InvalidRulesError (nothing written),
 * RulesConflictError (someone else changed the rules since they were read; nothing written), or the store's
 * own I/O error.
 */
export async function writeSplit(store: RulesStore, weights: Readonly<Record<string, number>>, options: WriteSplitOptions = {}): Promise<SplitWritten> {
  const current = await store.read();
  if (options.expectedVersion !== undefined && current.version !== options.expectedVersion) {
    throw new RulesConflictError(
      `${store.describe()} was changed by someone else (expected version ${options.expectedVersion}, found ${current.version}); not overwritten`,
    );
  }
  const source = sourceName(store);
  const { text, rules } = editSplitText(current.text, weights, source);
  if (text === current.text) {
    return { version: current.version, rulesVersion: rules.hash, weights: readSplitWeights(text), changed: false };
  }
  const { version } = await store.write(text, current.version);
  return { version, rulesVersion: rules.hash, weights: readSplitWeights(text), changed: true };
}

/** What problems are reported against: the file's path, or `configmap NS/NAME`. */
export function sourceName(store: RulesStore): string {
  const described = store.describe();
  return described.startsWith('file ') ? described.slice('file '.length) : described;
}
