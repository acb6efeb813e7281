// Renders every kustomization in deploy/ and examples/kubernetes/ with `kubectl kustomize` (offline),
// validates each object against the Kubernetes API schemas, and checks the safety properties the
// webhook configuration promises (never blocking pods, never selecting its own namespace).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, relative } from 'node:path';
import { injectDocuments, parseManifests } from '../../src/inject/manifests.js';
import { defaultOptions } from '../../src/inject/options.js';
import { validateObject } from '../support/k8s-schema.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; spec?: any; webhooks?: any[]; subjects?: { name: string }[] };

function kustomizations(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...kustomizations(path));
    else if (entry === 'kustomization.yaml') found.push(dir);
  }
  return found;
}

function render(dir: string): K8sObject[] {
  const yaml = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  return parseManifests(yaml) as K8sObject[];
}

function hasKubectl(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

// kubectl ships with this machine image (not with Debian's too-old kubernetes-client); without it
// these tests are skipped loudly rather than failing on a missing tool.
const KUBECTL = hasKubectl();
if (!KUBECTL) console.log('# SKIP deploy manifests: kubectl not found (needed for `kubectl kustomize`)');
const dirs = KUBECTL ? [...kustomizations(join(ROOT, 'deploy')), ...kustomizations(join(ROOT, 'examples/kubernetes'))] : [];
const rendered = new Map(dirs.map((dir) => [relative(ROOT, dir), render(dir)]));
const find = (objects: K8sObject[], kind: string, name?: string) => objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));

