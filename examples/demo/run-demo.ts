// `npm run demo`: a local mesh on loopback, no Kubernetes. Six plain apps, each behind its own
// `colormesh run`; a client sends ~1000 requests to the entry point and a table shows, per hop,
// how many requests of each color reached which version and how many fell back.
//
//   frontend (entry point: 80/20 blue/green split, sticky by x-user-id)
//     → order-service  (blue, untagged)
//       → base-service (blue, green, untagged)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderTables, tally, type Journey } from './report.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(here, '../../src/cli/main.js');
const APP = path.resolve(here, '../apps/service.js');
const REQUESTS = Number(process.env['DEMO_REQUESTS'] ?? 1000);
const CONCURRENCY = 16;

interface Pod {
  service: string;
  version: 'blue' | 'green' | 'untagged';
  next?: string;
  appPort: number;
  ports: { inbound: number; outbound: number; admin: number; metrics: number };
}

const children: ChildProcess[] = [];
let tmp = '';

/**
 * Ports for the whole mesh, all different. They come from below Linux's ephemeral range (32768+),
 * so no outgoing connection can take one before its listener binds, and each is held open until
 * all are chosen, so the same port is never handed out twice.
 */
async function freePorts(count: number): Promise<number[]> {
  const held: net.Server[] = [];
  const ports: number[] = [];
  for (let tries = 0; ports.length < count && tries < count * 50; tries++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (ports.includes(port)) continue;
    const server = net.createServer();
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) {
      held.push(server);
      ports.push(port);
    }
  }
  await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
  if (ports.length < count) throw new Error('could not find free ports on 127.0.0.1');
  return ports;
}

function makePod(service: string, version: Pod['version'], ports: number[], next?: string): Pod {
  const take = (): number => ports.shift() as number;
  return {
    service, version, ...(next ? { next } : {}),
    appPort: take(),
    ports: { inbound: take(), outbound: take(), admin: take(), metrics: take() },
  };
}

function rulesFor(pods: Pod[]): string {
  const lines = [
    'version: 1',
    'colors: [blue, green]',
    'ingress:',
    '  entrypoints: [frontend]',
    '  split:',
    '    weights: { blue: 80, green: 20 }',
    '    stickyBy: { header: x-user-id }',
    'services:',
  ];
  for (const service of [...new Set(pods.map((p) => p.service))]) {
    lines.push(`  ${service}:`, '    port: 8080', '    endpoints:');
    for (const p of pods.filter((q) => q.service === service)) {
      const color = p.version === 'untagged' ? '' : `, color: ${p.version}`;
      lines.push(`      - { address: "127.0.0.1:${p.ports.inbound}"${color} }`);
    }
  }
  return lines.join('\n') + '\n';
}

function start(cmd: string, args: string[], env: NodeJS.ProcessEnv, label: string): ChildProcess {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[${label}] ${d}`));
  children.push(child);
  return child;
}

async function waitReady(port: number, pathname: string, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: pathname, timeout: 500 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing ready on port ${port}${pathname} in time`);
}

function send(port: number, user: string, agent: http.Agent): Promise<Journey> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent, headers: { host: 'frontend:8080', 'x-user-id': user }, timeout: 15_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        try {
          const body = JSON.parse(text) as Partial<Journey>;
          resolve({ status: res.statusCode ?? 0, path: Array.isArray(body.path) ? body.path : [], error: body.error ?? (body.path ? undefined : body) });
        } catch {
          resolve({ status: res.statusCode ?? 0, path: [], error: text.slice(0, 200) } as Journey);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: 0, path: [], error: err.message } as Journey));
  });
}

function fetchText(port: number, pathname: string): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathname, timeout: 5000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve(text));
    });
    req.on('error', () => resolve(''));
  });
}

async function stopAll(): Promise<void> {
  await Promise.all(children.map((c) => new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    c.once('exit', () => resolve());
    c.kill('SIGTERM');
    setTimeout(() => c.kill('SIGKILL'), 5000).unref();
  })));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}

