// Injection settings: the transformer's options, the annotations a pod may use to override them, and
// the fixed names (ports, uid, volume) that the sidecar, the init container and the docs share.
import { parseConfigMapFlag } from '../config/configmap-watch.js';
import { cidrFamily } from '../iptables/rules.js';

/** Annotation and label keys under colormesh.io/ that injection reads or writes. */
export const ANNOTATION = {
  inject: 'colormesh.io/inject',
  injected: 'colormesh.io/injected',
  colorLabel: 'colormesh.io/color-label',
  serviceLabel: 'colormesh.io/service-label',
  appPort: 'colormesh.io/app-port',
  inboundPorts: 'colormesh.io/inbound-ports',
  outboundPorts: 'colormesh.io/outbound-ports',
  excludeOutboundPorts: 'colormesh.io/exclude-outbound-ports',
  excludeOutboundCidrs: 'colormesh.io/exclude-outbound-cidrs',
  cpuRequest: 'colormesh.io/proxy-cpu-request',
  memoryRequest: 'colormesh.io/proxy-memory-request',
  cpuLimit: 'colormesh.io/proxy-cpu-limit',
  memoryLimit: 'colormesh.io/proxy-memory-limit',
  /** NAMESPACE/NAME: the sidecar reads its rules from this ConfigMap through the API (SPEC 6a); pod or namespace */
  rulesConfigMap: 'colormesh.io/rules-configmap',
} as const;

/** Names and numbers follow Istio's conventions on purpose (SPEC 6), so operators recognise them. */
export const SIDECAR_NAME = 'colormesh';
export const INIT_NAME = 'colormesh-init';
export const RULES_VOLUME = 'colormesh-rules';
export const RULES_CONFIGMAP = 'colormesh-rules';
export const RULES_MOUNT_PATH = '/etc/colormesh';
export const RULES_FILE = `${RULES_MOUNT_PATH}/rules.yaml`;
export const PROXY_UID = 1337;
export const OUTBOUND_PORT = 15001;
export const INBOUND_PORT = 15006;
export const METRICS_PORT = 15020;

/**
 * `native` puts the sidecar in initContainers with `restartPolicy: Always` (Kubernetes >= 1.29): it starts
 * before the app and does not keep a Job from completing. `container` appends it to `containers` for
 * older clusters.
 */
export type SidecarMode = 'native' | 'container';
export const SIDECAR_MODES: readonly SidecarMode[] = ['native', 'container'];

export interface ResourceSettings {
  cpuRequest: string;
  memoryRequest: string;
  cpuLimit: string;
  memoryLimit: string;
}

export interface InjectOptions {
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** pod label whose value is the pod's color */
  colorLabel: string;
  /** pod label whose value is the pod's service name */
  serviceLabel: string;
  sidecarMode: SidecarMode;
  resources: ResourceSettings;
}

export const DEFAULT_RESOURCES: Readonly<ResourceSettings> = Object.freeze({
  cpuRequest: '50m',
  memoryRequest: '64Mi',
  cpuLimit: '1',
  memoryLimit: '256Mi',
});

export function defaultOptions(image: string): InjectOptions {
  return { image, colorLabel: 'color', serviceLabel: 'app', sidecarMode: 'native', resources: { ...DEFAULT_RESOURCES } };
}

/** A bad override annotation: injection of that object is refused rather than guessed at. */
export class AnnotationError extends Error {
  override name = 'AnnotationError';
}

