// A minimal RFC 6902 JSON Patch: `diff` finds the operations that turn one document into another (the
// webhook sends them to the API server), `applyPatch` carries them out (used to check a patch).
import type { Json, JsonObject } from './sidecar.js';

export type PatchOperation =
  | { op: 'add'; path: string; value: Json }
  | { op: 'replace'; path: string; value: Json }
  | { op: 'remove'; path: string };

/** RFC 6901: `~` becomes `~0` and `/` becomes `~1` (annotation keys like colormesh.io/injected). */
export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function unescapePointerToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function isObject(value: Json | undefined): value is JsonObject {
  return value !== null && value !== undefined && typeof value === 'object' && !Array.isArray(value);
}

export function deepEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * Operations turning `before` into `after`. Objects are compared key by key, so a new annotation is one
 * `add` and a missing map is added whole. Arrays get `add`s when `after` only inserts items at the front
 * and/or the end of `before` (all injection ever does); any other change replaces the array.
 */
export function diff(before: Json, after: Json, path = ''): PatchOperation[] {
  if (deepEqual(before, after)) return [];
  if (isObject(before) && isObject(after)) {
    const ops: PatchOperation[] = [];
    for (const key of Object.keys(before)) {
      if (!Object.hasOwn(after, key)) ops.push({ op: 'remove', path: `${path}/${escapePointerToken(key)}` });
    }
    for (const [key, value] of Object.entries(after)) {
      const child = `${path}/${escapePointerToken(key)}`;
      if (!Object.hasOwn(before, key)) ops.push({ op: 'add', path: child, value });
      else ops.push(...diff(before[key] as Json, value, child));
    }
    return ops;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const inserted = arrayInsertions(before, after);
    if (inserted !== undefined) {
      const ops: PatchOperation[] = inserted.front.map((value, i) => ({ op: 'add', path: `${path}/${i}`, value }));
      for (const value of inserted.back) ops.push({ op: 'add', path: `${path}/-`, value });
      return ops;
    }
  }
  // The root itself cannot be "replaced" by path "" in every implementation, but it never is here.
  return [{ op: 'replace', path, value: after }];
}

/** If `after` is `front + before + back`, the shortest such front and back. */
function arrayInsertions(before: readonly Json[], after: readonly Json[]): { front: Json[]; back: Json[] } | undefined {
  const extra = after.length - before.length;
  if (extra <= 0) return undefined;
  for (let frontLength = 0; frontLength <= extra; frontLength++) {
    const matches = before.every((item, i) => deepEqual(item, after[frontLength + i]));
    if (matches) return { front: after.slice(0, frontLength), back: after.slice(frontLength + before.length) };
  }
  return undefined;
}

export class PatchError extends Error {
  override name = 'PatchError';
}

/** Applies operations to a copy of `document`, failing like a strict RFC 6902 implementation would. */
export function applyPatch(document: Json, operations: readonly PatchOperation[]): Json {
  let root = structuredClone(document);
  for (const operation of operations) {
    if (operation.path === '') {
      if (operation.op === 'remove') throw new PatchError('cannot remove the root');
      root = structuredClone(operation.value);
      continue;
    }
    const tokens = operation.path.split('/').slice(1).map(unescapePointerToken);
    const last = tokens.pop() as string;
    let parent: Json = root;
    for (const token of tokens) {
      const next: Json | undefined = Array.isArray(parent) ? parent[Number(token)] : isObject(parent) ? parent[token] : undefined;
      if (next === undefined) throw new PatchError(`${operation.path}: "${token}" does not exist`);
      parent = next;
    }
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : Number(last);
      const limit = operation.op === 'add' ? parent.length : parent.length - 1;
      if (!/^(0|[1-9]\d*|-)$/.test(last) || index > limit) throw new PatchError(`${operation.path}: index out of range`);
      if (operation.op === 'add') parent.splice(index, 0, structuredClone(operation.value));
      else if (operation.op === 'replace') parent[index] = structuredClone(operation.value);
      else parent.splice(index, 1);
    } else if (isObject(parent)) {
      if (operation.op !== 'add' && !Object.hasOwn(parent, last)) throw new PatchError(`${operation.path}: does not exist`);
      if (operation.op === 'remove') delete parent[last];
      else parent[last] = structuredClone(operation.value);
    } else {
      throw new PatchError(`${operation.path}: parent is not a container`);
    }
  }
  return root;
}
