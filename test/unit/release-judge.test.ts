// The rollout's judgement as pure functions, by table: counter deltas (with restarts), histogram p99,
// the lane's figures summed over sidecars and hops, and the verdict of a sample.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { counterDelta, histogramQuantile, laneReport, type Reading } from '../../src/release/lane-figures.js';
import { judgeSample, type Thresholds } from '../../src/release/judge.js';
import { parsePromText, PromTextError } from '../../src/release/prom-text.js';
import type { LaneReport } from '../../src/release/lane-figures.js';

describe('counterDelta', () => {
  const cases: Array<[number | undefined, number, number, string]> = [
    [10, 15, 5, 'normal increase'],
    [10, 10, 0, 'no change'],
    [undefined, 7, 7, 'a series born during the step counts whole'],
    [100, 3, 3, 'a lower value means the sidecar restarted: all of it is new'],
    [0, 0, 0, 'zero'],
  ];
  for (const [before, now, want, why] of cases) test(why, () => assert.equal(counterDelta(before, now), want));
});

describe('histogramQuantile (p99)', () => {
  const h = (entries: Array<[number, number]>): Map<number, number> => new Map(entries);
  const cases: Array<[string, Map<number, number>, number | undefined]> = [
    ['no observations', h([[0.1, 0], [Infinity, 0]]), undefined],
    ['empty histogram', h([]), undefined],
    ['all in the first bucket: interpolated from 0', h([[0.1, 100], [1, 100], [Infinity, 100]]), 0.099],
    ['rank inside the second bucket', h([[0.1, 50], [1, 100], [Infinity, 100]]), 0.1 + 0.9 * (49 / 50)],
    ['rank in +Inf: the largest finite bound', h([[0.1, 10], [1, 50], [Infinity, 100]]), 1],
    ['exactly on a bucket edge', h([[0.005, 99], [0.01, 100], [Infinity, 100]]), 0.005],
  ];
  for (const [why, buckets, want] of cases) {
    test(why, () => {
      const got = histogramQuantile(0.99, buckets);
      if (want === undefined) assert.equal(got, undefined);
      else assert.ok(got !== undefined && Math.abs(got - want) < 1e-9, `got ${got}, want ${want}`);
    });
  }
});

/** A sidecar's /metrics text with inbound requests of one color, as src/telemetry/metrics.ts writes it. */
function sidecarText(service: string, color: string, ok: number, errors: number, buckets: Array<[string, number]>): string {
  const lines = [
    '# HELP colormesh_requests_total Proxied requests',
    '# TYPE colormesh_requests_total counter',
    `colormesh_requests_total{direction="inbound",service="${service}",color="${color}",via="none",status_class="2xx"} ${ok}`,
    `colormesh_requests_total{direction="inbound",service="${service}",color="${color}",via="none",status_class="5xx"} ${errors}`,
    // outbound series of the same color must not count: the lane is judged on inbound hops only
    `colormesh_requests_total{direction="outbound",service="${service}",color="${color}",via="exact",status_class="5xx"} 999`,
    `colormesh_requests_total{direction="inbound",service="${service}",color="-",via="none",status_class="5xx"} 555`,
  ];
  for (const [le, count] of buckets) lines.push(`colormesh_request_duration_seconds_bucket{direction="inbound",service="${service}",color="${color}",le="${le}"} ${count}`);
  return lines.join('\n') + '\n';
}

const reading = (entries: Array<[string, string]>): Reading => new Map(entries.map(([url, text]) => [url, parsePromText(text)]));

