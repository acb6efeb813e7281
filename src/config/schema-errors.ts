// What is wrong with a document the schema rejects, in words that say what to change. The only
// runtime user of TypeBox in a sidecar, loaded on the first invalid file (see load.ts).
import { Errors, ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { pointerToPath, type PathSegment, type PathTarget } from './positions.js';
import { RuleFileSchema } from './schema.js';

export interface SchemaProblem {
  readonly path: PathSegment[];
  readonly message: string;
  readonly target: PathTarget;
}

export function schemaProblems(document: unknown): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  for (const error of Errors(RuleFileSchema, document)) {
    out.push({ path: pointerToPath(error.path), ...describeSchemaError(error) });
  }
  return out;
}

/** Rewrites TypeBox's generic messages into ones that say what to change. */
function describeSchemaError(error: ValueError): { message: string; target: PathTarget } {
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties: {
      const key = pointerToPath(error.path).at(-1) ?? '';
      const known = Object.keys((error.schema as { properties?: object }).properties ?? {});
      const suggestion = known.find((k) => editDistance(k.toLowerCase(), key.toLowerCase()) <= 2);
      const hint = suggestion !== undefined ? `; did you mean "${suggestion}"?` : ` (allowed: ${known.join(', ')})`;
      return { message: `unknown key "${key}"${hint}`, target: 'key' };
    }
    case ValueErrorType.ObjectRequiredProperty:
      return { message: `missing required key "${pointerToPath(error.path).at(-1) ?? ''}"`, target: 'value' };
    case ValueErrorType.Union: {
      const options = ((error.schema as { anyOf?: { const?: unknown }[] }).anyOf ?? []).map((s) => JSON.stringify(s.const));
      return { message: `${JSON.stringify(error.value)} is not one of ${options.join(', ')}`, target: 'value' };
    }
    case ValueErrorType.String:
      if (typeof error.value === 'boolean' || typeof error.value === 'number') {
        return { message: `expected a string, got ${String(error.value)} (quote it: "${String(error.value)}")`, target: 'value' };
      }
      return { message: `expected a string, got ${describeValue(error.value)}`, target: 'value' };
    default:
      return { message: `${error.message}, got ${describeValue(error.value)}`, target: 'value' };
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return JSON.stringify(value) ?? String(value);
}

/** Levenshtein distance, for "did you mean" on short key names only. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}
