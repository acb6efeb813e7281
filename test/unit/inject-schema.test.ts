// Every object `colormesh inject` writes in the golden files must still be a valid Kubernetes object:
// validated against the API schemas (kubernetes-models), including List items.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parseManifests } from '../../src/inject/manifests.js';
import { validateObject } from '../support/k8s-schema.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/inject/', import.meta.url));

test('injected golden outputs are schema-valid Kubernetes objects', async () => {
  let validated = 0;
  for (const file of readdirSync(FIXTURES).filter((f) => f.endsWith('.golden.yaml'))) {
    for (const document of parseManifests(readFileSync(join(FIXTURES, file), 'utf8'))) {
      const items = (document as { kind?: string; items?: unknown[] }).kind === 'List' ? ((document as { items: unknown[] }).items) : [document];
      for (const item of items) {
        await validateObject(item, file);
        validated++;
      }
    }
  }
  assert.ok(validated >= 14, `only ${validated} objects validated`);
});

test('the validator does reject a broken injection', async () => {
  const golden = parseManifests(readFileSync(join(FIXTURES, 'pod.golden.yaml'), 'utf8'))[0] as { spec: { initContainers: { ports: { containerPort: unknown }[] }[] } };
  const broken = structuredClone(golden);
  (broken.spec.initContainers[1] as { ports: { containerPort: unknown }[] }).ports[0]!.containerPort = '15001';
  await assert.rejects(validateObject(broken, 'broken'), /containerPort must be integer/);
});