describe('laneReport', () => {
  test('deltas since the step began, summed over sidecars and hops, per service', () => {
    const before = reading([
      ['a', sidecarText('frontend', 'green', 100, 1, [['0.01', 90], ['0.1', 101], ['+Inf', 101]])],
      ['b', sidecarText('order-service', 'green', 50, 0, [['0.01', 50], ['0.1', 50], ['+Inf', 50]])],
    ]);
    const now = reading([
      ['a', sidecarText('frontend', 'green', 140, 3, [['0.01', 120], ['0.1', 143], ['+Inf', 143]])],
      ['b', sidecarText('order-service', 'green', 88, 2, [['0.01', 80], ['0.1', 90], ['+Inf', 90]])],
    ]);
    const report = laneReport(before, now, 'green');
    assert.equal(report.requests, 40 + 2 + 38 + 2);
    assert.equal(report.errors5xx, 4);
    assert.ok(Math.abs(report.errorRatePct - (4 / 82) * 100) < 1e-9);
    assert.ok(report.p99Ms !== undefined && report.p99Ms > 10 && report.p99Ms <= 100);
    assert.deepEqual([...report.byService.keys()], ['frontend', 'order-service']);
    assert.equal(report.byService.get('order-service')?.errors5xx, 2);
  });

  test('another color and no traffic give zeros and no p99', () => {
    const same = reading([['a', sidecarText('frontend', 'green', 100, 1, [['+Inf', 101]])]]);
    const report = laneReport(same, same, 'green');
    assert.deepEqual({ requests: report.requests, errors: report.errors5xx, p99: report.p99Ms }, { requests: 0, errors: 0, p99: undefined });
    assert.equal(laneReport(same, same, 'blue').requests, 0);
  });

  test('a sidecar that restarted mid-step counts its new counters whole', () => {
    const before = reading([['a', sidecarText('frontend', 'green', 1000, 0, [['+Inf', 1000]])]]);
    const now = reading([['a', sidecarText('frontend', 'green', 30, 0, [['+Inf', 30]])]]);
    assert.equal(laneReport(before, now, 'green').requests, 30);
  });
});

describe('errorOrigins: where a lane\'s 5xx began', () => {
  /** One sidecar: its pod's service, its inbound green 5xx, and its outbound green 5xx by callee. */
  const pod = (service: string | undefined, inbound5xx: number, outbound: Record<string, number> = {}): string =>
    [
      service === undefined ? '' : `colormesh_pod_info{pod_service="${service}",pod_color="-"} 1`,
      `colormesh_requests_total{direction="inbound",service="${service ?? 'x'}",color="green",via="none",status_class="2xx"} 100`,
      `colormesh_requests_total{direction="inbound",service="${service ?? 'x'}",color="green",via="none",status_class="5xx"} ${inbound5xx}`,
      ...Object.entries(outbound).map(([callee, n]) => `colormesh_requests_total{direction="outbound",service="${callee}",color="green",via="exact",status_class="5xx"} ${n}`),
    ].join('\n') + '\n';
  const quiet = reading([['f', pod('frontend', 0)], ['o', pod('order-service', 0)], ['b', pod('base-service', 0)]]);
  const cases: Array<[string, Reading, string[]]> = [
    ['the deepest service that answered 5xx itself', reading([['f', pod('frontend', 5, { 'order-service': 5 })], ['o', pod('order-service', 5)], ['b', pod('base-service', 0)]]), ['order-service']],
    ['a callee that never answered (the sidecar\'s 502)', reading([['f', pod('frontend', 5, { 'order-service': 5 })], ['o', pod('order-service', 5, { 'base-service': 5 })], ['b', pod('base-service', 0)]]), ['base-service']],
    ['no errors', quiet, []],
  ];
  for (const [why, now, want] of cases) test(why, () => assert.deepEqual(laneReport(quiet, now, 'green').errorOrigins, want));

  test('without colormesh_pod_info (Prometheus) nothing is claimed', () => {
    const before = reading([['f', pod(undefined, 0)]]);
    assert.deepEqual(laneReport(before, reading([['f', pod(undefined, 5, { web: 5 })]]), 'green').errorOrigins, []);
  });
});

