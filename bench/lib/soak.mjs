// The RSS-over-many-requests check: drives colormesh (1 hop) at saturation in short wrk chunks until N
// requests have gone through, sampling RSS between chunks, so a leak shows as a rising series.
// Bounded in time as well as in count.
import { PATHS } from './paths.mjs';
import { runWrk } from './wrk.mjs';
import { statusMb, stop, LOAD_CPU } from './procs.mjs';
import { probe } from './measure.mjs';

const CHUNK_S = 5;
/** Hard stop whatever the count: a slow build must not turn the bench into a 20-minute run. */
const MAX_SECONDS = 240;

/** First-fifth-to-end growth: start-up allocation and JIT settle in the first chunks, a leak keeps going. */
export function rssGrowth(samplesMb) {
  if (samplesMb.length < 2) return NaN;
  const settled = samplesMb[Math.min(samplesMb.length - 1, Math.floor(samplesMb.length / 5))];
  return samplesMb[samplesMb.length - 1] - settled;
}

export async function runSoak(ctx, opts, log) {
  const path = PATHS.find((p) => p.id === 'colormesh-1hop');
  const started = await path.start(ctx);
  const [sidecar] = started.measured;
  try {
    const check = await probe(started.port, started.headers);
    if (check.status !== 200) throw new Error(`sanity request answered ${check.status}`);
    const rssMb = [statusMb(sidecar.pid, 'VmRSS')];
    const begin = Date.now();
    let requests = 0;
    let failures = 0;
    while (requests < opts.soakRequests && Date.now() - begin < MAX_SECONDS * 1000) {
      const chunk = await runWrk(LOAD_CPU, { url: `http://127.0.0.1:${started.port}/`, headers: started.headers, connections: opts.wrkConnections, durationS: CHUNK_S });
      requests += chunk.requests;
      failures += chunk.non2xx + chunk.socketErrors;
      rssMb.push(statusMb(sidecar.pid, 'VmRSS'));
      log(`  soak: ${requests.toLocaleString('en-US')} requests, RSS ${rssMb[rssMb.length - 1].toFixed(0)} MB`);
    }
    return {
      requests,
      failures,
      seconds: (Date.now() - begin) / 1000,
      rssMb,
      peakMb: statusMb(sidecar.pid, 'VmHWM'),
      growthMb: rssGrowth(rssMb),
      complete: requests >= opts.soakRequests,
    };
  } finally {
    await stop(sidecar);
  }
}
