// What mirroring costs the original request (SPEC 8, issue 13): the same sidecar setup with no
// mirror, with `percent: 100` to a healthy green, and to a green that never answers, interleaved
// in rounds; prints p50/p99 of the originals and the sidecar's RSS after each run.
// Load is open-loop at a constant rate (bench/lib/constant-rate.mjs, latency from each request's
// intended send time), well below saturation, as a sidecar runs in production.
// usage: npm run build && node bench/mirror-cost.mjs [--requests 5000] [--rate 500] [--rounds 3]
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

const CLI = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const GENERATOR = fileURLToPath(new URL('./lib/constant-rate.mjs', import.meta.url));
const { values } = parseArgs({ options: { requests: { type: 'string', default: '5000' }, rounds: { type: 'string', default: '3' }, rate: { type: 'string', default: '500' } } });
const REQUESTS = Number(values.requests);
const ROUNDS = Number(values.rounds);
const RATE = Number(values.rate);
const BODY = Buffer.alloc(1024, 'x');

function listen(handler) {
  const server = http.createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const blue = await listen((_req, res) => res.end(BODY));
const green = await listen((req, res) => { req.resume(); res.end('copy'); });
const hanging = await listen((req) => req.resume()); // never answers
const port = (s) => s.address().port;

const VARIANTS = {
  'no mirror': '',
  'mirror 100 % → healthy green': `    mirror: { color: green }\n`,
  'mirror 100 % → hanging green': `    mirror: { color: green }\n`,
};

function rulesFor(name) {
  const greenPort = name.includes('hanging') ? port(hanging) : port(green);
  return `services:\n  svc:\n    timeoutMs: 2000\n${VARIANTS[name]}    endpoints:\n      - { address: "127.0.0.1:${port(blue)}", color: blue }\n      - { address: "127.0.0.1:${greenPort}", color: green }\n`;
}

const rss = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

async function runOnce(name, dir, outboundPort) {
  const file = join(dir, 'rules.yaml');
  writeFileSync(file, rulesFor(name));
  const child = spawn(process.execPath, [CLI, 'run', '--config', file, '--outbound-port', String(outboundPort), '--admin-port', String(outboundPort + 1), '--metrics-port', String(outboundPort + 2), '--bind', '127.0.0.1', '--log-level', 'warn'], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 50; i++) {
      const ok = await new Promise((r) => http.get({ host: '127.0.0.1', port: outboundPort + 2, path: '/healthz/ready' }, (res) => { res.resume(); r(res.statusCode === 200); }).on('error', () => r(false)));
      if (ok) break;
      await sleep(100);
    }
    const load = { port: outboundPort, host: 'svc', headers: [['baggage', 'color=blue']], rate: RATE, durationS: REQUESTS / RATE, warmupS: 1, connections: 8 };
    const out = await new Promise((resolve, reject) => execFile(process.execPath, [GENERATOR, JSON.stringify(load)], { maxBuffer: 1 << 20 }, (err, stdout) => (err ? reject(err) : resolve(stdout))));
    const result = JSON.parse(out);
    await sleep(200);
    return { p50: result.latencyUs.p50 / 1000, p99: result.latencyUs.p99 / 1000, rss: rss(child.pid), failed: result.errors + result.non2xx };
  } finally {
    child.kill('SIGKILL');
  }
}

const dir = mkdtempSync(join(tmpdir(), 'colormesh-mirror-'));
const results = Object.fromEntries(Object.keys(VARIANTS).map((n) => [n, []]));
try {
  let base = 27000;
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of Object.keys(VARIANTS)) {
      base += 10;
      const r = await runOnce(name, dir, base);
      results[name].push(r);
      process.stderr.write(`round ${round + 1} ${name}: p50 ${r.p50.toFixed(3)} ms, p99 ${r.p99.toFixed(3)} ms, RSS ${r.rss.toFixed(1)} MB, failed ${r.failed}\n`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  for (const s of [blue, green, hanging]) { s.closeAllConnections(); s.close(); }
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
console.log(`\n${REQUESTS} requests at ${RATE}/s × ${ROUNDS} rounds, open loop; medians of the rounds`);
console.log('variant'.padEnd(32), 'p50 ms'.padStart(8), 'p99 ms'.padStart(8), 'RSS MB'.padStart(8), 'failed'.padStart(7));
for (const [name, rs] of Object.entries(results)) {
  console.log(name.padEnd(32), median(rs.map((r) => r.p50)).toFixed(3).padStart(8), median(rs.map((r) => r.p99)).toFixed(3).padStart(8), median(rs.map((r) => r.rss)).toFixed(1).padStart(8), String(rs.reduce((a, r) => a + r.failed, 0)).padStart(7));
}
