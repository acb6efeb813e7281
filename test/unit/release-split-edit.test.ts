// The split edit keeps the rule file byte for byte: golden files with comments, both YAML styles, and the
// write path (validate, atomic rename, file mode, conflict detection) on a real temporary file.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSplitWeights, setSplitWeights, SplitEditError } from '../../src/release/split-edit.js';
import { FileRulesStore, RulesConflictError, contentVersion, parseConfigMapRef } from '../../src/release/rules-store.js';
import { InvalidRulesError, writeSplit } from '../../src/release/write-split.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/release/', import.meta.url));
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

describe('setSplitWeights golden files', () => {
  const cases: Array<[string, Record<string, number>]> = [
    ['flow', { blue: 45, green: 55 }],
    ['block', { blue: 90, green: 10 }],
    ['add-color', { blue: 90, green: 10 }],
  ];
  for (const [name, weights] of cases) {
    test(`${name}.yaml → ${name}.expected.yaml`, () => {
      assert.equal(setSplitWeights(fixture(`${name}.yaml`), weights), fixture(`${name}.expected.yaml`));
    });
  }

  test('every fixture pair is covered', () => {
    const inputs = readdirSync(FIXTURES).filter((f) => f.endsWith('.expected.yaml')).map((f) => f.replace('.expected.yaml', ''));
    assert.deepEqual(inputs.sort(), cases.map((c) => c[0]).sort());
  });

  test('unchanged weights leave the text identical, to the byte', () => {
    const text = fixture('block.yaml');
    assert.equal(setSplitWeights(text, { blue: 100, green: 0 }), text);
  });

  test('only the named colors change; a fractional weight is read and kept', () => {
    const text = fixture('block.yaml');
    assert.deepEqual(readSplitWeights(text), { blue: 100, green: 0, red: 7.5 });
    assert.deepEqual(readSplitWeights(setSplitWeights(text, { green: 0.1 + 0.2 })), { blue: 100, green: 0.3, red: 7.5 });
  });

  test('a color added to a block map gets its own line at the same indentation', () => {
    const out = setSplitWeights('ingress:\n  split:\n    weights:\n      blue: 100  # stable\n# end\n', { green: 0 });
    assert.equal(out, 'ingress:\n  split:\n    weights:\n      blue: 100  # stable\n      green: 0\n# end\n');
  });

  test('a color added to a flow map keeps its shape: one line, several lines, trailing comma, empty', () => {
    const wrap = (w: string): string => `ingress:\n  split:\n    weights: ${w}\n`;
    assert.equal(setSplitWeights(wrap('{blue: 100}'), { green: 0 }), wrap('{blue: 100, green: 0}'));
    assert.equal(setSplitWeights(wrap('{ blue: 100, }'), { green: 0 }), wrap('{ blue: 100, green: 0, }'));
    assert.equal(setSplitWeights(wrap('{\n      blue: 100\n    }'), { green: 0 }), wrap('{\n      blue: 100, green: 0\n    }'));
    assert.equal(setSplitWeights(wrap('{}'), { green: 0 }), wrap('{ green: 0 }'));
  });

  test('CRLF files stay CRLF', () => {
    const text = 'ingress:\r\n  split:\r\n    weights: { blue: 100, green: 0 }\r\n';
    assert.equal(setSplitWeights(text, { blue: 50, green: 50 }), 'ingress:\r\n  split:\r\n    weights: { blue: 50, green: 50 }\r\n');
  });

  test('a file without ingress.split is an error naming it', () => {
    assert.throws(() => setSplitWeights(fixture('no-split.yaml'), { blue: 1 }), (err: Error) => err instanceof SplitEditError && /no ingress\.split/.test(err.message));
    assert.throws(() => setSplitWeights('version: 1\n', { blue: 1 }), SplitEditError);
    assert.throws(() => setSplitWeights('ingress: [\n', { blue: 1 }), /not valid YAML/);
  });
});

describe('writeSplit on a file', () => {
  const withFile = async (text: string, body: (path: string, store: FileRulesStore) => Promise<void>): Promise<void> => {
    const dir = mkdtempSync(join(tmpdir(), 'colormesh-release-'));
    try {
      const path = join(dir, 'rules.yaml');
      writeFileSync(path, text);
      await body(path, new FileRulesStore(path));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  test('writes the edited text atomically, keeps the mode, leaves no temporary file', async () => {
    await withFile(fixture('flow.yaml'), async (path, store) => {
      chmodSync(path, 0o640);
      const result = await writeSplit(store, { blue: 45, green: 55 });
      assert.equal(readFileSync(path, 'utf8'), fixture('flow.expected.yaml'));
      assert.equal(result.version, contentVersion(fixture('flow.expected.yaml')));
      assert.equal(result.changed, true);
      assert.match(result.rulesVersion, /^[0-9a-f]{12}$/);
      assert.deepEqual(result.weights, { blue: 45, green: 55, red: 0 });
      assert.equal(statSync(path).mode & 0o777, 0o640);
      assert.deepEqual(readdirSync(join(path, '..')), ['rules.yaml']);
    });
  });

  test('an edit the validator rejects writes nothing and carries its precise message', async () => {
    await withFile(fixture('flow.yaml'), async (path, store) => {
      // "purple" is not in the allow-list `colors: [blue, green, red]`.
      await assert.rejects(writeSplit(store, { purple: 10 }), (err: Error) => err instanceof InvalidRulesError && /rules\.yaml:\d+:\d+: ingress\.split\.weights/.test(err.message));
      assert.equal(readFileSync(path, 'utf8'), fixture('flow.yaml'));
    });
  });

  test('no ingress.split: InvalidRulesError, nothing written', async () => {
    await withFile(fixture('no-split.yaml'), async (path, store) => {
      await assert.rejects(writeSplit(store, { blue: 10 }), (err: Error) => err instanceof InvalidRulesError && /no ingress\.split/.test(err.message));
      assert.equal(readFileSync(path, 'utf8'), fixture('no-split.yaml'));
    });
  });

  test('a concurrent edit is detected and not overwritten', async () => {
    await withFile(fixture('flow.yaml'), async (path, store) => {
      const { version } = await store.read();
      writeFileSync(path, fixture('flow.yaml') + '# someone else\n');
      await assert.rejects(store.write('version: 1\n', version), RulesConflictError);
      assert.equal(readFileSync(path, 'utf8'), fixture('flow.yaml') + '# someone else\n');
    });
  });
});

test('parseConfigMapRef', () => {
  assert.deepEqual(parseConfigMapRef('shop/colormesh-rules'), { namespace: 'shop', name: 'colormesh-rules' });
  for (const bad of ['shop', '/x', 'shop/', 'Shop/x', 'a/b/c', 'shop/x y']) assert.equal(parseConfigMapRef(bad), undefined, bad);
});