async function main(): Promise<number> {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'colormesh-demo-'));
  const ports = await freePorts(6 * 5);
  const pods = [
    makePod('frontend', 'untagged', ports, 'http://order-service:8080/'),
    makePod('order-service', 'blue', ports, 'http://base-service:8080/'),
    makePod('order-service', 'untagged', ports, 'http://base-service:8080/'),
    makePod('base-service', 'blue', ports),
    makePod('base-service', 'green', ports),
    makePod('base-service', 'untagged', ports),
  ];
  const rulesPath = path.join(tmp, 'rules.yaml');
  writeFileSync(rulesPath, rulesFor(pods));
  console.log(`colormesh demo: 6 apps, each behind its own sidecar; rules in ${rulesPath}\n`);
  for (const p of pods) {
    const label = `${p.service}/${p.version}`;
    start(process.execPath, [APP], {
      NAME: p.service, VERSION: p.version, PORT: String(p.appPort), HOST: '127.0.0.1',
      ...(p.next ? { NEXT: p.next, HTTP_PROXY: `http://127.0.0.1:${p.ports.outbound}` } : {}),
    }, label);
    start(process.execPath, [CLI, 'run', '--config', rulesPath, '--service', p.service,
      ...(p.version === 'untagged' ? [] : ['--color', p.version]),
      '--app-port', String(p.appPort), '--inbound-port', String(p.ports.inbound), '--outbound-port', String(p.ports.outbound),
      '--admin-port', String(p.ports.admin), '--metrics-port', String(p.ports.metrics), '--bind', '127.0.0.1', '--log-level', 'warn'], {}, `sidecar ${label}`);
  }
  const deadline = Date.now() + 20_000;
  for (const p of pods) {
    await waitReady(p.ports.metrics, '/healthz/ready', deadline);
    await waitReady(p.appPort, '/healthz', deadline);
  }
  const entry = pods[0] as Pod;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const journeys: Journey[] = [];
  let nextUser = 0;
  const worker = async (): Promise<void> => {
    while (nextUser < REQUESTS && !interrupted) {
      const user = `user-${nextUser++}`;
      journeys.push(await send(entry.ports.inbound, user, agent));
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  agent.destroy();
  if (interrupted) return 130;
  const seconds = (Date.now() - started) / 1000;
  const versions = new Map<string, string[]>();
  for (const p of pods) versions.set(p.service, [...(versions.get(p.service) ?? []), p.version]);
  const summary = tally(journeys, versions);
  console.log(renderTables(summary));
  console.log(`${journeys.length} requests in ${seconds.toFixed(1)} s; ${summary.failed} failed.`);
  for (const j of journeys.filter((x) => x.status !== 200).slice(0, 5)) console.log(`  failed: ${JSON.stringify(j).slice(0, 300)}`);
  // The same story as the sidecars' own metrics tell it: outbound calls from each order-service pod.
  console.log('\nfrom /metrics of the order-service sidecars (outbound calls to base-service):');
  for (const p of pods.filter((q) => q.service === 'order-service')) {
    const text = await fetchText(p.ports.metrics, '/metrics');
    for (const line of text.split('\n')) {
      if (line.startsWith('colormesh_requests_total{') && line.includes('direction="outbound"')) console.log(`  ${p.version.padEnd(8)} ${line}`);
    }
  }
  return summary.failed === 0 && summary.laneViolations === 0 ? 0 : 1;
}

let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) return;
  interrupted = true;
  console.log('\ninterrupted: stopping the mesh');
  void stopAll().then(() => process.exit(130));
});

main().then(
  async (code) => {
    if (interrupted) return; // the SIGINT handler is stopping the mesh and will exit
    await stopAll();
    process.exit(code);
  },
  async (err: Error) => {
    if (interrupted) return;
    console.error(`demo failed: ${err.message}`);
    await stopAll();
    process.exit(1);
  },
);
