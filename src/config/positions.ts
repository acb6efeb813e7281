// Maps a key path in the rule file (e.g. ["services", "base-service", "endpoints", 1, "color"]) to a line and
// column in the YAML text, so that every problem points at the exact spot an operator has to edit.
import { EVENT_ID, getScalarValue, type Event, type ScalarEvent } from 'js-yaml';

export type PathSegment = string | number;

/** 1-based, as editors and compilers print them. */
export interface LineColumn {
  readonly line: number;
  readonly column: number;
}

/** Whether a problem is about a key itself (unknown key, bad service name) or about its value. */
export type PathTarget = 'key' | 'value';

interface NodeOffsets {
  /** offset of the key that names this node in its parent mapping; -1 for sequence items and the root */
  readonly key: number;
  /** offset of the node's value; -1 when the value is empty (`key:` with nothing after it) */
  readonly value: number;
}

const SEPARATOR = '\u0000';

/** Splits a JSON pointer ("/a/b~1c/0") as TypeBox reports it into path segments. */
export function pointerToPath(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** `services.base-service.endpoints[1].color`: the form problems are printed in. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number' || /^\d+$/.test(segment)) out += `[${segment}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === '' ? '(root)' : out;
}

export class SourcePositions {
  private index: Map<string, NodeOffsets> | undefined;
  private lineStarts: number[] | undefined;

  constructor(
    private readonly text: string,
    private readonly events: readonly Event[],
  ) {}

  /**
   * Where the key or value at `path` starts. A path that does not exist in the text (a missing required key,
   * or a default) falls back to its nearest ancestor that does, which is where the key has to be added.
   */
  locate(path: readonly PathSegment[], target: PathTarget = 'value'): LineColumn {
    // Built only when there is a problem to report, so a valid file never pays for it.
    this.index ??= this.buildIndex();
    for (let depth = path.length; depth >= 0; depth--) {
      const offsets = this.index.get(path.slice(0, depth).map(String).join(SEPARATOR));
      if (offsets === undefined) continue;
      const wantKey = depth < path.length || target === 'key';
      const offset = wantKey && offsets.key >= 0 ? offsets.key : offsets.value >= 0 ? offsets.value : offsets.key;
      return this.lineColumnAt(Math.max(offset, 0));
    }
    return { line: 1, column: 1 };
  }

  lineColumnAt(offset: number): LineColumn {
    this.lineStarts ??= computeLineStarts(this.text);
    const starts = this.lineStarts;
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((starts[mid] as number) <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: offset - (starts[low] as number) + 1 };
  }

  /** One pass over the flat event stream, recording where every node (and its key) starts. */
  private buildIndex(): Map<string, NodeOffsets> {
    const index = new Map<string, NodeOffsets>();
    const events = this.events;
    let i = 0;
    const walk = (path: string, keyOffset: number): void => {
      const event = events[i++] as Event;
      index.set(path, { key: keyOffset, value: nodeStart(event, this.text) });
      const prefix = path === '' ? '' : path + SEPARATOR;
      if (event.type === EVENT_ID.SEQUENCE) {
        for (let item = 0; (events[i] as Event).type !== EVENT_ID.POP; item++) walk(prefix + item, -1);
        i++;
      } else if (event.type === EVENT_ID.MAPPING) {
        while ((events[i] as Event).type !== EVENT_ID.POP) {
          const keyEvent = events[i] as Event;
          const keyText = keyEvent.type === EVENT_ID.SCALAR ? getScalarValue(this.text, keyEvent) : '?';
          const keyStart = nodeStart(keyEvent, this.text);
          if (keyEvent.type === EVENT_ID.SCALAR) i++;
          else skipNode();
          walk(prefix + keyText, keyStart);
        }
        i++;
      }
    };
    const skipNode = (): void => {
      let depth = 0;
      do {
        const type = (events[i++] as Event).type;
        if (type === EVENT_ID.SEQUENCE || type === EVENT_ID.MAPPING) depth++;
        else if (type === EVENT_ID.POP) depth--;
      } while (depth > 0 && i < events.length);
    };
    // Only the first document counts: load.ts rejects files with more than one.
    if (events[i]?.type === EVENT_ID.DOCUMENT) i++;
    if (i < events.length && (events[i] as Event).type !== EVENT_ID.POP) walk('', -1);
    return index;
  }
}

function nodeStart(event: Event, text: string): number {
  switch (event.type) {
    case EVENT_ID.SCALAR:
      return scalarStart(event, text);
    case EVENT_ID.SEQUENCE:
    case EVENT_ID.MAPPING:
      return firstPresent(anchorSigil(event.anchorStart), event.tagStart, event.start);
    case EVENT_ID.ALIAS:
      return anchorSigil(event.anchorStart);
    default:
      return -1;
  }
}

function scalarStart(event: ScalarEvent, text: string): number {
  const decorated = firstPresent(anchorSigil(event.anchorStart), event.tagStart);
  if (decorated >= 0) return decorated;
  if (event.valueStart < 0) return -1;
  // Quoted scalars' offsets start inside the quote; point at the quote, where the value visibly begins.
  if (event.style === 2 || event.style === 3) return event.valueStart - 1;
  // Block scalars' offsets start at their first content line; point at the `|` or `>` that opens them.
  if (event.style === 4 || event.style === 5) {
    const indicator = text.lastIndexOf(event.style === 4 ? '|' : '>', event.valueStart);
    return indicator >= 0 ? indicator : event.valueStart;
  }
  return event.valueStart;
}

/** Anchor and alias offsets start after the `&`/`*`; point at the sigil. */
function anchorSigil(offset: number): number {
  return offset >= 0 ? offset - 1 : -1;
}

/** The smallest of the offsets that are present (>= 0), or -1. Anchors and tags come before their node. */
function firstPresent(...offsets: number[]): number {
  let best = -1;
  for (const offset of offsets) if (offset >= 0 && (best < 0 || offset < best)) best = offset;
  return best;
}

function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}
