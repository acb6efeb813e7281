// Loads a rule file: YAML → schema → semantic checks → compiled, frozen `Rules`; every problem is reported
// at once, each with file:line:col and its key path, so one edit-validate cycle fixes them all.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { constructFromEvents, EVENT_ID, parseEvents, YAMLException, type Event } from 'js-yaml';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import type { Rules } from '../core/types.js';
import { compileRules } from './compile.js';
import { formatPath, pointerToPath, SourcePositions, type PathSegment, type PathTarget } from './positions.js';
import { RuleFileSchema, type RuleFile } from './schema.js';
import { checkSemantics } from './semantic.js';

export const EMBEDDED_SOURCE = '<embedded>';

export interface ConfigProblem {
  readonly file: string;
  /** 1-based; 0 when the problem is about the whole file (e.g. it cannot be read) */
  readonly line: number;
  readonly column: number;
  /** e.g. `services.base-service.endpoints[1].color`; '' for YAML syntax errors and unreadable files */
  readonly path: string;
  readonly message: string;
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.column}` : p.file;
  return p.path === '' ? `${where}: ${p.message}` : `${where}: ${p.path}: ${p.message}`;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.problems = Object.freeze([...problems]);
  }
}

/**
 * Aliases are shared, not copied, but validation walks every path through them: a few nested aliases can
 * make it exponential (a "billion laughs" file would hang a reload). Twenty is plenty for sharing a list.
 */
const MAX_ALIASES = 20;

/** Compiled once, on first use: `validate` and `explain` should not pay for it twice. */
let schemaCheck: TypeCheck<typeof RuleFileSchema> | undefined;

export function parseRules(text: string, source: string): Rules {
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 12);
  let events: Event[];
  let documents: unknown[];
  try {
    events = parseEvents(text, { filename: source });
    documents = constructFromEvents(events, { source: text, filename: source, maxAliases: MAX_ALIASES });
  } catch (err) {
    throw new ConfigError([yamlProblem(err, source)]);
  }
  const positions = new SourcePositions(text, events);
  const problemAt = (path: readonly PathSegment[], message: string, target: PathTarget): ConfigProblem => ({
    file: source,
    ...positions.locate(path, target),
    path: formatPath(path),
    message,
  });

  if (documents.length !== 1 || documents[0] === null || documents[0] === undefined) {
    const message = documents.length > 1 ? `the file holds ${documents.length} YAML documents; a rule file is exactly one` : 'the rule file is empty';
    throw new ConfigError([{ file: source, ...positions.lineColumnAt(secondDocumentOffset(events)), path: '', message }]);
  }
  const document = documents[0];

  schemaCheck ??= TypeCompiler.Compile(RuleFileSchema);
  const problems: ConfigProblem[] = [];
  const reported = new Set<string>();
  if (!schemaCheck.Check(document)) {
    for (const error of schemaCheck.Errors(document)) {
      const path = pointerToPath(error.path);
      const key = path.join('\u0000');
      // TypeBox can say several things about one spot (missing, then wrong type); the first is the useful one.
      if (reported.has(key)) continue;
      reported.add(key);
      const { message, target } = describeSchemaError(error);
      problems.push(problemAt(path, message, target));
    }
  }
  for (const problem of checkSemantics(document)) {
    if (reported.has(problem.path.map(String).join('\u0000'))) continue;
    problems.push(problemAt(problem.path, problem.message, problem.target));
  }
  if (problems.length > 0) {
    problems.sort((a, b) => a.line - b.line || a.column - b.column);
    throw new ConfigError(problems);
  }
  return compileRules(document as RuleFile, hash, source);
}

/** Reads synchronously: it runs at start-up and on a debounced reload, never on the request path. */
export function loadRulesFile(path: string): Rules {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([unreadableProblem(path, err)]);
  }
  return parseRules(text, path);
}

/** The problem for a file that cannot be read at all (also used by the watcher). */
export function unreadableProblem(path: string, err: unknown): ConfigProblem {
  const code = (err as NodeJS.ErrnoException).code;
  const reason =
    code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message;
  return { file: path, line: 0, column: 0, path: '', message: `cannot read the rule file: ${reason}` };
}

function yamlProblem(err: unknown, source: string): ConfigProblem {
  if (err instanceof YAMLException && err.mark !== undefined) {
    const message = err.reason.includes('maxAliases') ? `too many YAML aliases (${err.reason})` : `YAML syntax error: ${err.reason}`;
    return { file: source, line: err.mark.line + 1, column: err.mark.column + 1, path: '', message };
  }
  return { file: source, line: 1, column: 1, path: '', message: `YAML error: ${(err as Error).message}` };
}

function secondDocumentOffset(events: readonly Event[]): number {
  let documentsSeen = 0;
  for (const event of events) {
    if (event.type === EVENT_ID.DOCUMENT) documentsSeen++;
    else if (documentsSeen >= 2 && event.type !== EVENT_ID.POP) {
      if (event.type === EVENT_ID.SCALAR) return Math.max(event.valueStart, 0);
      if (event.type === EVENT_ID.MAPPING || event.type === EVENT_ID.SEQUENCE) return event.start;
    }
  }
  return 0;
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
