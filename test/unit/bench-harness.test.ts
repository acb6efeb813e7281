// The benchmark harness's pure parts: percentiles, wrk summary parsing, target checks, the table and
// the soak's growth measure. The harness is plain JS in bench/, loaded from the repo root at run time.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';

/** bench/ sits beside dist/, so from dist/test/unit it is three levels up. */
const benchLib = (file: string): string => new URL(`../../../bench/lib/${file}`, import.meta.url).href;

interface Summary { count: number; mean: number; p50: number; p90: number; p99: number; p999: number; max: number }
interface Stats {
  percentile(sorted: ArrayLike<number>, p: number): number;
  summarize(samples: ArrayLike<number>): Summary;
  cpuPer1000(cpuSeconds: number, requests: number): number;
  evaluateTargets(rows: Record<string, unknown>, rounds?: unknown): Array<{ name: string; value: number; pass: boolean }>;
  summarizeRounds(reference: Summary[], measured: Summary[]): { rounds: number; reference: { p50: number; p99: number }; measured: { p50: number; p99: number }; addedUs: { p50: number; p99: number } };
  median(values: number[]): number;
}
interface Wrk {
  parseWrkOutput(text: string): { requests: number; seconds: number; rps: number; non2xx: number; socketErrors: number };
  wrkArgs(o: { url: string; headers?: [string, string][]; connections: number; durationS: number; script?: string; scriptArgs?: (string | number)[] }): string[];
  TRACEPARENT_SCRIPT: string;
}

const stats = (await import(benchLib('stats.mjs'))) as Stats;
const wrk = (await import(benchLib('wrk.mjs'))) as Wrk;
const table = (await import(benchLib('table.mjs'))) as { renderTable(rows: unknown[]): string };
const soak = (await import(benchLib('soak.mjs'))) as { rssGrowth(samples: number[]): number };
interface ProfileRow { name: string; ms: number; pctOfBusy: number }
const cpuprofile = (await import(benchLib('cpuprofile.mjs'))) as {
  summarizeProfile(p: unknown): { idlePct: number; selfByFunction: ProfileRow[]; selfByCategory: ProfileRow[]; inclusiveColormesh: ProfileRow[]; folded: string };
};
const measure = (await import(benchLib('measure.mjs'))) as { medianSegment<T extends { latencyUs: { p99: number } }>(segments: T[]): T };

/** Deterministic shuffle (LCG) so percentile input is not accidentally sorted. */
function shuffled(values: number[], seed: number): number[] {
  const out = values.slice();
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as number, out[i] as number];
  }
  return out;
}

describe('bench percentiles', () => {
  test('nearest rank over 1..1000 gives the rank itself, in any input order', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i + 1);
    const s = stats.summarize(shuffled(values, 7));
    assert.deepEqual([s.p50, s.p90, s.p99, s.p999, s.max, s.count], [500, 900, 990, 999, 1000, 1000]);
    assert.equal(s.mean, 500.5);
  });

  test('a single slow sample in 100 is the p99, not hidden by averaging', () => {
    const values = [...Array.from({ length: 99 }, () => 100), 50_000];
    assert.equal(stats.summarize(values).p99, 100);
    assert.equal(stats.summarize([...values, 50_000]).p99, 50_000);
  });

  test('empty input and out-of-range percentiles', () => {
    assert.ok(Number.isNaN(stats.percentile([], 50)));
    assert.throws(() => stats.percentile([1, 2], 0), RangeError);
    assert.throws(() => stats.percentile([1, 2], 101), RangeError);
  });

  test('CPU per 1000 requests', () => {
    assert.equal(stats.cpuPer1000(2, 20_000), 0.1);
    assert.ok(Number.isNaN(stats.cpuPer1000(1, 0)));
  });
});

