// Measures one path: a sanity request, throughput at saturation (wrk), latency at a constant rate
// (open-loop generator), CPU seconds per 1000 requests from /proc, and peak RSS. Returns one row.
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { runWrk } from './wrk.mjs';
import { runPinned, treeCpuSeconds, processTree, statusMb, stop, setRealtime, LOAD_CPU } from './procs.mjs';
import { cpuPer1000 } from './stats.mjs';

const GENERATOR = fileURLToPath(new URL('./constant-rate.mjs', import.meta.url));

/**
 * The constant-rate phase runs as a few separate segments and the table reports the one with the
 * median p99: a single multi-millisecond stall of a shared (virtual) machine lands in one segment's
 * tail instead of deciding the run. Every segment is kept in the JSON.
 */
export const RATE_SEGMENTS = 3;

export function medianSegment(segments) {
  const byP99 = segments.slice().sort((a, b) => a.latencyUs.p99 - b.latencyUs.p99);
  return byP99[Math.floor((byP99.length - 1) / 2)];
}

const sum = (items, field) => items.reduce((total, item) => total + (item[field] ?? 0), 0);

/** One request through the path; fails the path early (with the reason) when it does not proxy correctly. */
export function probe(port, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/', headers: Object.fromEntries(headers), agent: false }, (res) => {
      let length = 0;
      res.on('data', (d) => (length += d.length));
      res.on('end', () => resolve({ status: res.statusCode, length, route: res.headers['x-colormesh-route'] }));
    });
    req.setTimeout(5000, () => req.destroy(new Error('probe timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Peak RSS so far (VmHWM) of each measured process tree, in MB. */
function peakRss(procs) {
  return procs.map((p) => processTree(p.pid).reduce((sum, pid) => {
    try { return sum + statusMb(pid, 'VmHWM'); } catch { return sum; }
  }, 0));
}

/** Runs the constant-rate generator pinned to the load CPU and returns its parsed JSON result. */
export async function runConstantRate({ port, headers, rate, durationS, warmupS, connections, realtime }) {
  const host = headers.find(([k]) => k.toLowerCase() === 'host')?.[1] ?? `127.0.0.1:${port}`;
  const rest = headers.filter(([k]) => k.toLowerCase() !== 'host');
  const spec = JSON.stringify({ port, host, headers: rest, rate, durationS, warmupS, connections });
  const out = await runPinned(LOAD_CPU, process.execPath, [GENERATOR, spec], { timeoutMs: (warmupS + durationS + 20) * 1000, realtime });
  return JSON.parse(out.trim().split('\n').pop());
}

/**
 * Measures a started path. `opts`: { wrkConnections, warmupS, durationS, rate, rateDurationS }.
 * Processes started for the path are stopped before returning, whatever happens.
 */
export async function measurePath(path, ctx, opts, log) {
  const started = await path.start(ctx);
  const { port, headers, measured } = started;
  try {
    const check = await probe(port, headers);
    if (check.status !== 200 || check.length !== 1024) {
      throw new Error(`sanity request answered ${check.status} with ${check.length} bytes (expected 200 with 1024)`);
    }
    if (started.expectRouteHeader && !check.route) throw new Error('no x-colormesh-route header: the request was not routed by colormesh');
    const url = `http://127.0.0.1:${port}/`;
    const wrkBase = { url, headers, connections: opts.wrkConnections };
    const pids = measured.map((p) => p.pid);

    // Latency first, on a fresh process: "RSS at 1000 req/s" must not inherit the heap that the
    // saturation phase grew (V8 keeps it). The generator's own 2 s warm-up at the rate warms the JIT.
    const segmentS = Math.max(1, Math.round(opts.rateDurationS / RATE_SEGMENTS));
    log(`  ${path.id}: latency at ${opts.rate} req/s, ${RATE_SEGMENTS} x ${segmentS}s (after 2 s at the rate)`);
    const realtimePids = [...pids, ctx.upstream.pid];
    if (opts.realtime) await setRealtime(realtimePids, true);
    const rateCpuBefore = treeCpuSeconds(pids);
    const segments = [];
    try {
      for (let i = 0; i < RATE_SEGMENTS; i++) {
        const spec = { port, headers, rate: opts.rate, durationS: segmentS, warmupS: i === 0 ? 2 : 0.5, connections: 8, realtime: opts.realtime };
        segments.push(await runConstantRate(spec));
      }
    } finally {
      if (opts.realtime) await setRealtime(realtimePids, false);
    }
    const rateCpu = treeCpuSeconds(pids) - rateCpuBefore;
    const lat = medianSegment(segments);
    const rssAtRate = peakRss(measured);

    log(`  ${path.id}: warm-up ${opts.warmupS}s, then throughput ${opts.durationS}s with ${opts.wrkConnections} connections`);
    await runWrk(LOAD_CPU, { ...wrkBase, durationS: opts.warmupS });
    const cpuBefore = treeCpuSeconds(pids);
    const sat = await runWrk(LOAD_CPU, { ...wrkBase, durationS: opts.durationS });
    const satCpu = treeCpuSeconds(pids) - cpuBefore;
    if (sat.socketErrors > 0 || sat.non2xx > 0) log(`  ${path.id}: wrk saw ${sat.socketErrors} socket errors, ${sat.non2xx} non-2xx`);
    const rssPeaks = peakRss(measured);

    const goodRequests = sat.requests - sat.non2xx;
    return {
      id: path.id,
      label: path.label,
      rps: sat.rps,
      non2xx: sat.non2xx + sum(segments, 'non2xx'),
      socketErrors: sat.socketErrors + sum(segments, 'errors'),
      cpuPer1000: cpuPer1000(satCpu, goodRequests),
      // the CPU window covers the generator's warm-ups too, so divide by every request it made
      cpuPer1000AtRate: cpuPer1000(rateCpu, sum(segments, 'completedWithWarmup')),
      latency: lat.latencyUs,
      serviceTime: lat.serviceTimeUs,
      generatorSendLateness: lat.sendLatenessUs,
      latencySegments: segments.map((seg) => seg.latencyUs),
      // peak RSS while serving the constant rate (the "RSS at that rate"), summed and per process
      rssAtRateMb: rssAtRate.reduce((a, b) => a + b, 0),
      rssPerProcessMb: Math.max(...rssAtRate),
      // peak RSS over the whole run, saturation included
      rssPeakMb: rssPeaks.reduce((a, b) => a + b, 0),
      processes: measured.map((p, i) => ({ name: p.name, rssAtRateMb: rssAtRate[i], rssPeakMb: rssPeaks[i] })),
    };
  } finally {
    // the shared upstream outlives every path; everything else started for this path goes now
    await Promise.all(measured.filter((p) => p !== ctx.upstream).map((p) => stop(p)));
  }
}