describe('deploy manifests', { skip: KUBECTL ? false : 'kubectl not found' }, () => {
  test('every kustomization renders and is found', () => {
    assert.deepEqual([...rendered.keys()].sort(), ['deploy/base', 'deploy/overlays/cert-manager', 'deploy/rules', 'examples/kubernetes']);
    for (const [dir, objects] of rendered) assert.ok(objects.length > 0, `${dir} rendered nothing`);
  });

  for (const [dir, objects] of rendered) {
    test(`${dir}: every object is valid against the API schemas`, async () => {
      const checks = { schema: 0, structural: 0 };
      for (const object of objects) checks[await validateObject(object, dir)]++;
      assert.equal(checks.schema + checks.structural, objects.length);
      // Only cert-manager's CRDs may fall back to the structural check.
      const crds = objects.filter((o) => o.apiVersion === 'cert-manager.io/v1').length;
      assert.equal(checks.structural, crds);
    });
  }

  for (const dir of ['deploy/base', 'deploy/overlays/cert-manager']) {
    test(`${dir}: the webhook can never block pod creation or select its own namespace`, () => {
      const objects = rendered.get(dir) as K8sObject[];
      const [config] = find(objects, 'MutatingWebhookConfiguration');
      assert.ok(config?.webhooks && config.webhooks.length === 2);
      const services = find(objects, 'Service');
      for (const webhook of config.webhooks) {
        assert.equal(webhook.failurePolicy, 'Ignore', webhook.name);
        assert.equal(webhook.timeoutSeconds, 5);
        assert.equal(webhook.sideEffects, 'None');
        assert.equal(webhook.reinvocationPolicy, 'Never');
        assert.deepEqual(webhook.admissionReviewVersions, ['v1']);
        assert.deepEqual(webhook.rules, [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }]);
        const excluded = webhook.namespaceSelector.matchExpressions.find((e: any) => e.key === 'kubernetes.io/metadata.name');
        assert.equal(excluded.operator, 'NotIn');
        for (const ns of ['colormesh-system', 'kube-system']) assert.ok(excluded.values.includes(ns), `${webhook.name} excludes ${ns}`);
        // The webhook points at a Service that exists, in the namespace it is rendered into.
        const target = webhook.clientConfig.service;
        assert.ok(services.some((s) => s.metadata.name === target.name && s.metadata.namespace === target.namespace), `${webhook.name} -> ${target.namespace}/${target.name}`);
        assert.match(target.path, /^\/mutate(\/pod-opt-in)?$/);
      }
      const deployment = find(objects, 'Deployment', 'colormesh-webhook')[0];
      assert.equal(deployment?.spec.replicas, 2);
      const pod = deployment?.spec.template.spec;
      assert.equal(pod.automountServiceAccountToken, false);
      assert.equal(deployment?.spec.template.metadata.labels['colormesh.io/inject'], 'disabled');
      const container = pod.containers[0];
      assert.equal(container.securityContext.readOnlyRootFilesystem, true);
      assert.ok(container.readinessProbe && container.livenessProbe && container.resources.limits);
      // The webhook's ServiceAccount is bound to nothing: no RoleBinding or ClusterRoleBinding names it.
      for (const binding of [...find(objects, 'RoleBinding'), ...find(objects, 'ClusterRoleBinding')]) {
        assert.ok(!binding.subjects?.some((s) => s.name === 'colormesh-webhook'), 'the webhook needs no API access');
      }
      const [role] = find(objects, 'ClusterRole', 'colormesh-sidecar');
      for (const rule of (role as any).rules) assert.deepEqual(rule.verbs, ['list', 'watch']);
    });
  }

  test('deploy/overlays/cert-manager: the CA is injected from the Certificate that writes the mounted Secret', () => {
    const objects = rendered.get('deploy/overlays/cert-manager') as K8sObject[];
    const [config] = find(objects, 'MutatingWebhookConfiguration');
    const ref = config?.metadata.annotations?.['cert-manager.io/inject-ca-from'];
    const [namespace, name] = (ref ?? '/').split('/');
    const [certificate] = find(objects, 'Certificate', name).filter((c) => c.metadata.namespace === namespace);
    assert.ok(certificate, `inject-ca-from ${ref} names no Certificate`);
    const deployment = find(objects, 'Deployment', 'colormesh-webhook')[0];
    const secretVolume = deployment?.spec.template.spec.volumes.find((v: any) => v.secret);
    assert.equal(certificate.spec.secretName, secretVolume.secret.secretName);
    const service = find(objects, 'Service', 'colormesh-webhook')[0];
    assert.ok(certificate.spec.dnsNames.includes(`${service?.metadata.name}.${service?.metadata.namespace}.svc`));
    for (const issuer of find(objects, 'Issuer')) assert.equal(issuer.metadata.namespace, 'colormesh-system');
  });

  test('rules ConfigMaps keep the exact name the injected volume mounts', () => {
    for (const dir of ['deploy/rules', 'examples/kubernetes']) {
      const [configMap] = find(rendered.get(dir) as K8sObject[], 'ConfigMap');
      assert.equal(configMap?.metadata.name, 'colormesh-rules', dir);
      assert.equal(typeof (configMap as any).data['rules.yaml'], 'string');
    }
  });

  test('examples/kubernetes: the demo namespace opts in and has blue, green and untagged versions', () => {
    const objects = rendered.get('examples/kubernetes') as K8sObject[];
    assert.equal(find(objects, 'Namespace', 'colormesh-demo')[0]?.metadata && (find(objects, 'Namespace')[0] as any).metadata.labels['colormesh.io/inject'], 'enabled');
    const colors = find(objects, 'Deployment').map((d) => `${d.spec.template.metadata.labels.app}:${d.spec.template.metadata.labels.color ?? '-'}`);
    assert.deepEqual(colors.sort(), ['base-service:-', 'base-service:blue', 'base-service:green', 'frontend:-', 'order-service:blue', 'order-service:green']);
    for (const object of objects) if (object.kind !== 'Namespace') assert.equal(object.metadata.namespace, 'colormesh-demo');
  });

  test('examples/kubernetes: what the webhook would make of the demo Deployments is still schema-valid', async () => {
    const objects = rendered.get('examples/kubernetes') as K8sObject[];
    const report = injectDocuments(objects as never[], defaultOptions('ghcr.io/colormesh/colormesh:0.1.0'));
    assert.equal(report.injected, find(objects, 'Deployment').length);
    for (const object of report.documents) await validateObject(object, 'examples/kubernetes (injected)');
  });
});
