// The admission logic of the webhook, without sockets: an admission.k8s.io/v1 AdmissionReview in, the
// review response out (the pod's uid echoed, always allowed, the injection as a base64 JSON Patch).
import { ANNOTATION, type InjectOptions } from '../inject/options.js';
import { diff } from '../inject/json-patch.js';
import type { JsonObject } from '../inject/sidecar.js';
import { inject, isObject } from '../inject/transform.js';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

export interface AdmissionResponse {
  uid: string;
  allowed: true;
  patchType?: 'JSONPatch';
  /** base64 of the JSON Patch document */
  patch?: string;
  warnings?: string[];
}

export interface AdmissionReviewOut {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

/** What happened to one review, for the log line and the caller. */
export interface AdmissionDecision {
  review: AdmissionReviewOut;
  /** injected, or why not */
  outcome: string;
  pod: string;
}

/** A request body that is not an AdmissionReview we can answer: the caller replies 400. */
export class MalformedReviewError extends Error {
  override name = 'MalformedReviewError';
}

export interface AdmissionPolicy {
  /**
   * When true, a pod is injected only if it asks for it itself (annotation or label colormesh.io/inject:
   * enabled). Used for the webhook entry that sees pods of namespaces that are not opted in.
   */
  requirePodOptIn: boolean;
}

function review(uid: string, response: Omit<AdmissionResponse, 'uid' | 'allowed'> = {}): AdmissionReviewOut {
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response: { uid, allowed: true, ...response } };
}

/** Checks the parts of the review that we rely on; everything else the API server sends is ignored. */
export function parseReview(body: unknown): { uid: string; request: JsonObject } {
  if (!isObject(body)) throw new MalformedReviewError('body is not a JSON object');
  if (body['apiVersion'] !== ADMISSION_API_VERSION || body['kind'] !== 'AdmissionReview') {
    throw new MalformedReviewError(`expected apiVersion ${ADMISSION_API_VERSION} kind AdmissionReview, got ${String(body['apiVersion'])} ${String(body['kind'])}`);
  }
  const request = body['request'];
  if (!isObject(request)) throw new MalformedReviewError('request is missing');
  const uid = request['uid'];
  if (typeof uid !== 'string' || uid === '') throw new MalformedReviewError('request.uid is missing');
  return { uid, request };
}

function podName(request: JsonObject, pod: JsonObject | undefined): string {
  const metadata = pod && isObject(pod['metadata']) ? pod['metadata'] : {};
  const namespace = typeof request['namespace'] === 'string' ? request['namespace'] : '';
  // Pods made by a ReplicaSet have no name yet at admission, only generateName.
  const name = typeof metadata['name'] === 'string' && metadata['name'] !== '' ? metadata['name'] : `${String(metadata['generateName'] ?? '')}*`;
  return `${namespace}/${name}`;
}

function asksForInjection(pod: JsonObject): boolean {
  const metadata = isObject(pod['metadata']) ? pod['metadata'] : {};
  const annotations = isObject(metadata['annotations']) ? metadata['annotations'] : {};
  const labels = isObject(metadata['labels']) ? metadata['labels'] : {};
  return annotations[ANNOTATION.inject] === 'enabled' || labels[ANNOTATION.inject] === 'enabled';
}

/** The answer when something unexpected went wrong: let the pod in, unchanged, and say why. */
export function allowWithWarning(uid: string, warning: string): AdmissionReviewOut {
  return review(uid, { warnings: [warning] });
}

/**
 * Answers one review. Throws MalformedReviewError only for bodies that are not a review; any failure
 * while injecting is turned into "allowed, no patch, a warning" so the webhook never blocks a pod.
 */
export function admit(body: unknown, options: InjectOptions, policy: AdmissionPolicy): AdmissionDecision {
  const { uid, request } = parseReview(body);
  const pod = isObject(request['object']) ? request['object'] : undefined;
  const name = podName(request, pod);
  const kind = isObject(request['kind']) ? request['kind']['kind'] : undefined;
  if (kind !== 'Pod' || pod === undefined || request['subResource'] !== undefined) {
    return { review: review(uid), outcome: `ignored: not a pod (${String(kind)})`, pod: name };
  }
  if (request['operation'] !== 'CREATE') {
    return { review: review(uid), outcome: `ignored: operation ${String(request['operation'])}`, pod: name };
  }
  if (policy.requirePodOptIn && !asksForInjection(pod)) {
    return { review: review(uid), outcome: 'skipped: pod did not opt in', pod: name };
  }
  try {
    // The API server may send a pod without kind on older versions; the transformer needs it.
    const result = inject({ ...pod, kind: 'Pod' }, options);
    if (result.outcome === 'skipped') return { review: review(uid), outcome: `skipped: ${result.reason}`, pod: name };
    if (result.outcome === 'invalid') {
      return { review: review(uid, { warnings: [`colormesh: sidecar not injected: ${result.detail}`] }), outcome: `invalid: ${result.detail}`, pod: name };
    }
    const injected: JsonObject = { ...result.object };
    if (pod['kind'] === undefined) delete injected['kind'];
    const patch = diff(pod, injected);
    if (patch.length === 0) return { review: review(uid), outcome: 'skipped: nothing to change', pod: name };
    const encoded = Buffer.from(JSON.stringify(patch)).toString('base64');
    return { review: review(uid, { patchType: 'JSONPatch', patch: encoded }), outcome: 'injected', pod: name };
  } catch (err) {
    const message = `colormesh: sidecar not injected: internal error: ${(err as Error).message}`;
    return { review: allowWithWarning(uid, message), outcome: `failed: ${(err as Error).message}`, pod: name };
  }
}
