// Interleaved latency rounds (`--rounds N`): direct and colormesh's 2-sidecar path stay up side by
// side, and their constant-rate runs alternate N times. This VM's p99 wanders by about a millisecond
// from minute to minute, so one run of each says little; the median of per-round differences does.
import { PATHS } from './paths.mjs';
import { probe, runConstantRate } from './measure.mjs';
import { runWrk } from './wrk.mjs';
import { setRealtime, stop, LOAD_CPU } from './procs.mjs';
import { summarizeRounds } from './stats.mjs';

export const ROUND_PATHS = ['direct', 'colormesh-2hop'];

/** Runs the rounds; returns summarizeRounds(direct, 2 sidecars) plus every run's latency summary. */
export async function runRounds(ctx, opts, log) {
  const started = [];
  try {
    for (const id of ROUND_PATHS) {
      const path = PATHS.find((p) => p.id === id);
      const s = await path.start(ctx);
      const check = await probe(s.port, s.headers);
      if (check.status !== 200) throw new Error(`${id}: sanity request answered ${check.status}`);
      started.push({ id, ...s });
    }
    const pids = [...new Set([...started.flatMap((s) => s.measured.map((p) => p.pid)), ctx.upstream.pid])];
    // Fresh sidecars are slower than the rate until their JIT has warmed, and the backlog they build
    // takes seconds to drain (a first round of 1-2 s p50 otherwise): a burst of wrk, then one
    // constant-rate run that is not counted.
    for (const s of started) {
      await runWrk(LOAD_CPU, { url: `http://127.0.0.1:${s.port}/`, headers: s.headers, connections: opts.wrkConnections, durationS: opts.warmupS });
      await runConstantRate({ port: s.port, headers: s.headers, rate: opts.rate, durationS: 1, warmupS: 2, connections: 8 });
    }
    const runs = started.map(() => []);
    if (opts.realtime) await setRealtime(pids, true);
    try {
      for (let round = 0; round < opts.rounds; round++) {
        for (let i = 0; i < started.length; i++) {
          const s = started[i];
          const result = await runConstantRate({ port: s.port, headers: s.headers, rate: opts.rate, durationS: opts.roundDurationS, warmupS: 0.5, connections: 8, realtime: opts.realtime });
          runs[i].push(result.latencyUs);
        }
        log(`  round ${round + 1}/${opts.rounds}: ${started.map((s, i) => `${s.id} p50 ${(runs[i][round].p50 / 1000).toFixed(3)} p99 ${(runs[i][round].p99 / 1000).toFixed(3)} ms`).join(', ')}`);
      }
    } finally {
      if (opts.realtime) await setRealtime(pids, false);
    }
    return { ...summarizeRounds(runs[0], runs[1]), paths: ROUND_PATHS, rate: opts.rate, roundDurationS: opts.roundDurationS, runs };
  } finally {
    await Promise.all(started.flatMap((s) => s.measured).filter((p) => p !== ctx.upstream).map((p) => stop(p)));
  }
}
