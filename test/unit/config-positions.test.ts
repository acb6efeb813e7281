// Key paths to line:column in YAML text, across block, flow, quoted, anchored and missing nodes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEvents } from 'js-yaml';
import { formatPath, pointerToPath, SourcePositions, type PathSegment, type PathTarget } from '../../src/config/positions.js';

const TEXT = `top: 1
list:
  - plain
  - "quoted"
  - { a: 'single', b: [x, y] }
anchored: &base
  k: v
empty:
block: |
  line
`;

describe('SourcePositions', () => {
  const positions = new SourcePositions(TEXT, parseEvents(TEXT, {}));
  const cases: [PathSegment[], PathTarget, string][] = [
    [['top'], 'value', '1:6'],
    [['top'], 'key', '1:1'],
    [['list', 0], 'value', '3:5'],
    [['list', 1], 'value', '4:5'], // at the opening quote
    [['list', 2, 'a'], 'value', '5:10'],
    [['list', 2, 'b'], 'key', '5:20'],
    [['list', 2, 'b', 1], 'value', '5:27'],
    [['anchored'], 'value', '6:11'], // at the & of the anchor
    [['anchored', 'k'], 'value', '7:6'],
    [['empty'], 'value', '8:1'], // no value: the key
    [['block'], 'value', '9:8'], // at the | indicator
    [['list', 2, 'missing'], 'value', '5:5'], // a key to add: its parent mapping
    [['nowhere', 'deep'], 'value', '1:1'], // nothing matches: the document's root
    [[], 'value', '1:1'],
  ];
  for (const [path, target, want] of cases) {
    test(`${formatPath(path)} (${target}) is at ${want}`, () => {
      const got = positions.locate(path, target);
      assert.equal(`${got.line}:${got.column}`, want);
    });
  }

  test('lineColumnAt counts from 1 and handles the last line without a newline', () => {
    const p = new SourcePositions('ab\ncd', parseEvents('ab\ncd', {}));
    assert.deepEqual(p.lineColumnAt(0), { line: 1, column: 1 });
    assert.deepEqual(p.lineColumnAt(2), { line: 1, column: 3 });
    assert.deepEqual(p.lineColumnAt(3), { line: 2, column: 1 });
    assert.deepEqual(p.lineColumnAt(4), { line: 2, column: 2 });
  });
});

describe('paths', () => {
  test('formatPath prints dotted keys, [index] and quotes odd keys', () => {
    assert.equal(formatPath(['services', 'base-service', 'endpoints', 1, 'color']), 'services.base-service.endpoints[1].color');
    assert.equal(formatPath(['services', 'a.b', 'port']), 'services["a.b"].port');
    assert.equal(formatPath([]), '(root)');
  });

  test('pointerToPath unescapes JSON pointer segments', () => {
    assert.deepEqual(pointerToPath('/services/a~1b/endpoints/0'), ['services', 'a/b', 'endpoints', '0']);
    assert.deepEqual(pointerToPath('/x~0y'), ['x~y']);
    assert.deepEqual(pointerToPath(''), []);
  });
});
