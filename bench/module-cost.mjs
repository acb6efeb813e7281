// What each module a sidecar loads costs in memory: for every module, fresh Node processes import it
// alone and report the RSS and V8 heap they gained (median of a few runs); then a real sidecar is
// started, serves one request each way, and reports which npm packages it loaded and its RSS.
// usage: npm run build && node bench/module-cost.mjs [--runs N] [--json]   (or npm run bench -- --modules)
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './lib/stats.mjs';
import { renderModuleCost } from './lib/table.mjs';
import { startPinned, waitForPort, freePorts, statusMb, stop, PROXY_CPU } from './lib/procs.mjs';
import { writeColormeshRules, BENCH_SERVICE, BENCH_SERVICE_PORT, BENCH_COLOR } from './peers/configs.mjs';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const RUN_JS = join(REPO, 'dist/src/cli/run.js');
const TRACKER = fileURLToPath(new URL('./lib/loaded-packages.mjs', import.meta.url));

/** What a sidecar may load, top-level packages as colormesh imports them, then colormesh itself. */
export const MODULES = [
  // undici has no exports map: its Pool alone is a deep import that leaves fetch, WebSocket, the
  // cache and the mocks unloaded (not public API, so pinned versions only)
  'undici', 'undici/lib/dispatcher/pool.js', 'http-proxy', 'pino', 'prom-client',
  '@opentelemetry/api', '@opentelemetry/core', '@opentelemetry/resources', '@opentelemetry/semantic-conventions',
  '@opentelemetry/sdk-trace-base', '@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/sdk-node',
  '@kubernetes/client-node', 'js-yaml', 'yaml', '@sinclair/typebox', '@sinclair/typebox/compiler', 'lru-cache',
  'dist/src/cli/run.js',
];

/** The child's script: settle, measure, import, collect garbage, measure again; one JSON line out. */
const CHILD = `
const spec = process.argv[1];
const measure = () => { gc(); gc(); const m = process.memoryUsage(); return { rss: m.rss, heap: m.heapUsed }; };
// the ESM loader's own first-use cost is paid here, by an empty module, not by the module measured
await import('data:text/javascript,export{}');
await new Promise((r) => setTimeout(r, 50));
const before = measure();
const start = performance.now();
if (spec !== '') await import(spec);
const importMs = performance.now() - start;
await new Promise((r) => setTimeout(r, 50));
const after = measure();
process.stdout.write(JSON.stringify({ before, after, importMs }) + '\\n');
process.exit(0);
`;

/** One fresh process importing `spec` ('' = nothing); resolved from the repo root like the sidecar's own imports. */
function importOnce(spec) {
  const out = spawnSync('taskset', ['-c', PROXY_CPU, process.execPath, '--expose-gc', '--input-type=module', '-e', CHILD, spec], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  if (out.status !== 0) throw new Error((out.stderr || `exit ${out.status}`).trim().split('\n').slice(-3).join(' '));
  return JSON.parse(out.stdout.trim().split('\n').pop());
}

const MB = 2 ** 20;

function measureModule(name, runs) {
  // a bare name resolves from the repo root's node_modules (the -e script's base is the cwd)
  const spec = name.startsWith('dist/') ? pathToFileURL(join(REPO, name)).href : name;
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(importOnce(spec));
  return {
    name,
    rssMb: median(samples.map((s) => (s.after.rss - s.before.rss) / MB)),
    heapMb: median(samples.map((s) => (s.after.heap - s.before.heap) / MB)),
    importMs: median(samples.map((s) => s.importMs)),
  };
}

/**
 * A real sidecar (outbound and inbound) that serves one request each way: its RSS, and (with
 * `track`, whose resolve hook runs on a thread of its own and so adds RSS) the packages it loaded.
 */
async function idleSidecar(dir, track) {
  const app = http.createServer((_req, res) => res.end('ok'));
  await new Promise((resolve) => app.listen(0, '127.0.0.1', resolve));
  const appPort = app.address().port;
  const [outbound, inbound, admin, metrics] = await freePorts(4);
  const loadedFile = join(dir, 'loaded.json');
  const args = [...(track ? ['--import', TRACKER] : []), join(REPO, 'dist/src/cli/main.js'), 'run', '--config', writeColormeshRules(dir, 'module-cost', appPort),
    '--service', BENCH_SERVICE, '--color', BENCH_COLOR, '--bind', '127.0.0.1', '--app-port', String(appPort),
    '--outbound-port', String(outbound), '--inbound-port', String(inbound), '--admin-port', String(admin), '--metrics-port', String(metrics),
    '--drain-timeout-ms', '100'];
  const proc = startPinned('sidecar', PROXY_CPU, process.execPath, args, { logFile: join(dir, 'sidecar.log'), env: { COLORMESH_BENCH_LOADED_FILE: loadedFile } });
  try {
    await waitForPort(inbound, proc);
    await waitForPort(outbound, proc);
    const get = (port, headers) => new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/', headers, agent: false }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); }).on('error', reject);
    });
    const statuses = [
      await get(outbound, { host: `${BENCH_SERVICE}:${BENCH_SERVICE_PORT}`, baggage: `color=${BENCH_COLOR}` }),
      await get(inbound, { baggage: `color=${BENCH_COLOR}`, traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }),
    ];
    await new Promise((r) => setTimeout(r, 500));
    const rssMb = statusMb(proc.pid, 'VmRSS');
    await stop(proc, 5000);
    return track ? { statuses, packages: JSON.parse(readFileSync(loadedFile, 'utf8')) } : { rssMb, statuses };
  } finally {
    await stop(proc);
    app.close();
  }
}

async function main() {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, json: { type: 'boolean' } } });
  const runs = Number(values.runs);
  const base = [];
  for (let i = 0; i < runs; i++) base.push(importOnce(''));
  const result = {
    node: process.version,
    runs,
    baseline: { rssMb: median(base.map((s) => s.after.rss / MB)), heapMb: median(base.map((s) => s.after.heap / MB)) },
    modules: [],
  };
  for (const name of MODULES) {
    try {
      result.modules.push(measureModule(name, runs));
    } catch (err) {
      result.modules.push({ name, error: err.message });
    }
    process.stderr.write(`  module cost: ${name}\n`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'colormesh-modules-'));
  try {
    result.sidecar = { ...(await idleSidecar(dir, false)), packages: (await idleSidecar(dir, true)).packages };
    const loaded = new Set(result.sidecar.packages);
    for (const m of result.modules) {
      const pkg = m.name.startsWith('dist/') ? undefined : m.name.split('/').slice(0, m.name.startsWith('@') ? 2 : 1).join('/');
      m.loadedBySidecar = pkg === undefined ? true : loaded.has(pkg);
    }
  } catch (err) {
    result.sidecar = { error: err.message };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${renderModuleCost(result)}\n`);
}

main().catch((err) => {
  process.stderr.write(`module-cost: ${err.stack ?? err}\n`);
  process.exitCode = 1;
});
