// Unit tests for the pure injection transformer: what it adds, what it leaves alone, when it skips.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { inject } from '../../src/inject/transform.js';
import { diff } from '../../src/inject/json-patch.js';
import { defaultOptions, type InjectOptions } from '../../src/inject/options.js';
import type { JsonObject } from '../../src/inject/sidecar.js';

const IMAGE = 'registry.example/colormesh:1.0.0';

function pod(extra: { annotations?: Record<string, string>; labels?: Record<string, string>; spec?: JsonObject } = {}): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', ...(extra.labels ? { labels: extra.labels } : {}), ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: {
      containers: [
        { name: 'app', image: 'app:1', ports: [{ containerPort: 9000, protocol: 'UDP' }, { containerPort: 8080 }] },
        { name: 'helper', image: 'helper:1', ports: [{ containerPort: 7070 }] },
      ],
      ...(extra.spec ?? {}),
    },
  };
}

function injected(object: JsonObject, options: InjectOptions = defaultOptions(IMAGE)): JsonObject {
  const result = inject(object, options);
  assert.equal(result.outcome, 'injected', JSON.stringify(result));
  return result.object;
}

type Container = { name: string; env?: { name: string; value?: string; valueFrom?: { fieldRef: { fieldPath: string } } }[]; args?: string[]; securityContext?: JsonObject; image?: string };
const specOf = (o: JsonObject) => o['spec'] as { initContainers?: Container[]; containers: Container[]; volumes?: JsonObject[] };
const envOf = (c: Container, name: string) => c.env?.find((e) => e.name === name);

