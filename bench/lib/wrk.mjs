// Throughput at saturation with wrk (closed loop, keep-alive): runs it pinned to the load CPU and
// turns its summary into numbers. Its latencies are NOT used for the table (closed-loop latencies
// hide queueing; the constant-rate generator measures those).
import { fileURLToPath } from 'node:url';
import { runPinned } from './procs.mjs';

const REPORT_SCRIPT = fileURLToPath(new URL('./wrk-report.lua', import.meta.url));
/** Sends a fresh traceparent per request (script argument "unique") or none ("none"); reports like the above. */
export const TRACEPARENT_SCRIPT = fileURLToPath(new URL('./wrk-traceparent.lua', import.meta.url));

/**
 * Parses the JSON line that wrk-report.lua prints. Returns req/s over the measured duration, counting
 * only successful responses: wrk counts non-2xx answers as requests, and a proxy answering 503s fast
 * must not look fast.
 */
export function parseWrkOutput(text) {
  const line = text.split('\n').find((l) => l.startsWith('WRK_JSON '));
  if (line === undefined) throw new Error(`wrk printed no summary:\n${text.slice(0, 1000)}`);
  const raw = JSON.parse(line.slice('WRK_JSON '.length));
  const seconds = raw.durationUs / 1e6;
  if (!(seconds > 0)) throw new Error(`wrk reported a duration of ${raw.durationUs} us`);
  const errors = raw.errors.connect + raw.errors.read + raw.errors.write + raw.errors.timeout;
  const good = Math.max(0, raw.requests - raw.errors.status);
  return {
    requests: raw.requests,
    seconds,
    rps: good / seconds,
    non2xx: raw.errors.status,
    socketErrors: errors,
    bytes: raw.bytes,
    closedLoopLatencyUs: raw.latencyUs,
  };
}

/**
 * wrk arguments for one run; headers as [name, value] pairs. `script` replaces the report-only Lua
 * script (it must print the same summary); `scriptArgs` reach its init() after `--`.
 */
export function wrkArgs({ url, headers = [], connections, threads = 1, durationS, script = REPORT_SCRIPT, scriptArgs = [] }) {
  const args = ['-t', String(threads), '-c', String(connections), '-d', `${durationS}s`, '--timeout', '5s', '-s', script];
  for (const [name, value] of headers) args.push('-H', `${name}: ${value}`);
  args.push(url);
  if (scriptArgs.length) args.push('--', ...scriptArgs.map(String));
  return args;
}

/** Runs wrk to completion (bounded by its duration plus a margin) and returns the parsed summary. */
export async function runWrk(cpu, options) {
  const out = await runPinned(cpu, 'wrk', wrkArgs(options), { timeoutMs: (options.durationS + 15) * 1000 });
  return parseWrkOutput(out);
}
