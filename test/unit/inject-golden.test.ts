// Golden-file tests for `colormesh inject`: every fixture in test/fixtures/inject/*.input.yaml is injected
// and compared with its reviewed *.golden.yaml. UPDATE_GOLDEN=1 rewrites the golden files instead.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { injectDocuments, formatManifests, parseManifests } from '../../src/inject/manifests.js';
import { defaultOptions, type InjectOptions } from '../../src/inject/options.js';

// Compiled tests run from dist/test/unit; the fixtures stay in the source tree.
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/inject/', import.meta.url));
const TEST_IMAGE = 'ghcr.io/colormesh/colormesh:test';

function optionsFor(fixture: string): InjectOptions {
  const options = defaultOptions(TEST_IMAGE);
  if (fixture.startsWith('container-mode')) options.sidecarMode = 'container';
  return options;
}

/** The golden text: the stderr summary as comments, then the YAML that goes to stdout. */
function render(fixture: string, input: string): string {
  const report = injectDocuments(parseManifests(input), optionsFor(fixture));
  return report.summary.map((line) => `# ${line}\n`).join('') + formatManifests(report.documents);
}

const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.input.yaml')).map((f) => f.replace(/\.input\.yaml$/, ''));

describe('inject golden files', () => {
  test('there is a fixture for every workload kind', () => {
    const kinds = new Set<string>();
    for (const fixture of fixtures) {
      for (const doc of parseManifests(readFileSync(join(FIXTURES, `${fixture}.input.yaml`), 'utf8'))) {
        const d = doc as { kind?: string; items?: { kind?: string }[] };
        if (d.kind) kinds.add(d.kind);
        for (const item of d.items ?? []) if (item.kind) kinds.add(item.kind);
      }
    }
    for (const kind of ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'List']) {
      assert.ok(kinds.has(kind), `no fixture has a ${kind}`);
    }
  });

  for (const fixture of fixtures) {
    test(fixture, () => {
      const input = readFileSync(join(FIXTURES, `${fixture}.input.yaml`), 'utf8');
      const actual = render(fixture, input);
      const goldenPath = join(FIXTURES, `${fixture}.golden.yaml`);
      if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(goldenPath, actual);
      assert.equal(actual, readFileSync(goldenPath, 'utf8'), `${fixture}: rerun with UPDATE_GOLDEN=1 and review the diff if this change is intended`);
      // Injecting the injected output again must change nothing (never twice).
      const again = injectDocuments(parseManifests(formatManifests(parseManifests(actual))), optionsFor(fixture));
      assert.equal(again.injected, 0);
      assert.deepEqual(again.documents, parseManifests(actual));
    });
  }
});