describe('inject transformer', () => {
  test('adds init container and native sidecar first, the rules volume, and the injected mark', () => {
    const out = injected(pod());
    const spec = specOf(out);
    assert.deepEqual(spec.initContainers?.map((c) => c.name), ['colormesh-init', 'colormesh']);
    assert.deepEqual(spec.containers.map((c) => c.name), ['app', 'helper']);
    assert.deepEqual(spec.volumes, [{ name: 'colormesh-rules', configMap: { name: 'colormesh-rules' } }]);
    assert.deepEqual((out['metadata'] as JsonObject)['annotations'], { 'colormesh.io/injected': 'true' });
    const sidecar = spec.initContainers?.[1] as Container & { restartPolicy?: string };
    assert.equal(sidecar.restartPolicy, 'Always');
    assert.equal(sidecar.image, IMAGE);
  });

  test('the app port is the first TCP port; only it is intercepted', () => {
    const spec = specOf(injected(pod()));
    const [init, sidecar] = spec.initContainers as [Container, Container];
    assert.equal(envOf(sidecar, 'COLORMESH_APP_PORT')?.value, '8080');
    assert.deepEqual(init.args?.slice(0, 4), ['iptables', 'apply', '--inbound-ports', '8080']);
  });

  test('color and service come from configurable labels through the downward API', () => {
    const options = { ...defaultOptions(IMAGE), colorLabel: 'lane', serviceLabel: 'app.kubernetes.io/name' };
    const sidecar = specOf(injected(pod(), options)).initContainers?.[1] as Container;
    assert.equal(envOf(sidecar, 'COLORMESH_COLOR')?.valueFrom?.fieldRef.fieldPath, "metadata.labels['lane']");
    assert.equal(envOf(sidecar, 'COLORMESH_SERVICE')?.valueFrom?.fieldRef.fieldPath, "metadata.labels['app.kubernetes.io/name']");
    const annotated = specOf(injected(pod({ annotations: { 'colormesh.io/color-label': 'track' } }), options)).initContainers?.[1] as Container;
    assert.equal(envOf(annotated, 'COLORMESH_COLOR')?.valueFrom?.fieldRef.fieldPath, "metadata.labels['track']");
    for (const name of ['POD_NAME', 'POD_NAMESPACE', 'POD_IP']) assert.ok(envOf(sidecar, name)?.valueFrom, name);
    assert.equal(envOf(sidecar, 'COLORMESH_CONFIG')?.value, '/etc/colormesh/rules.yaml');
  });

  test('security: sidecar uid 1337 non-root read-only; init has only NET_ADMIN and NET_RAW', () => {
    const [init, sidecar] = specOf(injected(pod())).initContainers as [Container, Container];
    assert.deepEqual(sidecar.securityContext, {
      runAsUser: 1337, runAsGroup: 1337, runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] },
    });
    assert.deepEqual(init.securityContext?.['capabilities'], { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] });
    assert.equal(init.securityContext?.['runAsUser'], 0);
    assert.equal(init.securityContext?.['privileged'], false);
  });

  test('container mode appends the sidecar to containers', () => {
    const spec = specOf(injected(pod(), { ...defaultOptions(IMAGE), sidecarMode: 'container' }));
    assert.deepEqual(spec.initContainers?.map((c) => c.name), ['colormesh-init']);
    assert.deepEqual(spec.containers.map((c) => c.name), ['app', 'helper', 'colormesh']);
    assert.equal((spec.containers[2] as JsonObject)['restartPolicy'], undefined);
  });

  test('leaves the input untouched and changes nothing outside the paths it owns', () => {
    const input = pod({ labels: { app: 'a', color: 'blue' }, annotations: { keep: 'me' }, spec: { initContainers: [{ name: 'setup', image: 's' }], volumes: [{ name: 'v', emptyDir: {} }] } });
    const before = structuredClone(input);
    const out = injected(input);
    assert.deepEqual(input, before);
    const paths = diff(input, out).map((op) => `${op.op} ${op.path}`);
    assert.deepEqual(paths, [
      'add /metadata/annotations/colormesh.io~1injected',
      'add /spec/initContainers/0',
      'add /spec/initContainers/1',
      'add /spec/volumes/-',
    ]);
  });

  test('idempotent: injecting the output again is a skip with the same object', () => {
    const once = injected(pod());
    const twice = inject(once, defaultOptions(IMAGE));
    assert.equal(twice.outcome, 'skipped');
    assert.equal(twice.outcome === 'skipped' && twice.reason, 'already-injected');
    assert.deepEqual(twice.object, once);
    // A sidecar added by hand (no mark) also counts as injected.
    const byHand = pod({ spec: { containers: [{ name: 'colormesh', image: 'x' }] } });
    assert.equal(inject(byHand, defaultOptions(IMAGE)).outcome, 'skipped');
  });

  test('skips: opt-out on the pod template, host network, non-workloads', () => {
    const reason = (o: JsonObject) => {
      const r = inject(o, defaultOptions(IMAGE));
      return r.outcome === 'skipped' ? r.reason : r.outcome;
    };
    assert.equal(reason(pod({ annotations: { 'colormesh.io/inject': 'disabled' } })), 'opted-out');
    assert.equal(reason(pod({ spec: { hostNetwork: true } })), 'host-network');
    assert.equal(reason({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } }), 'not-a-workload');
    assert.equal(reason({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: {} }), 'not-a-workload');
    // Only the pod template counts (the webhook sees nothing else): an annotation on the Deployment
    // itself does not opt its pods out, one on the template does.
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', annotations: { 'colormesh.io/inject': 'disabled' } }, spec: { template: { spec: { containers: [] } } } };
    assert.equal(reason(deployment), 'injected');
    const optedOut = structuredClone(deployment) as JsonObject;
    ((optedOut['spec'] as JsonObject)['template'] as JsonObject)['metadata'] = { annotations: { 'colormesh.io/inject': 'disabled' } };
    assert.equal(reason(optedOut), 'opted-out');
  });

  test('overrides by annotation, and invalid ones refuse injection', () => {
    const out = injected(pod({ annotations: { 'colormesh.io/proxy-cpu-request': '100m', 'colormesh.io/proxy-memory-limit': '1Gi', 'colormesh.io/outbound-ports': '8080, 9090' } }));
    const [init, sidecar] = specOf(out).initContainers as [Container & JsonObject, Container & JsonObject];
    assert.deepEqual(sidecar['resources'], { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1', memory: '1Gi' } });
    assert.ok(init.args?.join(' ').includes('--outbound-ports 8080,9090'));
    const all = specOf(injected(pod({ annotations: { 'colormesh.io/outbound-ports': '*' } }))).initContainers?.[0] as Container;
    assert.ok(all.args?.join(' ').includes('--outbound-ports *'));
    for (const [key, value] of [
      ['colormesh.io/proxy-cpu-limit', 'lots'],
      ['colormesh.io/inbound-ports', '80;443'],
      ['colormesh.io/inbound-ports', '70000'],
      ['colormesh.io/exclude-outbound-cidrs', '10.0.0.0/33'],
      ['colormesh.io/color-label', 'bad key!'],
      ['colormesh.io/app-port', '0'],
    ] as const) {
      const result = inject(pod({ annotations: { [key]: value } }), defaultOptions(IMAGE));
      assert.equal(result.outcome, 'invalid', `${key}=${value}`);
      assert.match(result.outcome === 'invalid' ? result.detail : '', new RegExp(key.replace('.', '\\.')));
    }
  });
});
