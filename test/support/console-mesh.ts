// A small live mesh for the console's tests: real `colormesh run` processes sharing one rule file,
// in-process apps on port 0, a traffic driver, and `colormesh console` started against them.
//
//   frontend (untagged; entry point, split blue/green 50/50 sticky by x-user-id)
//     → base-service (blue, untagged): green requests fall back to untagged; blue answers 500 to 1 in 10
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts, request, sleep } from './mesh.js';
import { spawnCli, until } from './sidecar-process.js';

export const CONSOLE_RULES = (ports: { frontend: number; blue: number; untagged: number }): string => `# the console tests' mesh: every byte but the weights must survive a write
version: 1
colors: [blue, green]

ingress:
  entrypoints: [frontend]
  split:
    weights: { blue: 50, green: 50 }   # moved by the console
    stickyBy: { header: x-user-id }

services:
  frontend:
    port: 8080
    endpoints:
      - { address: "127.0.0.1:${ports.frontend}" }
  base-service:
    port: 8080
    endpoints:
      - { address: "127.0.0.1:${ports.blue}", color: blue }   # the only colored version
      - { address: "127.0.0.1:${ports.untagged}" }
`;

type Proc = ReturnType<typeof spawnCli>;

export interface ConsoleMesh {
  dir: string;
  rulesFile: string;
  /** the rule file as written at start */
  initialRules: string;
  consoleUrl: string;
  consolePort: number;
  console: Proc;
  /** the sidecars' metrics ports (frontend, base-service blue, base-service untagged) */
  metricsPorts: number[];
  /** requests sent and how many did not answer 200 */
  traffic: { sent: number; non200: number };
  close(): Promise<void>;
}

/** An app: answers JSON; with `next`, first calls it through its sidecar's outbound port, passing baggage on. */
async function startApp(name: string, opts: { next?: { proxyPort: () => number; url: string }; failEvery?: number }): Promise<{ port: number; server: http.Server }> {
  let count = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const server = http.createServer((req, res) => {
    count++;
    req.resume();
    const answer = (status: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (opts.failEvery !== undefined && count % opts.failEvery === 0) return answer(500, { name, error: 'injected' });
    if (opts.next === undefined) return answer(200, { name });
    const headers: http.OutgoingHttpHeaders = { host: new URL(opts.next.url).host };
    for (const h of ['baggage', 'traceparent']) if (req.headers[h] !== undefined) headers[h] = req.headers[h];
    const out = http.get({ host: '127.0.0.1', port: opts.next.proxyPort(), path: opts.next.url, headers, agent, timeout: 5000 }, (up) => {
      up.resume();
      up.on('end', () => answer(up.statusCode ?? 502, { name, next: up.statusCode }));
    });
    out.on('timeout', () => out.destroy(new Error('timeout')));
    out.on('error', () => answer(502, { name, error: 'next failed' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as AddressInfo).port, server };
}

async function startSidecar(rulesFile: string, service: string, color: string | undefined, appPort: number, ports: number[]): Promise<{ proc: Proc; inbound: number; outbound: number; metrics: number }> {
  const [inbound, outbound, admin, metrics] = ports as [number, number, number, number];
  const proc = spawnCli(['run', '--config', rulesFile, '--service', service, ...(color ? ['--color', color] : []), '--app-port', String(appPort),
    '--inbound-port', String(inbound), '--outbound-port', String(outbound), '--admin-port', String(admin), '--metrics-port', String(metrics),
    '--bind', '127.0.0.1', '--log-level', 'warn', '--drain-timeout-ms', '1000']);
  return { proc, inbound, outbound, metrics };
}

/**
 * Starts the mesh and the console, and drives steady traffic (about 40 requests/s from 200 sticky
 * users) until close(), for at most `maxSeconds`.
 */
export async function startConsoleMesh(maxSeconds = 180): Promise<ConsoleMesh> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cm-console-'));
  const rulesFile = path.join(dir, 'rules.yaml');
  const procs: Proc[] = [];
  const servers: http.Server[] = [];
  let frontendOutbound = 0;
  const apps = {
    frontend: await startApp('frontend', { next: { proxyPort: () => frontendOutbound, url: 'http://base-service:8080/' } }),
    blue: await startApp('base-blue', { failEvery: 10 }),
    untagged: await startApp('base-untagged', {}),
  };
  servers.push(apps.frontend.server, apps.blue.server, apps.untagged.server);
  const ports = await freePorts(12);
  const take = (): number[] => ports.splice(0, 4);
  const pf = take();
  const pb = take();
  const pu = take();
  const initialRules = CONSOLE_RULES({ frontend: pf[0] as number, blue: pb[0] as number, untagged: pu[0] as number });
  writeFileSync(rulesFile, initialRules);
  const frontend = await startSidecar(rulesFile, 'frontend', undefined, apps.frontend.port, pf);
  const blue = await startSidecar(rulesFile, 'base-service', 'blue', apps.blue.port, pb);
  const untagged = await startSidecar(rulesFile, 'base-service', undefined, apps.untagged.port, pu);
  frontendOutbound = frontend.outbound;
  const sidecars = [frontend, blue, untagged];
  procs.push(...sidecars.map((s) => s.proc));

  let stopped = false;
  const close = async (): Promise<void> => {
    stopped = true;
    for (const p of procs) if (p.alive()) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    for (const s of servers) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const s of sidecars) {
      await until('a sidecar to be ready', async () => {
        if (!s.proc.alive()) throw new Error(s.proc.stderr());
        return (await request(s.metrics, { path: '/healthz/ready', timeoutMs: 1000 })).status === 200;
      }, 15_000);
    }
    const metricsUrls = sidecars.map((s) => `http://127.0.0.1:${s.metrics}/metrics`).join(',');
    const consoleProc = spawnCli(['console', '--config', rulesFile, '--metrics', metricsUrls, '--port', '0']);
    procs.push(consoleProc);
    let consoleUrl = '';
    await until('the console to print its URL', () => {
      if (!consoleProc.alive()) throw new Error(consoleProc.stderr());
      consoleUrl = /colormesh console: (http:\/\/\S+)/.exec(consoleProc.stdout())?.[1] ?? '';
      return consoleUrl !== '';
    }, 10_000);
    const traffic = { sent: 0, non200: 0 };
    const deadline = Date.now() + maxSeconds * 1000;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const worker = async (w: number): Promise<void> => {
      for (let i = 0; !stopped && Date.now() < deadline && i < maxSeconds * 20; i++) {
        const user = `user-${(i * 4 + w) % 200}`;
        const status = await new Promise<number>((resolve) => {
          const req = http.get({ host: '127.0.0.1', port: frontend.inbound, path: '/', agent, headers: { host: 'frontend:8080', 'x-user-id': user }, timeout: 5000 }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('timeout', () => req.destroy());
          req.on('error', () => resolve(0));
        });
        traffic.sent++;
        if (status !== 200) traffic.non200++;
        await sleep(100);
      }
    };
    for (let w = 0; w < 4; w++) void worker(w);
    return { dir, rulesFile, initialRules, consoleUrl, consolePort: Number(new URL(consoleUrl).port), console: consoleProc, traffic,
      metricsPorts: sidecars.map((s) => s.metrics), close: async () => {
      agent.destroy();
      await close();
    } };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The expected rule file after a write of these weights: the initial text with only the weights' line changed. */
export function rulesWithWeights(initial: string, weights: Record<string, number>): string {
  const inner = Object.entries(weights).map(([c, w]) => `${c}: ${w}`).join(', ');
  return initial.replace(/weights: \{ [^}]* \}/, `weights: { ${inner} }`);
}
