// Measures one path: a sanity request, throughput at saturation (wrk), latency at a constant rate
// (open-loop generator), CPU seconds per 1000 requests from /proc, and peak RSS. Returns one row.
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { runWrk, TRACEPARENT_SCRIPT } from './wrk.mjs';
import { runPinned, treeCpuSeconds, treeStatCpuSeconds, processTree, statusMb, stop, setRealtime, LOAD_CPU } from './procs.mjs';
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

/** Current RSS (VmRSS) of each measured process tree, in MB. */
function currentRss(procs) {
  return procs.map((p) => processTree(p.pid).reduce((sum, pid) => {
    try { return sum + statusMb(pid, 'VmRSS'); } catch { return sum; }
  }, 0));
}

/**
 * Samples each process's RSS every `everyMs` while a phase runs: "RSS at 1000 req/s" is what the
 * process holds while serving that rate, not a start-up peak that VmHWM would also remember.
 */
export function sampleRss(procs, everyMs = 200) {
  const samples = procs.map(() => []);
  const take = () => currentRss(procs).forEach((mb, i) => samples[i].push(mb));
  take();
  const timer = setInterval(take, everyMs);
  return () => {
    clearInterval(timer);
    take();
    return samples;
  };
}

/** wrk options for a path: paths with a `traceparent` mode send through the traceparent script. */
function wrkOptions(path, base) {
  if (path.traceparent === undefined) return base;
  return { ...base, script: TRACEPARENT_SCRIPT, scriptArgs: [path.traceparent, Math.floor(Math.random() * 2 ** 30)] };
}

/** Longest the trace-table fill may take, whatever the count: a slow build must not stall the bench. */
const FILL_MAX_S = 180;

/**
 * Sends `count` requests through the path in wrk chunks before its throughput is measured: with a
 * fresh traceparent each ("unique"), so the measurement sees the trace table at capacity (issue 9:
 * "after 150 000 such requests"), or the same load without one ("none"), to compare like with like.
 */
async function fillTraceTable(path, wrkBase, count, log) {
  const begin = Date.now();
  let sent = 0;
  let durationS = 2;
  while (sent < count && Date.now() - begin < FILL_MAX_S * 1000) {
    const chunk = await runWrk(LOAD_CPU, { ...wrkOptions(path, wrkBase), durationS });
    sent += chunk.requests - chunk.non2xx;
    // the next chunk lasts about as long as the rest needs at this chunk's rate (wrk runs whole seconds)
    durationS = Math.min(10, Math.max(1, Math.ceil((count - sent) / Math.max(1, chunk.rps))));
  }
  log(`  ${path.id}: ${sent.toLocaleString('en-US')} requests (traceparent: ${path.traceparent}) sent before measuring (${((Date.now() - begin) / 1000).toFixed(0)} s)`);
  return sent;
}

/** Runs the constant-rate generator pinned to the load CPU and returns its parsed JSON result. */
export async function runConstantRate({ port, headers, rate, durationS, warmupS, connections, realtime, traceparent = false }) {
  const host = headers.find(([k]) => k.toLowerCase() === 'host')?.[1] ?? `127.0.0.1:${port}`;
  const rest = headers.filter(([k]) => k.toLowerCase() !== 'host');
  const spec = JSON.stringify({ port, host, headers: rest, rate, durationS, warmupS, connections, traceparent });
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
    // RSS is sampled from the end of the first segment's warm-up to the end of the last segment
    let stopSampling;
    const samplingStart = setTimeout(() => { stopSampling = sampleRss(measured); }, 2500);
    let rssSamples;
    try {
      for (let i = 0; i < RATE_SEGMENTS; i++) {
        const spec = { port, headers, rate: opts.rate, durationS: segmentS, warmupS: i === 0 ? 2 : 0.5, connections: 8, realtime: opts.realtime, traceparent: path.traceparent === 'unique' };
        segments.push(await runConstantRate(spec));
      }
    } finally {
      clearTimeout(samplingStart);
      rssSamples = stopSampling ? stopSampling() : currentRss(measured).map((mb) => [mb]);
      if (opts.realtime) await setRealtime(realtimePids, false);
    }
    const rateCpu = treeCpuSeconds(pids) - rateCpuBefore;
    const lat = medianSegment(segments);
    const rssAtRate = rssSamples.map((series) => Math.max(...series));
    const hwmAtRate = peakRss(measured);

    // both inbound paths get the same pre-load, so the one with traceparent is not also the warmer one
    const traceFill = path.traceparent !== undefined && opts.traceFill > 0 ? await fillTraceTable(path, wrkBase, opts.traceFill, log) : 0;

    log(`  ${path.id}: warm-up ${opts.warmupS}s, then throughput ${opts.durationS}s with ${opts.wrkConnections} connections`);
    await runWrk(LOAD_CPU, { ...wrkOptions(path, wrkBase), durationS: opts.warmupS });
    const cpuBefore = treeCpuSeconds(pids);
    const statCpuBefore = treeStatCpuSeconds(pids);
    const sat = await runWrk(LOAD_CPU, { ...wrkOptions(path, wrkBase), durationS: opts.durationS });
    const satCpu = treeCpuSeconds(pids) - cpuBefore;
    const satStatCpu = treeStatCpuSeconds(pids) - statCpuBefore;
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
      // the same window read as utime + stime from /proc/<pid>/stat (tick-sampled; what an outside check reads)
      cpuPer1000Stat: cpuPer1000(satStatCpu, goodRequests),
      // the CPU window covers the generator's warm-ups too, so divide by every request it made
      cpuPer1000AtRate: cpuPer1000(rateCpu, sum(segments, 'completedWithWarmup')),
      latency: lat.latencyUs,
      serviceTime: lat.serviceTimeUs,
      generatorSendLateness: lat.sendLatenessUs,
      latencySegments: segments.map((seg) => seg.latencyUs),
      // highest RSS sampled while serving the constant rate (the "RSS at that rate"), summed and per process
      rssAtRateMb: rssAtRate.reduce((a, b) => a + b, 0),
      rssPerProcessMb: Math.max(...rssAtRate),
      // VmHWM after the rate phase: includes start-up peaks (rule-file load, JIT) that the samples miss
      rssHwmAtRateMb: hwmAtRate.reduce((a, b) => a + b, 0),
      traceFillRequests: traceFill,
      // peak RSS over the whole run, saturation included
      rssPeakMb: rssPeaks.reduce((a, b) => a + b, 0),
      processes: measured.map((p, i) => ({ name: p.name, rssAtRateMb: rssAtRate[i], rssHwmAtRateMb: hwmAtRate[i], rssPeakMb: rssPeaks[i], rssSamplesAtRateMb: rssSamples[i].map((mb) => Math.round(mb * 10) / 10) })),
    };
  } finally {
    // the shared upstream outlives every path; everything else started for this path goes now
    await Promise.all(measured.filter((p) => p !== ctx.upstream).map((p) => stop(p)));
  }
}
