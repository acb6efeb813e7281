// Flag parsing shared by every command: `--name value` or `--name=value`, each flag falling back to
// an environment variable and then a default, as SPEC 6 lays out.
import { parseArgs } from 'node:util';
import { LOG_LEVELS } from '../telemetry/log-levels.js';

export interface FlagSpec {
  /** environment variable read when the flag is absent */
  env?: string;
  default?: string;
  /** a boolean switch (no value) */
  boolean?: boolean;
  short?: string;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface ParsedFlags {
  values: Record<string, string | undefined>;
  switches: Record<string, boolean>;
  positionals: string[];
}

export function parseFlags(argv: readonly string[], specs: FlagSpecs, env: NodeJS.ProcessEnv = process.env): ParsedFlags {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, spec] of Object.entries(specs)) {
    options[name] = { type: spec.boolean ? 'boolean' : 'string', ...(spec.short ? { short: spec.short } : {}) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const values: Record<string, string | undefined> = {};
  const switches: Record<string, boolean> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const given = (parsed.values as Record<string, string | boolean | undefined>)[name];
    const fromEnv = spec.env !== undefined ? env[spec.env] : undefined;
    if (spec.boolean) {
      switches[name] = given === true || (given === undefined && fromEnv !== undefined && /^(1|true|yes)$/i.test(fromEnv));
    } else {
      const v = typeof given === 'string' ? given : fromEnv !== undefined && fromEnv !== '' ? fromEnv : spec.default;
      values[name] = v;
    }
  }
  return { values, switches, positionals: parsed.positionals };
}

/** Parses a TCP port flag; 0 is allowed (pick any free port, used by tests). */
export function portFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  // Digits only: Number() would take "", " ", "0x1F90" and "1e3" as ports.
  const n = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 0 && n <= 65535)) throw new UsageError(`--${name}: "${value}" is not a TCP port`);
  return n;
}

export function intFlag(name: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d{1,15}$/.test(value) ? Number(value) : NaN;
  if (!(n >= min)) throw new UsageError(`--${name}: "${value}" is not an integer >= ${min}`);
  return n;
}

/** A log level flag, checked before anything starts so a typo is a usage error (exit 2). */
export function logLevelFlag(value: string | undefined): string | undefined {
  if (value !== undefined && !(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new UsageError(`--log-level: "${value}" is not one of ${LOG_LEVELS.join(', ')}`);
  }
  return value;
}
