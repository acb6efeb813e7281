// `colormesh inject` end to end as a process: file and stdin input, stdout YAML, stderr summary, exit codes.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/inject/', import.meta.url));
const IMAGE = 'ghcr.io/colormesh/colormesh:test';

function inject(args: string[], input?: string) {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('COLORMESH_')) delete env[key];
  return spawnSync(process.execPath, [MAIN, 'inject', ...args], { input, encoding: 'utf8', env, timeout: 20_000 });
}

/** Splits a golden file into its comment summary (stderr) and YAML (stdout). */
function golden(name: string): { summary: string; yaml: string } {
  const lines = readFileSync(join(FIXTURES, `${name}.golden.yaml`), 'utf8').split('\n');
  const summaryLines = lines.filter((line) => line.startsWith('# ')).map((line) => line.slice(2) + '\n');
  return { summary: summaryLines.join(''), yaml: lines.slice(summaryLines.length).join('\n') };
}

describe('colormesh inject (process)', () => {
  test('-f FILE writes the golden YAML to stdout and the summary to stderr', () => {
    const result = inject(['-f', join(FIXTURES, 'multi-document.input.yaml'), '--image', IMAGE]);
    const expected = golden('multi-document');
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, expected.yaml);
    assert.equal(result.stderr, expected.summary);
  });

  test('-f - reads stdin; --sidecar-mode container', () => {
    const result = inject(['-f', '-', '--image', IMAGE, '--sidecar-mode', 'container'], readFileSync(join(FIXTURES, 'container-mode.input.yaml'), 'utf8'));
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, golden('container-mode').yaml);
  });

  test('the default image is tagged with the package version', () => {
    const version = (JSON.parse(readFileSync(join(FIXTURES, '../../../package.json'), 'utf8')) as { version: string }).version;
    const result = inject(['-f', join(FIXTURES, 'pod.input.yaml')]);
    assert.equal(result.status, 0, result.stderr);
    assert.ok(result.stdout.includes(`image: ghcr.io/colormesh/colormesh:${version}\n`));
  });

  test('exit 1 on an invalid annotation (object passed through) or bad YAML; 2 on usage errors', () => {
    const bad = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    colormesh.io/proxy-cpu-limit: lots\nspec:\n  containers: [{name: a, image: a}]\n';
    const invalid = inject(['-f', '-'], bad);
    assert.equal(invalid.status, 1);
    assert.match(invalid.stderr, /pod "p" not injected: colormesh.io\/proxy-cpu-limit/);
    assert.doesNotMatch(invalid.stdout, /colormesh-init/);
    const notYaml = inject(['-f', '-'], 'a: [1\n');
    assert.equal(notYaml.status, 1);
    assert.match(notYaml.stderr, /stdin/);
    assert.equal(inject([]).status, 2);
    assert.equal(inject(['-f', '-', '--sidecar-mode', 'sideways'], '').status, 2);
    assert.equal(inject(['-f', '-', '--color-label', 'not a key'], '').status, 2);
  });
});
