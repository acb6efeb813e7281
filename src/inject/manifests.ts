// Injection over a whole manifest stream, as `colormesh inject` reads it: several YAML documents,
// `List` kinds with items, and objects that are not workloads (passed through untouched).
import { dump, loadAll } from 'js-yaml';
import type { InjectOptions } from './options.js';
import type { Json, JsonObject } from './sidecar.js';
import { describeObject, inject, isObject } from './transform.js';

export interface ManifestReport {
  /** the documents to write out, in input order */
  documents: Json[];
  /** one line per object, like linkerd: `deployment "web" injected` */
  summary: string[];
  /** objects whose override annotations were invalid (left unchanged) */
  invalid: number;
  injected: number;
}

/** A `List` (or `DeploymentList`, ...) carries its objects in `items`. */
function isList(document: JsonObject): boolean {
  return typeof document['kind'] === 'string' && document['kind'].endsWith('List') && Array.isArray(document['items']);
}

export function injectDocuments(documents: readonly Json[], options: InjectOptions): ManifestReport {
  const report: ManifestReport = { documents: [], summary: [], invalid: 0, injected: 0 };
  const namespaces = namespaceAnnotations(documents);
  const one = (object: JsonObject): JsonObject => {
    const metadata = isObject(object['metadata']) ? object['metadata'] : {};
    const namespace = typeof metadata['namespace'] === 'string' ? metadata['namespace'] : undefined;
    const result = inject(object, options, namespace === undefined ? undefined : namespaces.get(namespace));
    const name = describeObject(object);
    if (result.outcome === 'injected') {
      report.injected++;
      report.summary.push(`${name} injected`);
    } else if (result.outcome === 'skipped') {
      report.summary.push(`${name} skipped: ${result.reason} (${result.detail})`);
    } else {
      report.invalid++;
      report.summary.push(`${name} not injected: ${result.detail}`);
    }
    return result.object;
  };
  for (const document of documents) {
    if (!isObject(document)) {
      report.documents.push(document);
    } else if (isList(document)) {
      const items = document['items'] as Json[];
      report.documents.push({ ...document, items: items.map((item) => (isObject(item) ? one(item) : item)) });
    } else {
      report.documents.push(one(document));
    }
  }
  return report;
}

/**
 * Annotations of the Namespace objects in the stream, by name: a namespace annotated
 * `colormesh.io/rules-configmap` gives that setting to the workloads in it that do not set it themselves.
 */
function namespaceAnnotations(documents: readonly Json[]): Map<string, Record<string, string>> {
  const found = new Map<string, Record<string, string>>();
  const visit = (object: JsonObject): void => {
    if (object['kind'] !== 'Namespace' || !isObject(object['metadata'])) return;
    const { name, annotations } = object['metadata'];
    if (typeof name !== 'string' || !isObject(annotations)) return;
    const strings: Record<string, string> = {};
    for (const [k, v] of Object.entries(annotations)) if (typeof v === 'string') strings[k] = v;
    found.set(name, strings);
  };
  for (const document of documents) {
    if (!isObject(document)) continue;
    if (isList(document)) for (const item of document['items'] as Json[]) if (isObject(item)) visit(item);
    visit(document);
  }
  return found;
}

/** Parses a multi-document YAML stream; empty documents (a lone `---`) are dropped. */
export function parseManifests(text: string): Json[] {
  return (loadAll(text) as Json[]).filter((document) => document !== null && document !== undefined);
}

/** Kubernetes-style YAML: block style, no line folding, no anchors, documents separated by `---`. */
export function formatManifests(documents: readonly Json[]): string {
  return documents.map((document) => dump(document, { lineWidth: -1, noRefs: true })).join('---\n');
}
