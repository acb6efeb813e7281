// `npm run bench`: colormesh side by side with nginx, HAProxy and plain http-proxy and undici passthroughs,
// in one run on one machine, plus micro-benchmarks of the pure core and the trace table. Prints a table
// and writes it as JSON to bench/results/.
// See docs/performance.md for what is measured and how.
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureTools, describeEnvironment } from './lib/tools.mjs';
import { PATHS, colormeshBuilt } from './lib/paths.mjs';
import { measurePath } from './lib/measure.mjs';
import { startPinned, waitForPort, freePorts, runPinned, stopAll, killAllNow, setNice, restoreNice, LOAD_CPU, PROXY_CPU } from './lib/procs.mjs';
import { writeNginxUpstream } from './peers/configs.mjs';
import { renderTable, renderTargets, renderRounds, renderMicro, renderModuleCost } from './lib/table.mjs';
import { evaluateTargets } from './lib/stats.mjs';
import { runSoak } from './lib/soak.mjs';
import { runRounds, ROUND_PATHS } from './lib/rounds.mjs';

const USAGE = `usage: node bench/run.mjs [options]   (npm run bench -- [options])
  --quick               short runs (smoke test, ~1 min); numbers are indicative only
  --only IDS            comma list of paths: ${PATHS.map((p) => p.id).join(',')}
  --duration S          wrk measurement per path (default 10; warm-up 2 s before it)
  --rate N              constant rate for the latency columns (default 1000 req/s)
  --rate-duration S     constant-rate measurement per path, in 3 segments (default 12; 2 s warm-up first)
  --connections N       wrk connections (default 32)
  --rounds N            interleave N constant-rate runs of direct and colormesh 2 sidecars and report the
                        medians (default 5, 2 with --quick; 0 = off); the latency targets use them
  --round-duration S    length of each of those runs (default 4, 2 with --quick)
  --trace-fill N        requests sent to each inbound path before its throughput is measured, with a
                        unique traceparent each on colormesh-inbound-tp (default 150000, the issue's
                        "after 150 000"), without on colormesh-inbound
  --modules             also measure the RSS each module a sidecar loads costs (bench/module-cost.mjs)
  --colormesh-flag F    extra flag for every colormesh sidecar (repeatable), e.g. --colormesh-flag=--access-log-sample=100
  --node-flag F         extra Node.js/V8 flag for every colormesh sidecar (repeatable), e.g. --node-flag=--max-semi-space-size=2
  --no-micro            skip the micro-benchmarks of the pure core
  --soak [N]            also send N requests (default 1000000) through colormesh 1 hop, sampling RSS
  --nice=N              run every bench process at niceness N (e.g. --nice=-10, root only) on a shared machine
  --realtime            run the constant-rate phase under SCHED_FIFO (root; proxy, upstream, generator),
                        so other jobs on a shared machine do not add their time slices to the tails
  --keep-temp           keep the generated configs and logs (their directory is printed)
`;

const REPO = fileURLToPath(new URL('../', import.meta.url));
const log = (line) => process.stderr.write(`${line}\n`);

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' }, only: { type: 'string' }, duration: { type: 'string' }, rate: { type: 'string' },
      'rate-duration': { type: 'string' }, connections: { type: 'string' }, 'colormesh-flag': { type: 'string', multiple: true }, 'node-flag': { type: 'string', multiple: true },
      rounds: { type: 'string' }, 'round-duration': { type: 'string' }, 'trace-fill': { type: 'string' }, modules: { type: 'boolean' },
      'no-micro': { type: 'boolean' }, soak: { type: 'string' }, nice: { type: 'string' }, realtime: { type: 'boolean' }, 'keep-temp': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
    args: normalizeSoak(process.argv.slice(2)),
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const quick = values.quick === true;
  const num = (v, fallback) => (v === undefined ? fallback : Number(v));
  return {
    quick,
    only: values.only ? new Set(values.only.split(',')) : undefined,
    warmupS: quick ? 1 : 2,
    durationS: num(values.duration, quick ? 3 : 10),
    rate: num(values.rate, 1000),
    rateDurationS: num(values['rate-duration'], quick ? 3 : 12),
    wrkConnections: num(values.connections, 32),
    rounds: num(values.rounds, quick ? 2 : 5),
    roundDurationS: num(values['round-duration'], quick ? 2 : 4),
    traceFill: num(values['trace-fill'], 150_000),
    modules: values.modules === true,
    colormeshFlags: values['colormesh-flag'] ?? [],
    nodeFlags: values['node-flag'] ?? [],
    micro: values['no-micro'] !== true,
    soakRequests: values.soak === undefined ? 0 : Number(values.soak),
    keepTemp: values['keep-temp'] === true,
    nice: num(values.nice, 0),
    realtime: values.realtime === true,
  };
}

/** `--soak` may come without a count; give parseArgs the default so it can stay strict. */
function normalizeSoak(argv) {
  return argv.flatMap((arg, i) => (arg === '--soak' && !/^\d+$/.test(argv[i + 1] ?? '') ? ['--soak', '1000000'] : [arg]));
}

