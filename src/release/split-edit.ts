// Rewrites the values of `ingress.split.weights` in a rule file's text and leaves every other byte as it was:
// comments, quoting, flow or block style, blank lines. Only the digits of the changed weights are replaced
// (found through the `yaml` package's source ranges), so an operator's file in Git shows a one-line diff.
import { isMap, isScalar, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';

/** The text cannot be edited: no `ingress.split.weights`, not YAML, or a weight written in a way we cannot edit. */
export class SplitEditError extends Error {
  override name = 'SplitEditError';
}

interface Splice {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** The weights as they are in the text, in file order. */
export function readSplitWeights(text: string): Record<string, number> {
  const weights: Record<string, number> = {};
  for (const pair of weightsMap(text).items) {
    const key = keyOf(pair);
    const value = pair.value;
    weights[key] = isScalar(value) && typeof value.value === 'number' ? value.value : NaN;
  }
  return weights;
}

/**
 * Returns `text` with each color of `weights` set to its new value. A color not yet in the map is added at
 * its end, in the map's own style (`, green: 0` in a flow map; a new line at the same indentation in a block
 * map). Colors not named in `weights` are untouched.
 */
export function setSplitWeights(text: string, weights: Readonly<Record<string, number>>): string {
  const map = weightsMap(text);
  const splices: Splice[] = [];
  const seen = new Set<string>();
  for (const pair of map.items) {
    const key = keyOf(pair);
    if (!Object.hasOwn(weights, key)) continue;
    seen.add(key);
    const value = pair.value as Node | null;
    if (!isScalar(value) || value.range == null || typeof value.value !== 'number') {
      throw new SplitEditError(`ingress.split.weights.${key} is not a plain number; cannot edit it in place`);
    }
    const wanted = weights[key] as number;
    if (value.value === wanted) continue;
    splices.push({ start: value.range[0], end: value.range[1], text: formatWeight(wanted) });
  }
  const missing = Object.keys(weights).filter((k) => !seen.has(k));
  if (missing.length > 0) splices.push(insertion(text, map, missing.map((k) => [k, weights[k] as number])));
  // Apply from the end so earlier offsets stay valid.
  splices.sort((a, b) => b.start - a.start);
  let out = text;
  for (const s of splices) out = out.slice(0, s.start) + s.text + out.slice(s.end);
  return out;
}

/** Integers as integers; other numbers without floating-point noise (0.1 + 0.2 is written 0.3). */
export function formatWeight(n: number): string {
  if (!Number.isFinite(n) || n < 0) throw new SplitEditError(`a weight must be a number >= 0, not ${n}`);
  return Number.isInteger(n) ? String(n) : String(Number(n.toFixed(6)));
}

function weightsMap(text: string): YAMLMap {
  const doc = parseDocument(text, { keepSourceTokens: true, uniqueKeys: false });
  if (doc.errors.length > 0) throw new SplitEditError(`the rule file is not valid YAML: ${doc.errors[0]?.message ?? ''}`);
  const split = doc.getIn(['ingress', 'split'], true);
  if (split === undefined || split === null) throw new SplitEditError('the rule file has no ingress.split: there are no weights to change');
  const weights = doc.getIn(['ingress', 'split', 'weights'], true);
  if (!isMap(weights)) throw new SplitEditError('ingress.split.weights is missing or not a mapping of color: weight');
  return weights;
}

function keyOf(pair: Pair): string {
  const key = pair.key;
  if (!isScalar(key)) throw new SplitEditError('ingress.split.weights has a key that is not a plain color name');
  return String(key.value);
}

/** Where and how to add new colors: after the last entry, in the map's style. */
function insertion(text: string, map: YAMLMap, entries: Array<[string, number]>): Splice {
  const range = map.range;
  if (range == null) throw new SplitEditError('cannot locate ingress.split.weights in the text');
  const rendered = entries.map(([k, v]) => `${k}: ${formatWeight(v)}`);
  if (map.flow) {
    // Right after the last value, so `{ blue: 80 }`, `{blue: 80,}` and a map over several lines all keep their shape.
    const lastValueEnd = (map.items[map.items.length - 1]?.value as Node | null | undefined)?.range?.[1];
    if (lastValueEnd !== undefined) return { start: lastValueEnd, end: lastValueEnd, text: `, ${rendered.join(', ')}` };
    const open = text.indexOf('{', range[0]);
    if (open === -1 || open >= range[1]) throw new SplitEditError('cannot locate ingress.split.weights in the text');
    return { start: open + 1, end: open + 1, text: ` ${rendered.join(', ')} ` };
  }
  const last = map.items[map.items.length - 1] as Pair;
  const firstKey = map.items[0]?.key as Node | undefined;
  const keyStart = firstKey?.range?.[0];
  const valueEnd = (last.value as Node | null)?.range?.[1];
  if (keyStart === undefined || valueEnd === undefined) throw new SplitEditError('cannot locate ingress.split.weights in the text');
  const indent = keyStart - (text.lastIndexOf('\n', keyStart - 1) + 1);
  // After the whole last line, trailing comment included.
  const lineEnd = text.indexOf('\n', valueEnd);
  const at = lineEnd === -1 ? text.length : lineEnd;
  const newline = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = rendered.map((r) => newline + ' '.repeat(indent) + r).join('');
  return { start: at - (text[at - 1] === '\r' ? 1 : 0), end: at - (text[at - 1] === '\r' ? 1 : 0), text: lines };
}