describe('judgeSample', () => {
  const thresholds: Thresholds = { maxErrorRatePct: 1, maxP99Ms: 200, minRequests: 20 };
  const lane = (requests: number, errors5xx: number, p99Ms: number | undefined, byService: Array<[string, number]> = []): LaneReport => ({
    requests,
    errors5xx,
    errorRatePct: requests > 0 ? (errors5xx / requests) * 100 : 0,
    p99Ms,
    byService: new Map(byService.map(([s, e]) => [s, { requests, errors5xx: e, errorRatePct: 0, p99Ms }])),
    errorOrigins: byService.length > 1 ? [byService.at(-1)![0]] : [],
  });
  const interval = 10_000;
  const cases: Array<[string, LaneReport, number, string]> = [
    ['too few requests early: waiting', lane(5, 5, 900), 2_000, 'waiting'],
    ['too few requests at the end of the interval: still waiting', lane(19, 0, 10), 10_000, 'waiting'],
    ['too few requests after 3 intervals: no traffic to judge', lane(19, 0, 10), 30_000, 'failed: no traffic to judge'],
    ['healthy before the interval ends: healthy', lane(100, 1, 50), 5_000, 'healthy'],
    ['healthy at the end of the interval: passed', lane(100, 1, 50), 10_000, 'passed'],
    ['exactly the limit error rate passes', lane(200, 2, 50), 10_000, 'passed'],
    ['error rate over the limit fails at once', lane(100, 2, 50, [['base-service', 2]]), 1_000, 'failed: 5xx 2.0% > 1.0% (2 of 100); 5xx at base-service 2'],
    ['the failure names where the errors began', lane(100, 4, 50, [['frontend', 2], ['base-service', 2]]), 1_000, 'failed: 5xx 4.0% > 1.0% (4 of 100); 5xx at frontend 2, base-service 2; failing: base-service'],
    ['p99 at the limit fails', lane(100, 0, 200), 1_000, 'failed: p99 200ms >= 200ms'],
    ['once min-requests is reached, a failure is judged even late', lane(20, 20, 10), 29_000, 'failed: 5xx 100.0%'],
  ];
  for (const [why, report, elapsed, want] of cases) {
    test(why, () => {
      const verdict = judgeSample(report, thresholds, elapsed, interval);
      const got = verdict.kind === 'failed' ? `failed: ${verdict.reason}` : verdict.kind;
      assert.ok(got.startsWith(want), `got "${got}", want "${want}…"`);
    });
  }

  test('without --max-p99-ms any latency passes', () => {
    assert.equal(judgeSample(lane(100, 0, 60_000), { ...thresholds, maxP99Ms: undefined }, interval, interval).kind, 'passed');
  });
});

describe('parsePromText', () => {
  test('labels with escapes, +Inf, timestamps, comments', () => {
    const samples = parsePromText('# HELP x y\nx_total{a="q\\"uote",b="back\\\\slash",c="new\\nline"} 3 1700000000000\ny{le="+Inf"} +Inf\nz 1e3\n\n');
    assert.deepEqual(samples, [
      { name: 'x_total', labels: { a: 'q"uote', b: 'back\\slash', c: 'new\nline' }, value: 3 },
      { name: 'y', labels: { le: '+Inf' }, value: Infinity },
      { name: 'z', labels: {}, value: 1000 },
    ]);
  });

  test('HTML is not the exposition format', () => {
    assert.throws(() => parsePromText('<html><body>hello</body></html>\n'), PromTextError);
    assert.throws(() => parsePromText('x{a="unterminated} 1\n'), PromTextError);
  });

  test('an odd line of another metric is skipped; one of a required metric is an error', () => {
    // prom-client writes `Nan` for an event-loop gauge before its first measurement (seen in a full test run).
    assert.deepEqual(parsePromText('a_gauge Nan\nb_total 2\n').map((s) => s.name), ['a_gauge', 'b_total']);
    assert.ok(Number.isNaN(parsePromText('a_gauge Nan\n')[0]?.value));
    assert.deepEqual(parsePromText('odd{ 1\nb_total 2\n').map((s) => s.name), ['b_total']);
    assert.throws(() => parsePromText('colormesh_requests_total{ 1\nb_total 2\n', ['colormesh_requests_total']), /line 1 is not a Prometheus sample/);
  });
});
