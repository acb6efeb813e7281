// Loads a rule file: YAML → schema → semantic checks → compiled, frozen `Rules`; every problem is reported
// at once, each with file:line:col and its key path, so one edit-validate cycle fixes them all.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { constructFromEvents, EVENT_ID, parseEvents, YAMLException, type Event } from 'js-yaml';
import { createRequire } from 'node:module';
import type { Rules } from '../core/types.js';
import { compileRules } from './compile.js';
import { formatPath, SourcePositions, type PathSegment, type PathTarget } from './positions.js';
import { isRuleFile } from './rules-check.generated.js';
import type { RuleFile } from './schema.js';
import type { SchemaProblem } from './schema-errors.js';
import { checkSemantics } from './semantic.js';

const require = createRequire(import.meta.url);

/**
 * The schema's own words about an invalid document. TypeBox (about 13 MB of RSS in every sidecar)
 * is loaded only here, the first time a file is invalid; valid files are checked by code generated
 * from the same schema (rules-check.generated.ts).
 */
function schemaProblems(document: unknown): SchemaProblem[] {
  return (require('./schema-errors.js') as typeof import('./schema-errors.js')).schemaProblems(document);
}

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

  const problems: ConfigProblem[] = [];
  const reported = new Set<string>();
  if (!isRuleFile(document)) {
    for (const { path, message, target } of schemaProblems(document)) {
      const key = path.join('\u0000');
      // TypeBox can say several things about one spot (missing, then wrong type); the first is the useful one.
      if (reported.has(key)) continue;
      reported.add(key);
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
