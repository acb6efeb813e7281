// Builds the three things injection adds to a pod spec: the `colormesh` sidecar, the `colormesh-init`
// container that programs iptables, and the rules volume. Plain objects, no I/O.
import {
  INBOUND_PORT,
  INIT_NAME,
  METRICS_PORT,
  OUTBOUND_PORT,
  PROXY_UID,
  RULES_CONFIGMAP,
  RULES_FILE,
  RULES_MOUNT_PATH,
  RULES_VOLUME,
  SIDECAR_NAME,
  type InjectOptions,
  type PodOverrides,
} from './options.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

const rulesMount: JsonObject = { name: RULES_VOLUME, mountPath: RULES_MOUNT_PATH, readOnly: true };

function fieldEnv(name: string, fieldPath: string): JsonObject {
  return { name, valueFrom: { fieldRef: { fieldPath } } };
}

/** The TCP container ports of the app's containers, in order, without duplicates. */
export function appPorts(containers: readonly JsonObject[]): number[] {
  const ports: number[] = [];
  for (const container of containers) {
    const list = Array.isArray(container['ports']) ? container['ports'] : [];
    for (const port of list) {
      if (port === null || typeof port !== 'object' || Array.isArray(port)) continue;
      const protocol = port['protocol'] ?? 'TCP';
      const number = port['containerPort'];
      if (protocol === 'TCP' && typeof number === 'number' && !ports.includes(number)) ports.push(number);
    }
  }
  return ports;
}

const SERVICE_ACCOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The service-account token mount the API server already gave the app containers, if any. The admission
 * plugin that adds it runs before webhooks, so the sidecar (which watches EndpointSlices for kubernetes
 * discovery) would otherwise start without a token.
 */
export function serviceAccountMount(containers: readonly JsonObject[]): JsonObject | undefined {
  for (const container of containers) {
    const mounts = Array.isArray(container['volumeMounts']) ? container['volumeMounts'] : [];
    for (const mount of mounts) {
      if (mount !== null && typeof mount === 'object' && !Array.isArray(mount) && mount['mountPath'] === SERVICE_ACCOUNT_PATH) return { ...mount };
    }
  }
  return undefined;
}

export function sidecarContainer(options: InjectOptions, overrides: PodOverrides, appPort: number | undefined, tokenMount?: JsonObject): JsonObject {
  // A missing label gives an empty variable, which `colormesh run` reads as "not set" (no color).
  const env: JsonObject[] = [
    fieldEnv('POD_NAME', 'metadata.name'),
    fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
    fieldEnv('POD_IP', 'status.podIP'),
    fieldEnv('COLORMESH_COLOR', `metadata.labels['${overrides.colorLabel}']`),
    fieldEnv('COLORMESH_SERVICE', `metadata.labels['${overrides.serviceLabel}']`),
  ];
  if (appPort !== undefined) env.push({ name: 'COLORMESH_APP_PORT', value: String(appPort) });
  env.push({ name: 'COLORMESH_CONFIG', value: RULES_FILE });
  // Rules through the API (SPEC 6a); the mounted file above stays as the fallback while the API is unreachable.
  if (overrides.rulesConfigMap !== undefined) env.push({ name: 'COLORMESH_CONFIGMAP', value: overrides.rulesConfigMap });
  // After SIGTERM, keep serving while the endpoint removal reaches the callers (Istio drains 5 s too),
  // then give in-flight requests 20 s: together they fit in Kubernetes' default 30 s grace period.
  env.push({ name: 'COLORMESH_DRAIN_DELAY_MS', value: '5000' });
  env.push({ name: 'COLORMESH_DRAIN_TIMEOUT_MS', value: '20000' });

  const container: JsonObject = {
    name: SIDECAR_NAME,
    image: options.image,
    ...(options.imagePullPolicy ? { imagePullPolicy: options.imagePullPolicy } : {}),
    args: ['run'],
    ports: [
      { name: 'cm-outbound', containerPort: OUTBOUND_PORT, protocol: 'TCP' },
      { name: 'cm-inbound', containerPort: INBOUND_PORT, protocol: 'TCP' },
      { name: 'cm-metrics', containerPort: METRICS_PORT, protocol: 'TCP' },
    ],
    env,
    readinessProbe: {
      httpGet: { path: '/healthz/ready', port: METRICS_PORT },
      periodSeconds: 5,
      failureThreshold: 3,
    },
    livenessProbe: {
      httpGet: { path: '/healthz/live', port: METRICS_PORT },
      periodSeconds: 10,
      failureThreshold: 3,
    },
    resources: {
      requests: { cpu: overrides.resources.cpuRequest, memory: overrides.resources.memoryRequest },
      limits: { cpu: overrides.resources.cpuLimit, memory: overrides.resources.memoryLimit },
    },
    securityContext: {
      runAsUser: PROXY_UID,
      runAsGroup: PROXY_UID,
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    },
    volumeMounts: tokenMount ? [rulesMount, tokenMount] : [rulesMount],
  };
  if (options.sidecarMode === 'native') {
    // As a native sidecar the kubelet starts the app containers only once this probe passes, so the
    // app's first outbound call never meets an iptables redirect with no proxy behind it.
    container['restartPolicy'] = 'Always';
    container['startupProbe'] = {
      httpGet: { path: '/healthz/ready', port: METRICS_PORT },
      periodSeconds: 1,
      failureThreshold: 60,
    };
  }
  return container;
}

/**
 * By default only the app port is intercepted: the inbound listener is HTTP and forwards everything to
 * that one port, so redirecting a pod's other ports (gRPC, metrics, UDP) would break them.
 */
export function initContainer(options: InjectOptions, overrides: PodOverrides, appPort: number | undefined): JsonObject {
  const args = ['iptables', 'apply'];
  const inbound = overrides.inboundPorts ?? (appPort === undefined ? '' : String(appPort));
  if (inbound !== '') args.push('--inbound-ports', inbound);
  if (overrides.outboundPorts !== undefined) args.push('--outbound-ports', overrides.outboundPorts);
  if (overrides.excludeOutboundPorts !== undefined) args.push('--exclude-outbound-ports', overrides.excludeOutboundPorts);
  if (overrides.excludeOutboundCidrs !== undefined) args.push('--exclude-outbound-cidrs', overrides.excludeOutboundCidrs);
  args.push('--proxy-uid', String(PROXY_UID), '--inbound-port', String(INBOUND_PORT), '--outbound-port', String(OUTBOUND_PORT));
  return {
    name: INIT_NAME,
    image: options.image,
    ...(options.imagePullPolicy ? { imagePullPolicy: options.imagePullPolicy } : {}),
    args,
    // Without --outbound-ports the command reads the service ports from the rule file.
    env: [{ name: 'COLORMESH_CONFIG', value: RULES_FILE }],
    resources: {
      requests: { cpu: '10m', memory: '32Mi' },
      limits: { cpu: '100m', memory: '64Mi' },
    },
    securityContext: {
      // Programming iptables in the pod's network namespace needs root with exactly these two
      // capabilities; everything else is dropped. The root filesystem stays writable because
      // iptables takes its lock in /run/xtables.lock.
      runAsUser: 0,
      runAsNonRoot: false,
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: false,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
    },
    volumeMounts: [rulesMount],
  };
}

export function rulesVolume(): JsonObject {
  return { name: RULES_VOLUME, configMap: { name: RULES_CONFIGMAP } };
}
