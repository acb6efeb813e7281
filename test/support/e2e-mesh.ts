// Runs colormesh in a netns cluster the way a Kubernetes pod does: `colormesh iptables apply` as root (the init
// container), the unmodified app, and `colormesh run` as uid 1337. Also drives load from a client pod.
import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster } from './netns.js';
import type { DriverPlan, DriverResult } from './e2e-driver.js';

/** dist/test/support → the repository root, where dist/ lives. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const COLORMESH = path.join(ROOT, 'dist/src/cli/main.js');
const APP = path.join(ROOT, 'dist/test/support/e2e-app.js');
const DRIVER = path.join(ROOT, 'dist/test/support/e2e-driver.js');
export const APP_PORT = 8080;
export const PROXY_UID = 1337;
/** A container's usual PATH: the system curl and python3, not a developer's shims (pyenv's cost ~0.2 s per call). */
const APP_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface PodDefinition {
  readonly name: string;
  /** the pod's service (--service); a pod without one is a plain client with no sidecar */
  readonly service?: string;
  readonly color?: string;
  /** the app's environment (NEXT, FORWARD, CLIENT, DELAY_MS); its POD/SERVICE/PORT are filled in */
  readonly app?: Readonly<Record<string, string>>;
}

export interface MeshDefinition {
  readonly pods: readonly PodDefinition[];
  /** hostname → pod whose IP it resolves to, in every pod's hosts file */
  readonly hosts: Readonly<Record<string, string>>;
  /** the rule file, given each pod's IP */
  readonly rules: (ip: (pod: string) => string) => string;
  /** hostname → pod whose IPv6 address it resolves to */
  readonly ipv6Hosts?: Readonly<Record<string, string>>;
  /** extra flags for `colormesh iptables apply` */
  readonly iptablesFlags?: readonly string[];
  /** extra flags for `colormesh run` */
  readonly sidecarFlags?: readonly string[];
}

/** Keeps the tail of a process's output, shown when a test fails. */
function captureTail(child: ChildProcess, label: string, logs: Map<string, string>): void {
  const append = (chunk: Buffer): void => {
    logs.set(label, ((logs.get(label) ?? '') + chunk.toString()).slice(-8000));
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
}

export class Mesh {
  readonly cluster: Cluster;
  readonly rulesPath: string;
  readonly apps = new Map<string, ChildProcess>();
  readonly sidecars = new Map<string, ChildProcess>();
  readonly logs = new Map<string, string>();
  private readonly dir: string;

  constructor(private readonly definition: MeshDefinition) {
    this.cluster = Cluster.create(definition.pods.map((p) => p.name));
    // The sidecar runs as uid 1337 and must read the rule file.
    this.dir = mkdtempSync(path.join(tmpdir(), 'colormesh-e2e-'));
    chmodSync(this.dir, 0o755);
    this.cluster.cleanups.push(() => rmSync(this.dir, { recursive: true, force: true }));
    this.rulesPath = path.join(this.dir, 'rules.yaml');
    writeFileSync(this.rulesPath, definition.rules((pod) => this.cluster.pod(pod).ip), { mode: 0o644 });
    this.cluster.writeHosts(definition.hosts, definition.ipv6Hosts);
  }

  definitionOf(pod: string): PodDefinition {
    const found = this.definition.pods.find((p) => p.name === pod);
    if (found === undefined) throw new Error(`no pod ${pod}`);
    return found;
  }

  /** iptables, app and sidecar in every pod that has a service; resolves when all are ready. */
  async start(): Promise<void> {
    const meshPods = this.definition.pods.filter((p) => p.service !== undefined);
    for (const pod of meshPods) this.applyIptables(pod.name, this.definition.iptablesFlags ?? []);
    await Promise.all(meshPods.map((pod) => this.startApp(pod.name)));
    await Promise.all(meshPods.map((pod) => this.startSidecar(pod.name)));
  }

  applyIptables(pod: string, flags: readonly string[]): void {
    const args = [COLORMESH, 'iptables', 'apply', '--app-port', String(APP_PORT), '--config', this.rulesPath, '--proxy-uid', String(PROXY_UID), ...flags];
    const result = this.cluster.exec(pod, process.execPath, args);
    if (result.status !== 0) throw new Error(`iptables apply in ${pod} failed: ${result.stderr}`);
  }

  /** (Re)starts a pod's app with its defined environment plus `overrides`; resolves once it listens. */
  async startApp(pod: string, overrides: Readonly<Record<string, string>> = {}): Promise<void> {
    const previous = this.apps.get(pod);
    if (previous !== undefined && previous.exitCode === null && previous.signalCode === null) {
      previous.kill('SIGKILL');
      await once(previous, 'exit');
    }
    const def = this.definitionOf(pod);
    const env = { PATH: APP_PATH, POD: pod, SERVICE: def.service ?? '', PORT: String(APP_PORT), ...def.app, ...overrides };
    const child = this.cluster.spawn(pod, process.execPath, [APP], { env });
    captureTail(child, `app ${pod}`, this.logs);
    this.apps.set(pod, child);
    await waitForOutput(child, /listening/, 10_000, `app ${pod}`);
  }

  async startSidecar(pod: string): Promise<ChildProcess> {
    const def = this.definitionOf(pod);
    const args = ['--reuid', String(PROXY_UID), '--regid', String(PROXY_UID), '--clear-groups', process.execPath, COLORMESH, 'run'];
    args.push('--config', this.rulesPath, '--service', def.service ?? '', '--app-port', String(APP_PORT), '--log-level', 'warn', '--drain-timeout-ms', '10000');
    if (def.color !== undefined) args.push('--color', def.color);
    args.push(...(this.definition.sidecarFlags ?? []));
    const child = this.cluster.spawn(pod, 'setpriv', args, { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } });
    captureTail(child, `sidecar ${pod}`, this.logs);
    this.sidecars.set(pod, child);
    await this.waitReady(pod, child);
    return child;
  }

  /** Polls the sidecar's /healthz/ready from inside its pod. */
  private async waitReady(pod: string, child: ChildProcess): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`sidecar ${pod} exited with ${child.exitCode}:\n${this.logs.get(`sidecar ${pod}`) ?? ''}`);
      const probe = this.cluster.exec(pod, 'curl', ['-sf', '-o', '/dev/null', '--max-time', '1', 'http://127.0.0.1:15020/healthz/ready'], 3000);
      if (probe.status === 0) return;
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new Error(`sidecar ${pod} not ready within 20 s:\n${this.logs.get(`sidecar ${pod}`) ?? ''}`);
  }

  /** Sends the plan's requests from a pod (one without a sidecar, normally) and collects every result. */
  async drive(fromPod: string, plan: DriverPlan): Promise<DriverResult[]> {
    const child = this.cluster.spawn(fromPod, process.execPath, [DRIVER, JSON.stringify(plan)]);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`driver exited with ${code}: ${stderr}`);
    return stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as DriverResult);
  }

  /** How many times a pod's app printed `line` (kept in the log tail, so for small counts only). */
  appOutputCount(pod: string, line: string): number {
    return (this.logs.get(`app ${pod}`) ?? '').split('\n').filter((l) => l === line).length;
  }

  /** The last lines each process printed, for a failing test's message. */
  diagnostics(): string {
    return [...this.logs].map(([label, text]) => `--- ${label}\n${text.slice(-1500)}`).join('\n');
  }

  destroy(): void {
    this.cluster.destroy();
  }
}

async function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number, label: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${label}: no "${pattern.source}" within ${timeoutMs} ms: ${seen}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited with ${code} before it was ready: ${seen}`));
    });
  });
}