// Label keys: optional DNS-subdomain prefix and a name of at most 63 characters (Kubernetes' own rule).
const LABEL_KEY = /^(?:[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
// Kubernetes resource quantities, e.g. 50m, 1, 0.5, 64Mi, 1G.
const QUANTITY = /^(?:\d+(?:\.\d+)?|\.\d+)(?:m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const PORT_LIST = /^\d{1,5}(?:,\d{1,5})*$/;

export function isLabelKey(key: string): boolean {
  return LABEL_KEY.test(key);
}

export function checkLabelKey(what: string, key: string): string {
  if (!isLabelKey(key)) throw new AnnotationError(`${what}: "${key}" is not a valid label key`);
  return key;
}

function checkQuantity(annotation: string, value: string): string {
  if (!QUANTITY.test(value)) throw new AnnotationError(`${annotation}: "${value}" is not a resource quantity`);
  return value;
}

function checkPort(annotation: string, value: string): number {
  const port = Number(value);
  if (!/^\d{1,5}$/.test(value) || port < 1 || port > 65535) throw new AnnotationError(`${annotation}: "${value}" is not a TCP port`);
  return port;
}

/** Normalises "80, 443" to "80,443" and rejects anything that is not a list of TCP ports. */
export function checkPortList(annotation: string, value: string): string {
  const compact = value.replace(/\s+/g, '');
  const ok = PORT_LIST.test(compact) && compact.split(',').every((p) => Number(p) >= 1 && Number(p) <= 65535);
  if (!ok) throw new AnnotationError(`${annotation}: "${value}" is not a comma-separated list of ports`);
  return compact;
}

function checkConfigMapRef(annotation: string, value: string): string {
  if (parseConfigMapFlag(value) === undefined) throw new AnnotationError(`${annotation}: "${value}" is not NAMESPACE/NAME of a ConfigMap`);
  return value;
}

function checkCidrList(annotation: string, value: string): string {
  const compact = value.replace(/\s+/g, '');
  // The same check `colormesh iptables` makes in the init container: what passes here must start there.
  if (!compact.split(',').every((c) => cidrFamily(c) !== undefined)) {
    throw new AnnotationError(`${annotation}: "${value}" is not a comma-separated list of CIDRs`);
  }
  return compact;
}

/** What one pod's annotations change, checked; `undefined` means "not overridden". */
export interface PodOverrides {
  colorLabel: string;
  serviceLabel: string;
  resources: ResourceSettings;
  appPort?: number;
  inboundPorts?: string;
  outboundPorts?: string;
  excludeOutboundPorts?: string;
  excludeOutboundCidrs?: string;
  /** NAMESPACE/NAME for `colormesh run --configmap` */
  rulesConfigMap?: string;
}

/**
 * `namespaceAnnotations` are the annotations of the pod's namespace, when known; only
 * `colormesh.io/rules-configmap` is read from them, and the pod's own annotation wins.
 */
export function readOverrides(annotations: Readonly<Record<string, string>>, options: InjectOptions, namespaceAnnotations: Readonly<Record<string, string>> = {}): PodOverrides {
  const get = (key: string): string | undefined => {
    const v = annotations[key];
    return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
  };
  const colorLabel = get(ANNOTATION.colorLabel);
  const serviceLabel = get(ANNOTATION.serviceLabel);
  const quantity = (key: string, fallback: string): string => {
    const v = get(key);
    return v === undefined ? fallback : checkQuantity(key, v);
  };
  const overrides: PodOverrides = {
    colorLabel: colorLabel === undefined ? options.colorLabel : checkLabelKey(ANNOTATION.colorLabel, colorLabel),
    serviceLabel: serviceLabel === undefined ? options.serviceLabel : checkLabelKey(ANNOTATION.serviceLabel, serviceLabel),
    resources: {
      cpuRequest: quantity(ANNOTATION.cpuRequest, options.resources.cpuRequest),
      memoryRequest: quantity(ANNOTATION.memoryRequest, options.resources.memoryRequest),
      cpuLimit: quantity(ANNOTATION.cpuLimit, options.resources.cpuLimit),
      memoryLimit: quantity(ANNOTATION.memoryLimit, options.resources.memoryLimit),
    },
  };
  const appPort = get(ANNOTATION.appPort);
  if (appPort !== undefined) overrides.appPort = checkPort(ANNOTATION.appPort, appPort);
  const inbound = get(ANNOTATION.inboundPorts);
  if (inbound !== undefined) overrides.inboundPorts = checkPortList(ANNOTATION.inboundPorts, inbound);
  const outbound = get(ANNOTATION.outboundPorts);
  // `*` asks `colormesh iptables` to redirect all outbound TCP.
  if (outbound !== undefined) overrides.outboundPorts = outbound === '*' ? '*' : checkPortList(ANNOTATION.outboundPorts, outbound);
  const excludePorts = get(ANNOTATION.excludeOutboundPorts);
  if (excludePorts !== undefined) overrides.excludeOutboundPorts = checkPortList(ANNOTATION.excludeOutboundPorts, excludePorts);
  const excludeCidrs = get(ANNOTATION.excludeOutboundCidrs);
  if (excludeCidrs !== undefined) overrides.excludeOutboundCidrs = checkCidrList(ANNOTATION.excludeOutboundCidrs, excludeCidrs);
  const fromNamespace = namespaceAnnotations[ANNOTATION.rulesConfigMap];
  const configMap = get(ANNOTATION.rulesConfigMap) ?? (typeof fromNamespace === 'string' && fromNamespace.trim() !== '' ? fromNamespace.trim() : undefined);
  if (configMap !== undefined) overrides.rulesConfigMap = checkConfigMapRef(ANNOTATION.rulesConfigMap, configMap);
  return overrides;
}
