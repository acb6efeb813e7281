// Sanity bound on load time for a large mesh; the real measurement belongs in the benchmark harness (bench/).
// It bounds CPU time, not wall time: the test machine is shared, and waiting for a core is not our cost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseRules } from '../../src/config/load.js';

const SERVICES = 1000;
const ENDPOINTS_PER_SERVICE = 50;
const COLORS = ['blue', 'green', 'canary-1', undefined] as const;

/** CPU milliseconds (user + system) spent by this process while running `work`. */
function cpuMs(work: () => void): number {
  const before = process.cpuUsage();
  work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

function largeRuleFile(): string {
  const lines = ['version: 3', 'colors: [blue, green, canary-1]', 'services:'];
  for (let s = 0; s < SERVICES; s++) {
    lines.push(`  service-${s}:`, '    port: 8080', '    defaultColor: blue', '    endpoints:');
    for (let e = 0; e < ENDPOINTS_PER_SERVICE; e++) {
      const color = COLORS[e % COLORS.length];
      // 10.x.y.z addresses, unique per endpoint
      const address = `10.${(s >> 8) & 255}.${s & 255}.${e + 1}:9000`;
      lines.push(color === undefined ? `      - { address: "${address}" }` : `      - { address: "${address}", color: ${color} }`);
    }
  }
  return lines.join('\n') + '\n';
}

test(`${SERVICES} services x ${ENDPOINTS_PER_SERVICE} endpoints load and validate in under 1 s`, () => {
  const text = largeRuleFile();
  let rules: ReturnType<typeof parseRules> | undefined;
  const elapsedMs = cpuMs(() => {
    rules = parseRules(text, 'large.yaml');
  });
  assert.ok(rules);
  assert.equal(rules.services.size, SERVICES);
  const last = rules.services.get(`service-${SERVICES - 1}`);
  assert.ok(last?.discovery.kind === 'static');
  assert.equal(last.discovery.endpoints.length, ENDPOINTS_PER_SERVICE);
  assert.ok(elapsedMs < 1000, `took ${elapsedMs.toFixed(0)} ms of CPU for ${(text.length / 1e6).toFixed(1)} MB`);
});

test('the same file with one bad endpoint at the very end is rejected with the right line, in under 1 s', () => {
  const text = largeRuleFile().replace(/color: green \}\n$/, 'color: gr33n! }\n');
  const lastLine = text.split('\n').length - 1;
  let problems: ConfigError['problems'] = [];
  const elapsedMs = cpuMs(() => {
    try {
      parseRules(text, 'large.yaml');
    } catch (err) {
      problems = (err as ConfigError).problems;
    }
  });
  assert.equal(problems.length, 1, problems.map((p) => p.message).join('\n'));
  assert.equal(problems[0]?.line, lastLine);
  assert.equal(problems[0]?.path, `services.service-${SERVICES - 1}.endpoints[${ENDPOINTS_PER_SERVICE - 1}].color`);
  assert.ok(elapsedMs < 1000, `took ${elapsedMs.toFixed(0)} ms of CPU`);
});
