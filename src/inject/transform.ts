// The one pure injection transformer: a Kubernetes object in, the same object with the sidecar added
// to its pod template out (or the reason it was left alone). Used by `colormesh inject` and the webhook.
import { ANNOTATION, AnnotationError, INIT_NAME, RULES_VOLUME, SIDECAR_NAME, readOverrides, type InjectOptions } from './options.js';
import { appPorts, initContainer, rulesVolume, serviceAccountMount, sidecarContainer, type Json, type JsonObject } from './sidecar.js';

export type SkipReason = 'not-a-workload' | 'already-injected' | 'opted-out' | 'host-network';

export type InjectResult =
  | { outcome: 'injected'; object: JsonObject }
  | { outcome: 'skipped'; reason: SkipReason; detail: string; object: JsonObject }
  /** an override annotation was invalid; the object is returned unchanged */
  | { outcome: 'invalid'; detail: string; object: JsonObject };

/** Where each workload kind keeps its pod template (metadata + spec), as a path from the object root. */
const TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
  Pod: [],
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The path to the pod template of a workload kind, or undefined for anything else. */
export function templatePath(kind: unknown): readonly string[] | undefined {
  return typeof kind === 'string' ? TEMPLATE_PATHS[kind] : undefined;
}

function stringMap(value: Json | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(value)) return out;
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

function objectList(value: Json | undefined): JsonObject[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

function named(list: readonly JsonObject[], name: string): boolean {
  return list.some((item) => item['name'] === name);
}

/** Follows `path` from `root`, returning the object there, or undefined if any step is missing. */
function walk(root: JsonObject, path: readonly string[]): JsonObject | undefined {
  let node: Json = root;
  for (const step of path) {
    if (!isObject(node)) return undefined;
    node = node[step] ?? null;
  }
  return isObject(node) ? node : undefined;
}

/** `namespaceAnnotations`: the annotations of the object's namespace, when the caller knows them. */
export function inject(input: Readonly<JsonObject>, options: InjectOptions, namespaceAnnotations?: Readonly<Record<string, string>>): InjectResult {
  const original = input as JsonObject;
  const kind = original['kind'];
  const path = templatePath(kind);
  if (path === undefined) {
    return { outcome: 'skipped', reason: 'not-a-workload', detail: `kind ${String(kind)} has no pod template`, object: original };
  }
  // Every change happens on a deep copy: the caller's object is never touched.
  const object = structuredClone(original);
  const template = walk(object, path);
  const spec = template && isObject(template['spec']) ? template['spec'] : undefined;
  if (template === undefined || spec === undefined) {
    return { outcome: 'skipped', reason: 'not-a-workload', detail: `${String(kind)} has no pod spec`, object: original };
  }
  if (!isObject(template['metadata'])) template['metadata'] = {};
  const podMetadata = template['metadata'] as JsonObject;
  // Only the pod's own annotations count, as in the webhook, which never sees the workload around it.
  const annotations = stringMap(podMetadata['annotations']);

  const containers = objectList(spec['containers']);
  const initContainers = objectList(spec['initContainers']);
  if (annotations[ANNOTATION.injected] === 'true' || named(containers, SIDECAR_NAME) || named(initContainers, SIDECAR_NAME) || named(initContainers, INIT_NAME)) {
    return { outcome: 'skipped', reason: 'already-injected', detail: 'the sidecar is already there', object: original };
  }
  if (annotations[ANNOTATION.inject] === 'disabled') {
    return { outcome: 'skipped', reason: 'opted-out', detail: `annotation ${ANNOTATION.inject}: disabled`, object: original };
  }
  if (spec['hostNetwork'] === true) {
    // iptables in the host's network namespace would redirect the whole node's traffic.
    return { outcome: 'skipped', reason: 'host-network', detail: 'pods with hostNetwork: true share the node network', object: original };
  }

  let overrides;
  try {
    overrides = readOverrides(annotations, options, namespaceAnnotations);
  } catch (err) {
    if (err instanceof AnnotationError) return { outcome: 'invalid', detail: err.message, object: original };
    throw err;
  }

  // The app port is the annotated one, else the first TCP port any container declares.
  const appPort = overrides.appPort ?? appPorts(containers)[0];
  const sidecar = sidecarContainer(options, overrides, appPort, serviceAccountMount(containers));
  const init = initContainer(options, overrides, appPort);
  // Ours go first so that init containers which come after already find interception (and, as a
  // native sidecar, the proxy) in place.
  // Native sidecars start before the app's init containers, so those run with the proxy up. In
  // container mode there is no proxy until the app starts: interception goes last so the app's own
  // init containers are not redirected to a port nobody listens on.
  spec['initContainers'] = options.sidecarMode === 'native' ? [init, sidecar, ...initContainers] : [...initContainers, init];
  if (options.sidecarMode === 'container') spec['containers'] = [...objectList(spec['containers']), sidecar];
  const volumes = objectList(spec['volumes']);
  if (!named(volumes, RULES_VOLUME)) spec['volumes'] = [...volumes, rulesVolume()];
  podMetadata['annotations'] = { ...(isObject(podMetadata['annotations']) ? podMetadata['annotations'] : {}), [ANNOTATION.injected]: 'true' };
  return { outcome: 'injected', object };
}

/** A short human name like `deployment "web"` for summaries and logs. */
export function describeObject(object: Readonly<JsonObject>): string {
  const kind = typeof object['kind'] === 'string' ? object['kind'].toLowerCase() : 'object';
  const metadata = isObject(object['metadata']) ? object['metadata'] : {};
  const name = typeof metadata['name'] === 'string' ? metadata['name'] : typeof metadata['generateName'] === 'string' ? `${metadata['generateName']}*` : '';
  return `${kind} "${name}"`;
}
