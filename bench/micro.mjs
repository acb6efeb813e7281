// Micro-benchmarks of the pure core, run pinned to one CPU with nothing else on it: the cost of a route
// decision (decideRoute + pickEndpoint) with 2 vs 500 endpoints in a color, the time to load and
// validate a rule file of 1 000 services x 50 endpoints, the trace table at capacity (several
// designs) and hop-by-hop header stripping. Prints one JSON line; with --table, a readable summary.
// usage: node bench/micro.mjs [--quick] [--table] [--only trace-table|headers] [--passes N]
import { performance } from 'node:perf_hooks';
import { measureTraceTables } from './lib/trace-table-micro.mjs';
import { measureHeaderStrip } from './lib/header-strip-micro.mjs';
import { renderMicro } from './lib/table.mjs';

const quick = process.argv.includes('--quick');
const dist = new URL('../dist/src/', import.meta.url);
let decideRoute, buildEndpointSets, pickEndpoint, parseRules;
/** The build's core, loaded only for the benchmarks that use it (a half-built dist/ fails those alone). */
async function loadCore() {
  ({ decideRoute, buildEndpointSets } = await import(new URL('core/route.js', dist).href));
  ({ pickEndpoint } = await import(new URL('core/balancer.js', dist).href));
  ({ parseRules } = await import(new URL('config/load.js', dist).href));
}

/** A fixed-seed PRNG (mulberry32) so least-request draws are the same on every run. */
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function endpoint(i, color) {
  return { address: `10.0.${i >> 8}.${i & 255}:8080`, host: `10.0.${i >> 8}.${i & 255}`, port: 8080, color, healthy: true, active: i % 7 };
}

/** A service with `perColor` endpoints in each of blue and green, plus as many untagged ones. */
function fixture(perColor, loadBalancer) {
  const endpoints = [];
  for (let i = 0; i < perColor * 3; i++) endpoints.push(endpoint(i, [undefined, 'blue', 'green'][i % 3]));
  const service = { name: 'svc', port: 8080, force: false, loadBalancer, timeoutMs: 15000, retries: 2, discovery: { kind: 'static', endpoints: [] } };
  return { service, sets: buildEndpointSets(endpoints) };
}

/** ns per route decision + pick, the median of `rounds` timed rounds of `iterations` each. */
function timeDecision(perColor, loadBalancer, iterations, rounds) {
  const { service, sets } = fixture(perColor, loadBalancer);
  const random = seeded(42);
  const colors = ['blue', 'green', 'red', undefined]; // exact, exact, fallback to untagged, untagged
  let sink = 0;
  const run = (n) => {
    for (let i = 0; i < n; i++) {
      const decision = decideRoute(service, sets, colors[i & 3]);
      if (decision.ok) sink += pickEndpoint(decision.set, loadBalancer, random).port;
    }
  };
  run(iterations); // warm up the JIT on this exact shape before timing
  const samples = [];
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    run(iterations);
    samples.push(((performance.now() - start) * 1e6) / iterations);
  }
  if (sink === 0) throw new Error('unreachable: keeps the loop from being optimised away');
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

/** The YAML of a rule file with `services` services of `perService` endpoints each (colors mixed). */
function bigRuleFile(services, perService) {
  const lines = ['version: 1', 'colors: [blue, green, canary]', 'services:'];
  for (let s = 0; s < services; s++) {
    lines.push(`  svc-${s}:`, '    port: 8080', '    defaultColor: blue', '    endpoints:');
    for (let e = 0; e < perService; e++) {
      const color = ['blue', 'green', 'canary', undefined][e % 4];
      const address = `"10.${s >> 8}.${s & 255}.${e}:8080"`;
      lines.push(color ? `      - { address: ${address}, color: ${color} }` : `      - { address: ${address} }`);
    }
  }
  return lines.join('\n') + '\n';
}

function timeLoad(text, rounds) {
  const samples = [];
  let services = 0;
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    const rules = parseRules(text, 'bench-1000x50.yaml');
    samples.push(performance.now() - start);
    services = rules.services.size;
  }
  samples.sort((a, b) => a - b);
  return { services, firstMs: samples.length ? samples[0] : NaN, medianMs: samples[Math.floor(samples.length / 2)], maxMs: samples[samples.length - 1] };
}

const iterations = quick ? 200_000 : 2_000_000;
const rounds = quick ? 3 : 7;
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const out = { iterations, rounds };
const passesArg = process.argv.includes('--passes') ? Number(process.argv[process.argv.indexOf('--passes') + 1]) : undefined;

// The trace table first, on a fresh heap: its own allocation is what is measured.
if (only === undefined || only === 'trace-table') out.traceTable = await measureTraceTables(dist, quick ? 1 : passesArg ?? 3);
if (only === undefined || only === 'headers') out.headerStrip = measureHeaderStrip(iterations / 2, rounds);

if (only === undefined) {
  try {
    await loadCore();
    out.decision = {};
    for (const lb of ['round-robin', 'least-request']) {
      const small = timeDecision(2, lb, iterations, rounds);
      const large = timeDecision(500, lb, iterations, rounds);
      out.decision[lb] = { ns2: small, ns500: large, ratio500to2: large / small };
    }

    const text = bigRuleFile(1000, 50);
    // The first load is the one a sidecar pays at start-up (cold JIT); later ones are reloads.
    const coldStart = performance.now();
    parseRules(text, 'bench-1000x50.yaml');
    const coldMs = performance.now() - coldStart;
    out.load = { bytes: Buffer.byteLength(text), endpoints: 50_000, coldMs, ...timeLoad(text, quick ? 2 : 4) };
    out.heapMbAfter = process.memoryUsage().heapUsed / 2 ** 20;
  } catch (err) {
    out.coreError = err.message;
  }
}

process.stdout.write(process.argv.includes('--table') ? `${renderMicro(out)}\n` : JSON.stringify(out) + '\n');