describe('wrk summary parsing', () => {
  const line = (requests: number, status: number, read = 0): string =>
    `Running 10s test\nWRK_JSON {"durationUs":10000000,"requests":${requests},"bytes":1,"errors":{"connect":0,"read":${read},"write":0,"status":${status},"timeout":0},"latencyUs":{"mean":1.0,"p50":1,"p90":2,"p99":3,"max":4}}\nRequests/sec: 1\n`;

  test('req/s counts only successful responses', () => {
    const r = wrk.parseWrkOutput(line(500_000, 100_000));
    assert.equal(r.rps, 40_000);
    assert.equal(r.non2xx, 100_000);
    assert.equal(r.seconds, 10);
  });

  test('socket errors are reported', () => {
    assert.equal(wrk.parseWrkOutput(line(10, 0, 3)).socketErrors, 3);
  });

  test('output without the summary line is an error, not zero', () => {
    assert.throws(() => wrk.parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused\n'), /no summary/);
  });

  test('headers become -H arguments and the URL comes last', () => {
    const args = wrk.wrkArgs({ url: 'http://127.0.0.1:1/', headers: [['Host', 'svc:8080'], ['baggage', 'color=blue']], connections: 8, durationS: 3 });
    assert.equal(args.at(-1), 'http://127.0.0.1:1/');
    assert.ok(args.join(' ').includes('-H Host: svc:8080 -H baggage: color=blue'));
    assert.deepEqual(args.slice(0, 6), ['-t', '1', '-c', '8', '-d', '3s']);
  });

  test('a script with arguments: -s names it and its arguments follow the URL after --', () => {
    const args = wrk.wrkArgs({ url: 'http://127.0.0.1:1/', connections: 8, durationS: 3, script: wrk.TRACEPARENT_SCRIPT, scriptArgs: ['unique', 42] });
    assert.equal(args[args.indexOf('-s') + 1], wrk.TRACEPARENT_SCRIPT);
    assert.deepEqual(args.slice(-4), ['http://127.0.0.1:1/', '--', 'unique', '42']);
  });
});

describe('bench targets and table', () => {
  const lat = (p99: number): Summary => ({ count: 1, mean: p99, p50: p99, p90: p99, p99, p999: p99, max: p99 });
  const row = (id: string, rps: number, p99: number, extra: Record<string, unknown> = {}) => ({
    id, label: id, rps, latency: lat(p99), cpuPer1000: 0.05, cpuPer1000AtRate: 0.2, rssAtRateMb: 40, rssPeakMb: 50, rssPerProcessMb: 40,
    processes: [{ name: id, rssAtRateMb: 40, rssPeakMb: 50 }], ...extra,
  });

  test('targets are computed from the rows, each one able to fail', () => {
    const rows = {
      direct: row('direct', 100_000, 200), nginx: row('nginx', 60_000, 300), 'http-proxy': row('http-proxy', 15_000, 300), undici: row('undici', 30_000, 300),
      'colormesh-1hop': row('colormesh-1hop', 20_000, 400, { cpuPer1000Stat: 0.04 }), 'colormesh-2hop': row('colormesh-2hop', 9_000, 900, { rssPerProcessMb: 75 }),
      'colormesh-inbound': row('colormesh-inbound', 10_000, 300), 'colormesh-inbound-tp': row('colormesh-inbound-tp', 8_500, 300, { traceFillRequests: 150_000 }),
    };
    const checks = stats.evaluateTargets(rows);
    const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
    assert.equal(byName['1-hop throughput / nginx']?.pass, true); // 0.333 >= 0.25
    assert.equal(byName['1-hop throughput / http-proxy']?.pass, false); // 1.33 < 1.5
    assert.equal(byName['1-hop throughput / undici baseline']?.pass, false); // 0.667 < 0.75
    assert.equal(byName['1-hop CPU s per 1000 req at saturation']?.value, 0.05); // the worse of the two readings
    assert.equal(byName['1-hop CPU s per 1000 req at saturation']?.pass, false);
    assert.equal(byName['2 sidecars: p99 added over direct at the rate (ms)']?.value, 0.7);
    assert.equal(byName['2 sidecars: p99 added over direct at the rate (ms)']?.pass, false);
    assert.equal(byName['colormesh-1hop RSS per sidecar at the rate (MB)']?.pass, true);
    assert.equal(byName['colormesh-2hop RSS per sidecar at the rate (MB)']?.pass, false);
    assert.equal(byName['inbound throughput, unique traceparent / none']?.value, 0.85);
    assert.equal(byName['inbound throughput, unique traceparent / none']?.pass, false);
  });

  test('with interleaved rounds, the latency targets use the median of per-round differences', () => {
    const lat2 = (p50: number, p99: number): Summary => ({ ...lat(p99), p50 });
    const direct = [lat2(20, 300), lat2(20, 1300), lat2(30, 400)];
    const twoHop = [lat2(200, 700), lat2(260, 1500), lat2(250, 2000)];
    const rounds = stats.summarizeRounds(direct, twoHop);
    assert.deepEqual(rounds.addedUs, { p50: 220, p99: 400 }); // differences 180/240/220 and 400/200/1600
    assert.deepEqual(rounds.reference, { p50: 20, p99: 400 });
    const checks = stats.evaluateTargets({ direct: row('direct', 1, 200), 'colormesh-2hop': row('colormesh-2hop', 1, 5000) }, rounds);
    const p99 = checks.find((c) => c.name === '2 sidecars: p99 added over direct at the rate (ms)');
    assert.equal(p99?.value, 0.4);
    assert.equal(p99?.pass, true);
  });

  test('median of an even count is the mean of the middle two; non-numbers are ignored', () => {
    assert.equal(stats.median([4, 1, 3, 2]), 2.5);
    assert.equal(stats.median([5, NaN, 1, 3]), 3);
    assert.ok(Number.isNaN(stats.median([])));
  });

  test('the table shows the ratio to nginx and the p99 added over direct; a failed path shows its error', () => {
    const text = table.renderTable([row('direct', 100_000, 200), row('nginx', 50_000, 300), row('colormesh-1hop', 25_000, 700), { id: 'haproxy', label: 'HAProxy', error: 'exited' }]);
    const cm = text.split('\n').find((l) => l.startsWith('| colormesh-1hop')) ?? '';
    assert.match(cm, /\| +0\.50 \|/);
    assert.match(cm, /\+0\.500/);
    assert.match(text, /HAProxy \| FAILED: exited/);
  });
});

describe('soak RSS growth', () => {
  test('growth is measured after the first fifth, so start-up does not count as a leak', () => {
    assert.equal(soak.rssGrowth([30, 50, 60, 60, 60, 60, 60, 60, 60, 61]), 1);
    assert.equal(soak.rssGrowth([30, 50, 60, 70, 80, 90, 100, 110, 120, 130]), 70);
    assert.ok(Number.isNaN(soak.rssGrowth([50])));
  });
});

describe('constant-rate segments', () => {
  test('the reported segment is the one with the median p99, so one stall does not decide the run', () => {
    const seg = (p99: number) => ({ latencyUs: { p99 } });
    assert.equal(measure.medianSegment([seg(400), seg(25_000), seg(450)]).latencyUs.p99, 450);
    assert.equal(measure.medianSegment([seg(900), seg(300), seg(600)]).latencyUs.p99, 600);
    assert.equal(measure.medianSegment([seg(700)]).latencyUs.p99, 700);
  });
});

describe('cpu profile summary', () => {
  const repo = new URL('../../../', import.meta.url).href;
  const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0, columnNumber: 0, scriptId: '0' });
  // root → handle (colormesh) → write (node:net); root → (idle); 1 ms per sample
  const profile = {
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 4] },
      { id: 2, callFrame: frame('handle', `${repo}dist/src/outbound/listener.js`), children: [3] },
      { id: 3, callFrame: frame('write', 'node:net') },
      { id: 4, callFrame: frame('(idle)') },
    ],
    samples: [2, 3, 3, 3, 4, 4, 4, 4, 4, 4],
    startTime: 0,
    endTime: 10_000,
  };

  test('self and inclusive time, idle left out of the busy share', () => {
    const summary = cpuprofile.summarizeProfile(profile);
    assert.equal(summary.idlePct, 60);
    assert.deepEqual(summary.selfByFunction.map((r) => [r.name, r.pctOfBusy]), [['write node:net:1', 75], ['handle src/outbound/listener.js:1', 25]]);
    assert.deepEqual(summary.selfByCategory.map((r) => r.name), ['node:net', 'colormesh:src/outbound/listener.js']);
    assert.equal(summary.inclusiveColormesh[0]?.pctOfBusy, 100);
    assert.equal(summary.inclusiveColormesh[0]?.ms, 4);
    assert.ok(summary.folded.includes('handle src/outbound/listener.js:1;write node:net:1 3'));
  });
});
