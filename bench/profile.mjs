// Profiles colormesh under saturating load: runs a colormesh path of the bench with `node --cpu-prof`,
// drives it with wrk, stops it cleanly (the profile is written at exit) and prints where the time went.
// Output in bench/results/profile-<time>/: the .cpuprofile files (open in Chrome DevTools or speedscope),
// .folded stacks (flamegraph.pl) and summary.txt.
// usage: npm run build && node bench/profile.mjs [--path colormesh-1hop|colormesh-2hop] [--duration S]
//        [--colormesh-flag=--access-log-sample=100 ...] [--nice=-10]
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureTools } from './lib/tools.mjs';
import { PATHS, colormeshBuilt } from './lib/paths.mjs';
import { probe } from './lib/measure.mjs';
import { runWrk } from './lib/wrk.mjs';
import { startPinned, waitForPort, freePorts, stop, stopAll, killAllNow, setNice, restoreNice, treeCpuSeconds, LOAD_CPU } from './lib/procs.mjs';
import { writeNginxUpstream } from './peers/configs.mjs';
import { summarizeProfile, renderProfile } from './lib/cpuprofile.mjs';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const log = (line) => process.stderr.write(`${line}\n`);

async function main() {
  const { values } = parseArgs({
    options: {
      path: { type: 'string', default: 'colormesh-1hop' }, duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '32' }, 'colormesh-flag': { type: 'string', multiple: true }, nice: { type: 'string', default: '0' },
    },
  });
  const path = PATHS.find((p) => p.id === values.path && p.needsColormesh);
  if (!path) throw new Error(`--path must be a colormesh path: ${PATHS.filter((p) => p.needsColormesh).map((p) => p.id).join(', ')}`);
  if (!colormeshBuilt()) throw new Error('dist/src/cli/run.js missing: run `npm run build` first');
  ensureTools(log);
  setNice(Number(values.nice));

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outDir = join(REPO, 'bench/results', `profile-${stamp}`);
  mkdirSync(outDir, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'colormesh-profile-'));
  const [upstreamPort] = await freePorts(1);
  const conf = writeNginxUpstream(dir, upstreamPort);
  const upstream = startPinned('nginx-upstream', LOAD_CPU, 'nginx', ['-p', conf.prefix, '-c', conf.file], { logFile: join(dir, 'upstream.log') });
  await waitForPort(upstreamPort, upstream);

  // A 100 us sampling interval resolves the per-request functions (a request costs tens of us).
  const ctx = { dir, upstreamPort, upstream, colormeshFlags: values['colormesh-flag'] ?? [], nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${outDir}`, '--cpu-prof-interval=100'] };
  const started = await path.start(ctx);
  const check = await probe(started.port, started.headers);
  if (check.status !== 200) throw new Error(`sanity request answered ${check.status}`);
  const wrk = { url: `http://127.0.0.1:${started.port}/`, headers: started.headers, connections: Number(values.connections) };
  log(`profile: ${path.label}, warm-up 2 s then ${values.duration} s at saturation`);
  await runWrk(LOAD_CPU, { ...wrk, durationS: 2 });
  const cpuBefore = treeCpuSeconds(started.measured.map((p) => p.pid));
  const result = await runWrk(LOAD_CPU, { ...wrk, durationS: Number(values.duration) });
  const cpu = treeCpuSeconds(started.measured.map((p) => p.pid)) - cpuBefore;
  // SIGTERM lets the sidecar drain and exit normally, which is when node writes the profile.
  await Promise.all(started.measured.map((p) => stop(p, 20_000)));
  await stopAll();
  rmSync(dir, { recursive: true, force: true });

  const reports = [`${path.label}: ${Math.round(result.rps)} req/s, ${((cpu * 1000) / result.requests).toFixed(3)} CPU s per 1000 requests (with profiling on)`];
  for (const file of readdirSync(outDir).filter((f) => f.endsWith('.cpuprofile'))) {
    const summary = summarizeProfile(JSON.parse(readFileSync(join(outDir, file), 'utf8')));
    writeFileSync(join(outDir, file.replace(/\.cpuprofile$/, '.folded')), summary.folded + '\n');
    reports.push(renderProfile(summary, file));
  }
  if (reports.length === 1) reports.push('no .cpuprofile was written: did the sidecar exit cleanly on SIGTERM?');
  writeFileSync(join(outDir, 'summary.txt'), reports.join('\n\n') + '\n');
  process.stdout.write(reports.join('\n\n') + `\n\nfiles: ${outDir}\n`);
  restoreNice();
}

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => { killAllNow(); process.exit(130); });
main().catch((err) => { log(`profile: ${err.stack ?? err}`); killAllNow(); process.exitCode = 1; });
