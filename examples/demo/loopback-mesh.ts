// The demos' loopback mesh: plain apps, each behind its own `colormesh run`, on free 127.0.0.1 ports,
// with one shared rule file. Shared by `npm run demo` and `npm run demo:rollout`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const CLI = path.resolve(here, '../../src/cli/main.js');
export const APP = path.resolve(here, '../apps/service.js');

export interface Pod {
  service: string;
  version: 'blue' | 'green' | 'untagged';
  next?: string;
  /** extra environment for the app (e.g. FAIL_PERCENT for a faulty version) */
  appEnv?: Record<string, string>;
  appPort: number;
  ports: { inbound: number; outbound: number; admin: number; metrics: number };
}

/** Ports each pod takes: the app's, then its sidecar's inbound, outbound, admin and metrics. */
export const PORTS_PER_POD = 5;

/**
 * Ports for the whole mesh, all different. They come from below Linux's ephemeral range (32768+),
 * so no outgoing connection can take one before its listener binds, and each is held open until
 * all are chosen, so the same port is never handed out twice.
 */
export async function freePorts(count: number): Promise<number[]> {
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

/** Takes this pod's ports off the front of `ports`. */
export function makePod(service: string, version: Pod['version'], ports: number[], next?: string, appEnv?: Record<string, string>): Pod {
  const take = (): number => ports.shift() as number;
  return {
    service, version, ...(next ? { next } : {}), ...(appEnv ? { appEnv } : {}),
    appPort: take(),
    ports: { inbound: take(), outbound: take(), admin: take(), metrics: take() },
  };
}

/** The `services:` part of the rule file: every pod's sidecar inbound port as an endpoint of its service. */
export function servicesYaml(pods: readonly Pod[]): string[] {
  const lines = ['services:'];
  for (const service of [...new Set(pods.map((p) => p.service))]) {
    lines.push(`  ${service}:`, '    port: 8080', '    endpoints:');
    for (const p of pods.filter((q) => q.service === service)) {
      const color = p.version === 'untagged' ? '' : `, color: ${p.version}`;
      lines.push(`      - { address: "127.0.0.1:${p.ports.inbound}"${color} }`);
    }
  }
  return lines;
}

export class LoopbackMesh {
  readonly children: ChildProcess[] = [];
  /** each pod's app process, so a demo can restart one version (e.g. with a fault) */
  readonly apps = new Map<Pod, ChildProcess>();
  readonly tmp: string;
  readonly rulesPath: string;

  constructor(prefix = 'colormesh-demo-') {
    this.tmp = mkdtempSync(path.join(os.tmpdir(), prefix));
    this.rulesPath = path.join(this.tmp, 'rules.yaml');
  }

  writeRules(text: string): void {
    writeFileSync(this.rulesPath, text);
  }

  spawn(cmd: string, args: string[], env: NodeJS.ProcessEnv, label: string, stdout: 'ignore' | 'pipe' = 'ignore'): ChildProcess {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', stdout, 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[${label}] ${d}`));
    this.children.push(child);
    return child;
  }

  /** Starts every pod's app and sidecar, then waits (up to 20 s) until all are ready. */
  async start(pods: readonly Pod[], sidecarArgs: readonly string[] = []): Promise<void> {
    for (const p of pods) {
      const label = `${p.service}/${p.version}`;
      this.startApp(p);
      this.spawn(process.execPath, [CLI, 'run', '--config', this.rulesPath, '--service', p.service,
        ...(p.version === 'untagged' ? [] : ['--color', p.version]),
        '--app-port', String(p.appPort), '--inbound-port', String(p.ports.inbound), '--outbound-port', String(p.ports.outbound),
        '--admin-port', String(p.ports.admin), '--metrics-port', String(p.ports.metrics), '--bind', '127.0.0.1', '--log-level', 'warn',
        ...sidecarArgs], {}, `sidecar ${label}`);
    }
    const deadline = Date.now() + 20_000;
    for (const p of pods) {
      await waitReady(p.ports.metrics, '/healthz/ready', deadline);
      await waitReady(p.appPort, '/healthz', deadline);
    }
  }

  /** Starts (or, after the old one exited, restarts) a pod's app with extra environment. */
  startApp(p: Pod, extraEnv: Record<string, string> = {}): ChildProcess {
    const app = this.spawn(process.execPath, [APP], {
      NAME: p.service, VERSION: p.version, PORT: String(p.appPort), HOST: '127.0.0.1',
      ...(p.next ? { NEXT: p.next, HTTP_PROXY: `http://127.0.0.1:${p.ports.outbound}` } : {}),
      ...p.appEnv, ...extraEnv,
    }, `${p.service}/${p.version}`);
    this.apps.set(p, app);
    return app;
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
      setTimeout(() => c.kill('SIGKILL'), 5000).unref();
    })));
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

export async function waitReady(port: number, pathname: string, deadline: number): Promise<void> {
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

export function fetchText(port: number, pathname: string): Promise<string> {
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

/** One demo user's request to the entry point's sidecar: the status and body, or the error that ended it (status 0). */
export function askFrontend(port: number, user: string, agent: http.Agent, timeoutMs: number): Promise<{ status: number; text: string; error?: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent, headers: { host: 'frontend:8080', 'x-user-id': user }, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', (err) => resolve({ status: 0, text, error: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: 0, text: '', error: err.message }));
  });
}
