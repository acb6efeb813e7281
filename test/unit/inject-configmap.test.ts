// Injection turns on rules from the Kubernetes API (SPEC 6a) when the pod or its namespace carries
// `colormesh.io/rules-configmap: NAMESPACE/NAME`; the mounted file stays as the fallback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { injectDocuments } from '../../src/inject/manifests.js';
import { defaultOptions } from '../../src/inject/options.js';
import type { Json, JsonObject } from '../../src/inject/sidecar.js';

const options = defaultOptions('ghcr.io/colormesh/colormesh:test');

function deployment(namespace: string, annotations: Record<string, string> = {}): JsonObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' }, annotations }, spec: { containers: [{ name: 'app', image: 'web', ports: [{ containerPort: 8080 }] }] } },
    },
  };
}

const namespace = (name: string, annotations: Record<string, string>): JsonObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, annotations } });

function sidecarEnv(documents: Json[]): Record<string, unknown> {
  const report = injectDocuments(documents, options);
  const deploymentOut = report.documents.find((d) => (d as JsonObject)['kind'] === 'Deployment') as JsonObject;
  const spec = ((deploymentOut['spec'] as JsonObject)['template'] as JsonObject)['spec'] as JsonObject;
  const all = [...((spec['initContainers'] as JsonObject[]) ?? []), ...((spec['containers'] as JsonObject[]) ?? [])];
  const sidecar = all.find((c) => c['name'] === 'colormesh');
  if (sidecar === undefined) return { summary: report.summary.join('; ') };
  return Object.fromEntries((sidecar['env'] as Array<{ name: string; value?: string }>).map((e) => [e.name, e.value]));
}

test('the pod annotation sets COLORMESH_CONFIGMAP and keeps the file as the fallback', () => {
  const env = sidecarEnv([deployment('shop', { 'colormesh.io/rules-configmap': 'shop/colormesh-rules' })]);
  assert.equal(env['COLORMESH_CONFIGMAP'], 'shop/colormesh-rules');
  assert.equal(env['COLORMESH_CONFIG'], '/etc/colormesh/rules.yaml');
});

test('the namespace annotation applies to workloads in it; the pod annotation wins', () => {
  const ns = namespace('shop', { 'colormesh.io/rules-configmap': 'shop/colormesh-rules' });
  assert.equal(sidecarEnv([ns, deployment('shop')])['COLORMESH_CONFIGMAP'], 'shop/colormesh-rules');
  assert.equal(sidecarEnv([deployment('shop'), ns])['COLORMESH_CONFIGMAP'], 'shop/colormesh-rules');
  assert.equal(sidecarEnv([ns, deployment('other')])['COLORMESH_CONFIGMAP'], undefined);
  assert.equal(sidecarEnv([ns, deployment('shop', { 'colormesh.io/rules-configmap': 'shop/canary-rules' })])['COLORMESH_CONFIGMAP'], 'shop/canary-rules');
});

test('without the annotation nothing changes', () => {
  assert.equal(sidecarEnv([deployment('shop')])['COLORMESH_CONFIGMAP'], undefined);
});

test('a value that is not NAMESPACE/NAME is refused and the object left alone', () => {
  const env = sidecarEnv([deployment('shop', { 'colormesh.io/rules-configmap': 'colormesh-rules' })]);
  assert.match(String(env['summary']), /not injected: colormesh\.io\/rules-configmap: "colormesh-rules" is not NAMESPACE\/NAME/);
});
