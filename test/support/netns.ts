// A throwaway "cluster" of Linux network namespaces for e2e tests: a bridge in its own namespace, pods on veth
// pairs with private addresses, per-pod hosts files. The host's own namespace and tables are never touched.
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

/** Every namespace we create starts with this, followed by our pid, so a sweep can find leftovers of dead runs. */
export const NETNS_PREFIX = 'cmte2e';

/** Why e2e tests cannot run here, or undefined when they can. */
export function netnsSkipReason(needs: { ipv6?: boolean } = {}): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces';
  for (const tool of ['ip', 'iptables', 'setpriv', 'curl', 'python3']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `"${tool}" is not installed (apt-get install iproute2 iptables util-linux curl python3)`;
  }
  const probe = `${NETNS_PREFIX}-${process.pid}-probe`;
  const made = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (made.status !== 0) return `cannot create a network namespace: ${made.stderr.trim()}`;
  const nat = spawnSync('ip', ['netns', 'exec', probe, 'iptables', '-w', '-t', 'nat', '-S'], { encoding: 'utf8' });
  const nat6 = needs.ipv6 ? spawnSync('ip', ['netns', 'exec', probe, 'ip6tables', '-w', '-t', 'nat', '-S'], { encoding: 'utf8' }) : undefined;
  spawnSync('ip', ['netns', 'del', probe]);
  if (nat.status !== 0) return `iptables nat table unusable: ${nat.stderr.trim()}`;
  if (nat6 !== undefined && nat6.status !== 0) return `ip6tables nat table unusable: ${nat6.stderr.trim()}`;
  return undefined;
}

/** Runs a command and throws with its stderr when it fails; for setup steps that must work. */
export function sh(command: string, args: readonly string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr || result.error?.message}`);
  return result.stdout;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Kills whatever still runs in a namespace, deletes it and its /etc/netns directory. Never throws. */
function deleteNamespace(name: string): void {
  const pids = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).stdout ?? '';
  for (const pid of pids.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  spawnSync('ip', ['netns', 'del', name]);
  rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
}

/** Deletes namespaces left by earlier runs that crashed before cleaning up (their pid is dead). */
export function sweepStaleNamespaces(): string[] {
  const listed = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  const stale: string[] = [];
  for (const line of listed.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const match = new RegExp(`^${NETNS_PREFIX}-(\\d+)-`).exec(name);
    if (match !== null && !pidAlive(Number(match[1]))) stale.push(name);
  }
  for (const name of stale) deleteNamespace(name);
  return stale;
}

export interface Pod {
  readonly name: string;
  readonly ns: string;
  readonly ip: string;
  /** every pod is dual-stack, so IPv6 interception can be tested too */
  readonly ip6: string;
}

export class Cluster {
  readonly pods = new Map<string, Pod>();
  private readonly bridgeNs: string;
  private readonly processes = new Set<ChildProcess>();
  /** Extra clean-up (temporary files) run by destroy, so it also happens on SIGINT/SIGTERM/exit. */
  readonly cleanups: (() => void)[] = [];
  private destroyed = false;
  private readonly onExit = (): void => this.destroy();
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    this.destroy();
    process.kill(process.pid, signal);
  };

  /** `subnet` is the first three octets of a /24 that only exists inside these namespaces. */
  private constructor(readonly id: string, readonly subnet: string) {
    this.bridgeNs = `${id}-net`;
  }

  /** Creates the bridge namespace and one namespace per pod, each with lo up and eth0 on the bridge. */
  static create(podNames: readonly string[]): Cluster {
    sweepStaleNamespaces();
    // A random third octet keeps two concurrent runs' addresses apart even though their namespaces already are.
    const subnet = `10.213.${Math.floor(Math.random() * 256)}`;
    const cluster = new Cluster(`${NETNS_PREFIX}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`, subnet);
    process.once('exit', cluster.onExit);
    process.once('SIGINT', cluster.onSignal);
    process.once('SIGTERM', cluster.onSignal);
    try {
      sh('ip', ['netns', 'add', cluster.bridgeNs]);
      sh('ip', ['-n', cluster.bridgeNs, 'link', 'set', 'lo', 'up']);
      sh('ip', ['-n', cluster.bridgeNs, 'link', 'add', 'br0', 'type', 'bridge']);
      sh('ip', ['-n', cluster.bridgeNs, 'link', 'set', 'br0', 'up']);
      podNames.forEach((name, index) => cluster.addPod(name, index));
    } catch (err) {
      cluster.destroy();
      throw err;
    }
    return cluster;
  }

  private addPod(name: string, index: number): void {
    const ns = `${this.id}-${name}`;
    const ip = `${this.subnet}.${index + 10}`;
    const ip6 = `fd00:213:${this.subnet.split('.')[2]}::${index + 10}`;
    const hostSide = `veth${index}`;
    sh('ip', ['netns', 'add', ns]);
    this.pods.set(name, { name, ns, ip, ip6 });
    sh('ip', ['-n', this.bridgeNs, 'link', 'add', hostSide, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    sh('ip', ['-n', this.bridgeNs, 'link', 'set', hostSide, 'master', 'br0', 'up']);
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    sh('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
    // nodad: usable at once, instead of after duplicate-address detection's second or two.
    sh('ip', ['-n', ns, 'addr', 'add', `${ip6}/64`, 'dev', 'eth0', 'nodad']);
    sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
  }

  pod(name: string): Pod {
    const pod = this.pods.get(name);
    if (pod === undefined) throw new Error(`no pod "${name}" in ${this.id}`);
    return pod;
  }

  /**
   * Writes the same hosts file into every pod (`ip netns exec` bind-mounts it over /etc/hosts):
   * each hostname → a pod's IPv4 address, or its IPv6 address for the names in `ipv6Names`.
   */
  writeHosts(names: Readonly<Record<string, string>>, ipv6Names: Readonly<Record<string, string>> = {}): void {
    const lines = ['127.0.0.1 localhost', '::1 localhost'];
    for (const [hostname, podName] of Object.entries(names)) lines.push(`${this.pod(podName).ip} ${hostname}`);
    for (const [hostname, podName] of Object.entries(ipv6Names)) lines.push(`${this.pod(podName).ip6} ${hostname}`);
    for (const pod of this.pods.values()) {
      mkdirSync(`/etc/netns/${pod.ns}`, { recursive: true });
      writeFileSync(`/etc/netns/${pod.ns}/hosts`, lines.join('\n') + '\n');
    }
  }

  /** Starts a long-running process inside a pod; it is killed on destroy. */
  spawn(podName: string, command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.pod(podName).ns, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    this.processes.add(child);
    child.once('exit', () => this.processes.delete(child));
    return child;
  }

  /** Runs a command to completion inside a pod. */
  exec(podName: string, command: string, args: readonly string[], timeoutMs = 30_000): { status: number; stdout: string; stderr: string } {
    const result = spawnSync('ip', ['netns', 'exec', this.pod(podName).ns, command, ...args], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return { status: result.status ?? -1, stdout: result.stdout ?? '', stderr: result.stderr ?? result.error?.message ?? '' };
  }

  /** Kills every process and deletes every namespace; safe to call more than once. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const child of this.processes) child.kill('SIGKILL');
    for (const pod of this.pods.values()) deleteNamespace(pod.ns);
    deleteNamespace(this.bridgeNs);
    for (const cleanup of this.cleanups) {
      try {
        cleanup();
      } catch {
        // best effort: the namespaces are what matters
      }
    }
    process.removeListener('exit', this.onExit);
    process.removeListener('SIGINT', this.onSignal);
    process.removeListener('SIGTERM', this.onSignal);
  }
}
