// A real DNS server for the dns discovery tests: dnsmasq on 127.0.0.1 and a random high port, answering
// only from a hosts file that the test rewrites (SIGHUP makes dnsmasq re-read it).
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { Resolver } from 'node:dns/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';

/** Names under this domain are answered from the hosts file only; anything missing is NXDOMAIN. */
export const TEST_DOMAIN = 'mesh.test';
/** A record whose address changes on every write, so we can tell when dnsmasq has loaded the new file. */
const GENERATION_HOST = `generation.${TEST_DOMAIN}`;

export function findDnsmasq(): string | undefined {
  return ['/usr/sbin/dnsmasq', '/usr/bin/dnsmasq', '/sbin/dnsmasq'].find((p) => existsSync(p));
}

export const DNSMASQ_SKIP = findDnsmasq() === undefined ? 'dnsmasq is not installed (apt-get install -y dnsmasq-base)' : false;

export class Dnsmasq {
  private child: ChildProcess | undefined;
  private generation = 0;
  private records: ReadonlyMap<string, readonly string[]> = new Map();
  private readonly probe = new Resolver({ timeout: 200, tries: 1 });
  private stderr = '';

  private constructor(
    private readonly binary: string,
    private readonly dir: string,
    readonly port: number,
  ) {
    this.probe.setServers([this.server]);
  }

  /** "127.0.0.1:port", for Resolver.setServers */
  get server(): string {
    return `127.0.0.1:${this.port}`;
  }

  static async start(): Promise<Dnsmasq> {
    const binary = findDnsmasq();
    if (binary === undefined) throw new Error('dnsmasq not installed');
    const dir = await mkdtemp(join(tmpdir(), 'colormesh-dnsmasq-'));
    let lastError: unknown;
    // A free port found by binding can be taken before dnsmasq binds it; try a few.
    for (let attempt = 0; attempt < 5; attempt++) {
      const server = new Dnsmasq(binary, dir, await freeUdpPort());
      try {
        await server.launch();
        return server;
      } catch (err) {
        lastError = err;
        await server.kill();
        server.probe.cancel();
      }
    }
    await rm(dir, { recursive: true, force: true });
    throw lastError;
  }

  /** Replaces every record: hostname (without the domain) → addresses (IPv4 or IPv6). Resolves once dnsmasq serves them. */
  async setRecords(records: ReadonlyMap<string, readonly string[]>): Promise<void> {
    this.records = records;
    await this.writeHostsFile();
    this.child?.kill('SIGHUP');
    await this.waitForGeneration();
  }

  /** Kills the server (queries then fail with ECONNREFUSED); `launch()` brings it back on the same port. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  }

  async launch(): Promise<void> {
    await this.writeHostsFile();
    const args = [
      '--keep-in-foreground',
      '--conf-file=/dev/null', // never read the machine's /etc/dnsmasq.conf
      '--no-resolv',
      '--no-hosts',
      `--addn-hosts=${join(this.dir, 'hosts')}`,
      '--listen-address=127.0.0.1',
      '--bind-interfaces',
      `--port=${this.port}`,
      `--local=/${TEST_DOMAIN}/`,
      '--local-ttl=0',
      '--pid-file=',
      '--log-facility=-',
    ];
    // As root dnsmasq would switch to "nobody", who cannot read our private temp directory.
    if (process.getuid?.() === 0) args.push('--user=root');
    const child = spawn(this.binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    const exited = once(child, 'exit').then(() => {
      throw new Error(`dnsmasq exited: ${this.stderr}`);
    });
    exited.catch(() => {}); // only awaited while starting
    await Promise.race([this.waitForGeneration(), exited]);
  }

  async close(): Promise<void> {
    this.probe.cancel();
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }

  private async writeHostsFile(): Promise<void> {
    this.generation += 1;
    const lines = [`127.2.${Math.floor(this.generation / 256) % 256}.${this.generation % 256} ${GENERATION_HOST}`];
    for (const [host, addresses] of this.records) {
      for (const address of addresses) lines.push(`${address} ${host}.${TEST_DOMAIN}`);
    }
    const path = join(this.dir, 'hosts');
    await writeFile(`${path}.tmp`, `${lines.join('\n')}\n`);
    await rename(`${path}.tmp`, path);
  }

  /** Polls (bounded: 5 s) until dnsmasq answers with the current generation. */
  private async waitForGeneration(): Promise<void> {
    const want = `127.2.${Math.floor(this.generation / 256) % 256}.${this.generation % 256}`;
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      try {
        const answer = await this.probe.resolve4(GENERATION_HOST);
        if (answer.includes(want)) return;
      } catch {
        // not up yet, or still serving the old file
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`dnsmasq did not serve generation ${this.generation} within 5 s: ${this.stderr}`);
  }
}

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}
