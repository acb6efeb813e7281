// The rule file's error reporting: every problem, each at the exact line:column and key path an operator must edit.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, formatProblem, loadRulesFile, parseRules, type ConfigProblem } from '../../src/config/load.js';

/** A minimal valid file; cases below append to or edit it, so line numbers stay easy to count. */
const BASE = `version: 1
services:
  base-service:
    port: 8080
    endpoints:
      - { address: "127.0.0.1:9101", color: blue }
      - { address: "127.0.0.1:9102" }
`;

function problemsOf(text: string): ConfigProblem[] {
  try {
    parseRules(text, 'rules.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return [...err.problems];
  }
  assert.fail('expected the file to be rejected');
}

interface Case {
  name: string;
  text: string;
  /** expected problems as "line:col path" plus a fragment of the message */
  expect: { at: string; path: string; says: RegExp }[];
}

const cases: Case[] = [
  {
    name: 'a typo in a key is an unknown key, pointing at the key, with a suggestion',
    text: BASE.replace('    port: 8080\n', '    port: 8080\n    forse: true\n'),
    expect: [{ at: '5:5', path: 'services.base-service.forse', says: /unknown key "forse"; did you mean "force"\?/ }],
  },
  {
    name: 'an unknown top-level key',
    text: 'servces: {}\n',
    expect: [{ at: '1:1', path: 'servces', says: /unknown key "servces"; did you mean "services"/ }],
  },
  {
    name: 'an invalid color, pointing at the value',
    text: BASE.replace('color: blue', 'color: "-blue"'),
    expect: [{ at: '6:45', path: 'services.base-service.endpoints[0].color', says: /"-blue" is not a valid color/ }],
  },
  {
    name: 'a color outside the allow-list',
    text: 'colors: [green]\n' + BASE.replace('version: 1\n', ''),
    expect: [{ at: '6:45', path: 'services.base-service.endpoints[0].color', says: /"blue" is not in the colors allow-list \(green\)/ }],
  },
  {
    name: 'a regex that does not compile',
    text: BASE + 'ingress:\n  rules:\n    - match: { cookie: { name: lane, regex: "^(g" } }\n      color: blue\n',
    expect: [{ at: '10:45', path: 'ingress.rules[0].match.cookie.regex', says: /Invalid regular expression/ }],
  },
  {
    name: 'two discovery sources for one service, pointing at the service name',
    text: BASE + '    dns: { untagged: "base:8080" }\n',
    expect: [{ at: '3:3', path: 'services.base-service', says: /exactly one discovery source.*found endpoints, dns/ }],
  },
  {
    name: 'an address without a port',
    text: BASE.replace('127.0.0.1:9102', '127.0.0.1'),
    expect: [{ at: '7:20', path: 'services.base-service.endpoints[1].address', says: /not host:port \(the port is missing\)/ }],
  },
  {
    name: 'a port out of range',
    text: BASE.replace('127.0.0.1:9102', 'base:70000'),
    expect: [{ at: '7:20', path: 'services.base-service.endpoints[1].address', says: /out of range/ }],
  },
  {
    name: 'weights that add up to 0',
    text: BASE + 'ingress:\n  split:\n    weights: { blue: 0, green: 0 }\n',
    expect: [{ at: '10:14', path: 'ingress.split.weights', says: /add up to more than 0/ }],
  },
  {
    name: 'a negative weight',
    text: BASE + 'ingress:\n  split:\n    weights:\n      blue: -1\n      green: 1\n',
    expect: [{ at: '11:13', path: 'ingress.split.weights.blue', says: /greater or equal to 0/ }],
  },
  {
    name: 'a YAML syntax error',
    text: 'services:\n  a: [1, 2\n  b: 3\n',
    expect: [{ at: '3:3', path: '', says: /YAML syntax error/ }],
  },
  {
    name: 'an unquoted boolean where a string is expected suggests quoting',
    text: BASE + 'ingress:\n  rules:\n    - match: { header: { name: x-canary, exact: true } }\n      color: blue\n',
    expect: [{ at: '10:49', path: 'ingress.rules[0].match.header.exact', says: /expected a string, got true \(quote it/ }],
  },
  {
    name: 'a bad enum value lists the choices',
    text: BASE + 'outboundPolicy: block\n',
    expect: [{ at: '8:17', path: 'outboundPolicy', says: /"block" is not one of "allow", "deny"/ }],
  },
  {
    name: 'a service name that is not a DNS label points at the name',
    text: BASE.replace('base-service:', 'Base_Service:'),
    expect: [{ at: '3:3', path: 'services.Base_Service', says: /not a DNS-1123 label/ }],
  },
  {
    name: 'a match with two sources and a matcher with two kinds',
    text: BASE + 'ingress:\n  rules:\n    - match:\n        header: { name: a, exact: "1", prefix: "2" }\n        query: { name: q, exact: "1" }\n      color: blue\n',
    expect: [
      { at: '11:9', path: 'ingress.rules[0].match', says: /exactly one of header, cookie, query \(found header, query\)/ },
      { at: '11:17', path: 'ingress.rules[0].match.header', says: /exactly one of exact, prefix, regex \(found exact, prefix\)/ },
    ],
  },
  {
    name: 'a baggage key that is not a token',
    text: 'baggageKey: "my color"\n' + BASE.replace('version: 1\n', ''),
    expect: [{ at: '1:13', path: 'baggageKey', says: /not a valid W3C baggage key/ }],
  },
  {
    name: 'a duplicated key is a YAML error at the second occurrence',
    text: BASE + '    port: 9090\n',
    expect: [{ at: '8:5', path: '', says: /YAML syntax error: duplicated mapping key/ }],
  },
  {
    name: 'a dns key that is neither untagged nor a color, and an empty endpoint list elsewhere',
    text: BASE + '  other:\n    dns: { untagged: "o:80", "blue lane": "o-blue:80" }\n  empty:\n    endpoints: []\n',
    expect: [
      { at: '9:30', path: 'services.other.dns["blue lane"]', says: /"blue lane" is not a valid color/ },
      { at: '11:16', path: 'services.empty.endpoints', says: /endpoints is empty/ },
    ],
  },
  {
    name: 'kubernetes names must be DNS labels',
    text: BASE.replace(/    endpoints:[\s\S]*$/, '    kubernetes: { namespace: Shop_1, colorLabel: "bad label" }\n'),
    expect: [
      { at: '5:30', path: 'services.base-service.kubernetes.namespace', says: /not a valid Kubernetes namespace name/ },
      { at: '5:50', path: 'services.base-service.kubernetes.colorLabel', says: /not a valid Kubernetes label key/ },
    ],
  },
  {
    name: 'stickyBy with both header and cookie; a color listed twice in the allow-list',
    text: 'colors: [blue, Blue]\ningress:\n  split:\n    weights: { blue: 1 }\n    stickyBy: { header: x-user, cookie: uid }\n',
    expect: [
      { at: '1:16', path: 'colors[1]', says: /listed twice/ },
      { at: '5:15', path: 'ingress.split.stickyBy', says: /exactly one of header, cookie \(found header, cookie\)/ },
    ],
  },
  {
    name: 'an endpoint listed twice',
    text: BASE.replace('127.0.0.1:9102', '127.0.0.1:9101'),
    expect: [{ at: '7:20', path: 'services.base-service.endpoints[1].address', says: /listed twice/ }],
  },
  {
    name: 'a missing required key points at its parent',
    text: BASE.replace('{ address: "127.0.0.1:9102" }', '{ color: blue }'),
    expect: [{ at: '7:9', path: 'services.base-service.endpoints[1].address', says: /missing required key "address"/ }],
  },
  {
    name: 'more than 20 aliases is refused (validation would walk every path through them)',
    text: 'colors: &c [blue]\nx: [' + Array.from({ length: 21 }, () => '*c').join(', ') + ']\n',
    expect: [{ at: '2:86', path: '', says: /too many YAML aliases \(aliases exceeded maxAliases \(20\)\)/ }],
  },
  {
    name: 'an empty file',
    text: '# nothing yet\n',
    expect: [{ at: '1:1', path: '', says: /empty/ }],
  },
  {
    name: 'two YAML documents',
    text: BASE + '---\nversion: 2\n',
    expect: [{ at: '9:1', path: '', says: /2 YAML documents/ }],
  },
];

describe('rule file problems', () => {
  for (const c of cases) {
    test(c.name, () => {
      const problems = problemsOf(c.text);
      assert.equal(problems.length, c.expect.length, problems.map(formatProblem).join('\n'));
      c.expect.forEach((want, i) => {
        const got = problems[i] as ConfigProblem;
        assert.equal(`${got.line}:${got.column}`, want.at, formatProblem(got));
        assert.equal(got.path, want.path);
        assert.match(got.message, want.says);
        assert.equal(got.file, 'rules.yaml');
      });
    });
  }

  test('reports every problem at once, in file order, and the message lists them all', () => {
    const text = BASE.replace('    port: 8080\n', '    port: 8080\n    forse: true\n').replace('color: blue', 'color: "Not A Color"') + 'outboundPolicy: nope\n';
    let error: ConfigError | undefined;
    try {
      parseRules(text, 'rules.yaml');
    } catch (err) {
      error = err as ConfigError;
    }
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(
      error.problems.map((p) => `${p.line}:${p.path}`),
      ['5:services.base-service.forse', '7:services.base-service.endpoints[0].color', '9:outboundPolicy'],
    );
    assert.equal(error.message.split('\n').length, 3);
    assert.match(error.message, /^rules\.yaml:5:5: services\.base-service\.forse: unknown key/);
  });

  test('formatProblem omits the path when there is none and the position when it is unknown', () => {
    assert.equal(formatProblem({ file: 'f', line: 2, column: 3, path: 'a.b', message: 'm' }), 'f:2:3: a.b: m');
    assert.equal(formatProblem({ file: 'f', line: 2, column: 3, path: '', message: 'm' }), 'f:2:3: m');
    assert.equal(formatProblem({ file: 'f', line: 0, column: 0, path: '', message: 'm' }), 'f: m');
  });

  test('a missing file is a ConfigError with a clear message', () => {
    assert.throws(() => loadRulesFile('/nonexistent/colormesh/rules.yaml'), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.message, '/nonexistent/colormesh/rules.yaml: cannot read the rule file: no such file');
      return true;
    });
  });
});