async function main() {
  const opts = options();
  const startedAt = new Date();
  ensureTools(log);
  setNice(opts.nice);
  const environment = describeEnvironment();
  const dir = mkdtempSync(join(tmpdir(), 'colormesh-bench-'));
  log(`bench: temp dir ${dir}; proxy under test on CPU ${PROXY_CPU}, load generator and upstream on CPU ${LOAD_CPU}`);

  const [upstreamPort] = await freePorts(1);
  const upstreamConf = writeNginxUpstream(dir, upstreamPort);
  const upstream = startPinned('nginx-upstream', LOAD_CPU, 'nginx', ['-p', upstreamConf.prefix, '-c', upstreamConf.file], { logFile: join(dir, 'nginx-upstream.log') });
  await waitForPort(upstreamPort, upstream);
  const ctx = { dir, upstreamPort, upstream, colormeshFlags: opts.colormeshFlags, nodeArgs: opts.nodeFlags };

  const haveColormesh = colormeshBuilt();
  const rows = [];
  for (const path of PATHS) {
    if (opts.only && !opts.only.has(path.id)) continue;
    if (path.needsColormesh && !haveColormesh) {
      rows.push({ id: path.id, label: path.label, error: 'dist/src/cli/run.js missing: run `npm run build` first' });
      continue;
    }
    log(`bench: ${path.label}`);
    try {
      rows.push(await measurePath(path, ctx, opts, log));
    } catch (err) {
      log(`  ${path.id} FAILED: ${err.message} (logs in ${dir})`);
      rows.push({ id: path.id, label: path.label, error: err.message.split('\n')[0] });
      await stopAll([upstream]); // nothing left behind on the proxy CPU for the next path
    }
  }

  // Only when both of its paths are part of this run: --only direct,nginx has no rounds.
  let rounds;
  const roundsWanted = opts.rounds > 0 && ROUND_PATHS.every((id) => !opts.only || opts.only.has(id));
  if (roundsWanted && haveColormesh) {
    log(`bench: ${opts.rounds} interleaved rounds of ${ROUND_PATHS.join(' and ')} at ${opts.rate} req/s, ${opts.roundDurationS} s each`);
    rounds = await runRounds(ctx, opts, log).catch(async (err) => {
      await stopAll([upstream]);
      return { error: err.message.split('\n')[0] };
    });
  }

  let soak;
  if (opts.soakRequests > 0 && haveColormesh) {
    log(`bench: soak, ${opts.soakRequests} requests through colormesh 1 hop`);
    soak = await runSoak(ctx, opts, log).catch((err) => ({ error: err.message }));
  }
  await stopAll();

  let micro;
  if (opts.micro) {
    log('bench: micro-benchmarks of the pure core (route decision, rule-file load)');
    micro = await runPinned(PROXY_CPU, process.execPath, [join(REPO, 'bench/micro.mjs'), ...(opts.quick ? ['--quick'] : [])], { timeoutMs: 120_000 })
      .then((out) => JSON.parse(out.trim().split('\n').pop()))
      .catch((err) => ({ error: err.message }));
  }

  let modules;
  if (opts.modules) {
    log('bench: RSS per module a sidecar loads (bench/module-cost.mjs)');
    modules = await runPinned(PROXY_CPU, process.execPath, [join(REPO, 'bench/module-cost.mjs'), '--json', ...(opts.quick ? ['--runs', '3'] : [])], { timeoutMs: 600_000 })
      .then((out) => JSON.parse(out.trim().split('\n').pop()))
      .catch((err) => ({ error: err.message }));
  }

  const byId = Object.fromEntries(rows.filter((r) => !r.error).map((r) => [r.id, r]));
  const targets = evaluateTargets(byId, rounds && !rounds.error ? rounds : undefined);
  const result = {
    startedAt: startedAt.toISOString(),
    elapsedS: (Date.now() - startedAt.getTime()) / 1000,
    command: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
    environment,
    settings: { ...opts, only: opts.only ? [...opts.only] : undefined, proxyCpu: PROXY_CPU, loadCpu: LOAD_CPU, bodyBytes: 1024, colormeshCli: process.env.COLORMESH_BENCH_CLI ?? 'dist/src/cli/main.js' },
    rows,
    targets,
    rounds,
    micro,
    modules,
    soak,
  };
  const resultsDir = join(REPO, 'bench/results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  if (!opts.keepTemp) rmSync(dir, { recursive: true, force: true });
  restoreNice();

  process.stdout.write(`\n${renderTable(rows)}\n\n`);
  process.stdout.write('latency: open-loop at a constant rate, measured from each request\'s intended send time (coordinated omission corrected)\n');
  if (rounds) process.stdout.write(`\n${renderRounds(rounds)}\n`);
  if (targets.length) process.stdout.write(`\ntargets (issue 9):\n${renderTargets(targets)}\n`);
  if (micro) process.stdout.write(`\n${renderMicro(micro)}\n`);
  if (modules) process.stdout.write(`\n${modules.error ? `module cost FAILED: ${modules.error}` : renderModuleCost(modules)}\n`);
  if (soak) process.stdout.write(`\n${renderSoak(soak)}\n`);
  process.stdout.write(`\nresult: ${file} (${result.elapsedS.toFixed(0)} s)\n`);
  return rows.some((r) => r.error) || rounds?.error ? 1 : 0;
}

function renderSoak(soak) {
  if (soak.error) return `soak FAILED: ${soak.error}`;
  return `soak: ${soak.requests.toLocaleString('en-US')} requests in ${soak.seconds.toFixed(0)} s; RSS ${soak.rssMb.map((s) => s.toFixed(0)).join(' → ')} MB; growth after the first 20%: ${soak.growthMb.toFixed(1)} MB`;
}

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => { killAllNow(); process.exit(130); });
main().then(
  (code) => { process.exitCode = code; },
  (err) => { log(`bench: ${err.stack ?? err}`); killAllNow(); process.exitCode = 1; },
);
