// A small real mesh for rollout tests: in-process apps on port 0 (a frontend that calls `web`, and web in
// blue and green, green with a fault knob), each behind a `colormesh run` child process, one shared rule
// file, steady traffic with sticky users, and every request's lane and answer recorded.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from './mesh.js';

export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface Sent {
  readonly sentAt: number;
  readonly status: number;
  /** the color the web app saw in its baggage ('-' for none or no answer) */
  readonly lane: string;
}

interface SidecarPorts {
  inbound: number;
  outbound: number;
  admin: number;
  metrics: number;
}

export class RolloutMesh {
  /** percent of requests green's web app answers 500 */
  greenFailPercent = 0;
  readonly dir: string;
  readonly rulesPath: string;
  readonly sent: Sent[] = [];
  private readonly servers: http.Server[] = [];
  private readonly children: ChildProcess[] = [];
  private sidecars: Array<{ name: string; ports: SidecarPorts }> = [];
  private traffic: Promise<void> | undefined;
  private stopTraffic = false;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'colormesh-rollout-'));
    this.rulesPath = join(this.dir, 'rules.yaml');
  }

  get metricsUrls(): string[] {
    return this.sidecars.map((s) => `http://127.0.0.1:${s.ports.metrics}/metrics`);
  }

  /** The rule file for this mesh, with the split written as given (e.g. `{ blue: 100, green: 0 }`). */
  rules(weights: string): string {
    const [frontend, blue, green] = this.sidecars.map((s) => s.ports) as [SidecarPorts, SidecarPorts, SidecarPorts];
    return [
      '# rollout test rules: this comment and the odd spacing below must survive every write',
      'version: 1',
      'colors: [blue, green]',
      'ingress:',
      '  entrypoints: [frontend]',
      '  split:',
      `    weights:   ${weights}   # the split`,
      "    stickyBy: { header: 'x-user-id' }",
      'services:',
      '  frontend:',
      '    port: 8080',
      `    endpoints: [{ address: "127.0.0.1:${frontend.inbound}" }]`,
      '  web:',
      '    port: 8080',
      '    defaultColor: blue',
      '    endpoints:',
      `      - { address: "127.0.0.1:${blue.inbound}", color: blue }`,
      `      - { address: "127.0.0.1:${green.inbound}", color: green }`,
      '',
    ].join('\n');
  }

  async start(): Promise<void> {
    // The apps bind port 0 first, so the ports held for the sidecars below cannot be handed to them.
    let frontendOutbound = 0;
    const frontendApp = await this.app((req, res) => this.callWeb(frontendOutbound, req, res));
    const blueApp = await this.app((req, res) => reply(res, 200, { version: 'blue', baggage: req.headers.baggage ?? null }));
    const greenApp = await this.app((req, res) => {
      if (Math.random() * 100 < this.greenFailPercent) return reply(res, 500, { version: 'green', error: 'injected fault' });
      reply(res, 200, { version: 'green', baggage: req.headers.baggage ?? null });
    });
    const ports = await freePorts(12);
    const take = (): SidecarPorts => ({ inbound: ports.shift()!, outbound: ports.shift()!, admin: ports.shift()!, metrics: ports.shift()! });
    this.sidecars = [{ name: 'frontend', ports: take() }, { name: 'web-blue', ports: take() }, { name: 'web-green', ports: take() }];
    frontendOutbound = this.sidecars[0]!.ports.outbound;
    writeFileSync(this.rulesPath, this.rules('{ blue: 100, green: 0 }'));
    const apps = [frontendApp, blueApp, greenApp];
    const identities: Array<[string, string | undefined]> = [['frontend', undefined], ['web', 'blue'], ['web', 'green']];
    this.sidecars.forEach((s, i) => {
      const [service, color] = identities[i]!;
      const args = [CLI, 'run', '--config', this.rulesPath, '--service', service, ...(color ? ['--color', color] : []),
        '--app-port', String(apps[i]), '--inbound-port', String(s.ports.inbound), '--outbound-port', String(s.ports.outbound),
        '--admin-port', String(s.ports.admin), '--metrics-port', String(s.ports.metrics), '--bind', '127.0.0.1', '--log-level', 'error'];
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[sidecar ${s.name}] ${d}`));
      this.children.push(child);
    });
    const deadline = Date.now() + 20_000;
    for (const s of this.sidecars) await waitFor200(s.ports.metrics, '/healthz/ready', deadline);
  }

  /** The rules hash each sidecar has in force, from its admin /config. */
  async configHashes(): Promise<string[]> {
    return Promise.all(this.sidecars.map(async (s) => {
      const response = await fetch(`http://127.0.0.1:${s.ports.admin}/config`);
      return ((await response.json()) as { hash?: string }).hash ?? '';
    }));
  }

  /** Starts steady traffic from 500 sticky users to the frontend's sidecar. */
  startTraffic(): void {
    this.stopTraffic = false;
    const port = this.sidecars[0]!.ports.inbound;
    const worker = async (): Promise<void> => {
      while (!this.stopTraffic) {
        this.sent.push(await this.send(port, `user-${Math.floor(Math.random() * 500)}`));
        await new Promise((r) => setTimeout(r, 3));
      }
    };
    this.traffic = Promise.all(Array.from({ length: 4 }, worker)).then(() => undefined);
  }

  async endTraffic(): Promise<void> {
    this.stopTraffic = true;
    await this.traffic;
  }

  /** Runs `colormesh rollout` with the given flags; resolves with its exit code and output. */
  rollout(args: readonly string[], onStdoutLine?: (line: string, child: ChildProcess) => void): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI, 'rollout', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8');
      child.stderr.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        stdout += chunk;
        if (onStdoutLine) for (const line of chunk.split('\n')) if (line !== '') onStdoutLine(line, child);
      });
      child.stderr.on('data', (chunk: string) => (stderr += chunk));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      });
    });
  }

  async stop(): Promise<void> {
    await this.endTraffic();
    this.agent.destroy();
    await Promise.all(this.children.map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    })));
    for (const server of this.servers) server.closeAllConnections();
    await Promise.all(this.servers.map((s) => new Promise((r) => s.close(r))));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async app(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<number> {
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => handler(req, res));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    this.servers.push(server);
    return (server.address() as AddressInfo).port;
  }

  /** The frontend app: calls web through its sidecar's outbound port (explicit proxy), passing baggage on. */
  private callWeb(outbound: number, req: http.IncomingMessage, res: http.ServerResponse): void {
    const headers: Record<string, string> = { host: 'web:8080' };
    if (typeof req.headers.baggage === 'string') headers['baggage'] = req.headers.baggage;
    const out = http.get({ host: '127.0.0.1', port: outbound, path: 'http://web:8080/', headers, agent: this.agent }, (upstream) => {
      let text = '';
      upstream.setEncoding('utf8');
      upstream.on('data', (c: string) => (text += c));
      upstream.on('end', () => {
        res.writeHead(upstream.statusCode === 200 ? 200 : 502, { 'content-type': 'application/json' });
        res.end(text);
      });
    });
    out.on('error', (err) => reply(res, 502, { error: err.message }));
  }

  private send(port: number, user: string): Promise<Sent> {
    const sentAt = Date.now();
    return new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent: this.agent, headers: { host: 'frontend:8080', 'x-user-id': user }, timeout: 10_000 }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ sentAt, status: res.statusCode ?? 0, lane: /color=([a-z0-9-]+)/.exec(text)?.[1] ?? (/"version":"(\w+)"/.exec(text)?.[1] ?? '-') }));
        res.on('error', () => resolve({ sentAt, status: 0, lane: '-' }));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => resolve({ sentAt, status: 0, lane: '-' }));
    });
  }
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function waitFor200(port: number, path: string, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path, timeout: 500 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing ready on 127.0.0.1:${port}${path}`);
}
