// The dashboard PromQL in docs/observability.md, evaluated by `promtool test rules` on series with
// known rates: the queries an operator pastes must compute the shares they claim to.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const promtoolMissing = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).error !== undefined;

/** The first ```promql block after the paragraph starting with `**title**`. */
function docsQuery(markdown: string, title: string): string {
  const at = markdown.indexOf(`**${title}`);
  assert.ok(at >= 0, `docs have a "${title}" panel`);
  const block = /```promql\n([\s\S]*?)```/.exec(markdown.slice(at));
  assert.ok(block, `"${title}" has a query`);
  return (block[1] as string).trim();
}

// Counters growing by `perSecond` every second, sampled each minute for 10 minutes.
const counter = (labels: string, perSecond: number): string => `      - series: '${labels}'\n        values: '0+${perSecond * 60}x10'`;
const gauge = (labels: string): string => `      - series: '${labels}'\n        values: '1x10'`;
const inbound = (extra: string): string => `colormesh_requests_total{direction="inbound",service="base",via="local",${extra}}`;
const outbound = (extra: string): string => `colormesh_requests_total{direction="outbound",namespace="ns",pod="fe-1",service="base",${extra}}`;
const bucket = (le: string): string => `colormesh_request_duration_seconds_bucket{direction="outbound",service="base",color="blue",le="${le}"}`;

const SERIES = [
  // what base receives: blue 4/s (1/s of it failing, on the blue pod "a"), green 1/s (green pod "b")
  counter(inbound('color="blue",status_class="2xx",instance="a"'), 3),
  counter(inbound('color="blue",status_class="5xx",instance="a"'), 1),
  counter(inbound('color="green",status_class="2xx",instance="b"'), 1),
  gauge('colormesh_pod_info{instance="a",pod_service="base",pod_color="blue"}'),
  gauge('colormesh_pod_info{instance="b",pod_service="base",pod_color="green"}'),
  // what pod fe-1 sends to base: green 1/s exact and 3/s fallen back; blue 4/s exact, 1/s of it 5xx
  counter(outbound('color="green",via="exact",status_class="2xx"'), 1),
  counter(outbound('color="green",via="untagged",status_class="2xx"'), 3),
  counter(outbound('color="blue",via="exact",status_class="2xx"'), 3),
  counter(outbound('color="blue",via="exact",status_class="5xx"'), 1),
  // every blue request took between 25 and 50 ms
  counter(bucket('0.025'), 0),
  counter(bucket('0.05'), 1),
  counter(bucket('+Inf'), 1),
].join('\n');

interface Expectation { title: string; samples: Array<[string, number]> }

const EXPECTED: Expectation[] = [
  { title: 'Share of each color per service', samples: [['{service="base",color="blue"}', 0.8], ['{service="base",color="green"}', 0.2]] },
  { title: 'Share of a color that fell back', samples: [['{namespace="ns",pod="fe-1",service="base",color="green",via="untagged"}', 0.75]] },
  { title: 'Error rate per color', samples: [['{service="base",color="blue"}', 0.25], ['{service="base",color="green"}', 0]] },
  { title: 'p99 latency per color', samples: [['{service="base",color="blue"}', 0.04975]] },
];

describe('dashboard PromQL from the docs', () => {
  test('computes the shares, error rates and p99 it claims', { skip: promtoolMissing ? 'promtool not installed (Debian: apt-get install -y --no-install-recommends prometheus)' : false }, () => {
    const markdown = readFileSync(new URL('../../../docs/observability.md', import.meta.url), 'utf8');
    // The error rate by the serving pod's color is the block right after the per-color error rate.
    const afterErrorRate = markdown.slice(markdown.indexOf('By the color of the pod that *served*'));
    const byPodColor = (/```promql\n([\s\S]*?)```/.exec(afterErrorRate)?.[1] ?? '').trim();
    assert.notEqual(byPodColor, '');
    const checks = [
      ...EXPECTED.map((e) => ({ expr: docsQuery(markdown, e.title), samples: e.samples })),
      { expr: byPodColor, samples: [['{pod_service="base",pod_color="blue"}', 0.25], ['{pod_service="base",pod_color="green"}', 0]] as Array<[string, number]> },
    ];
    const tests = checks.map(({ expr, samples }) => [
      `      - expr: ${JSON.stringify(expr)}`,
      '        eval_time: 10m',
      '        exp_samples:',
      ...samples.map(([labels, value]) => `          - labels: '${labels}'\n            value: ${value}`),
    ].join('\n')).join('\n');
    const dir = mkdtempSync(join(tmpdir(), 'colormesh-promql-'));
    try {
      const file = join(dir, 'docs-test.yaml');
      writeFileSync(file, `rule_files: []\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n${SERIES}\n    promql_expr_test:\n${tests}\n`);
      const result = spawnSync('promtool', ['test', 'rules', file], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
