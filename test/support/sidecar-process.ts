// Real `colormesh run` / `colormesh gateway` processes on loopback for black-box fault tests, and the
// raw-socket tools to talk to them in ways Node's own HTTP client refuses to.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts, request, sleep } from './mesh.js';

export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');

export interface Ports {
  /** the outbound listener (run) */
  outbound: number;
  /** the inbound listener (run with --app-port) or the gateway's listener */
  inbound: number;
  admin: number;
  metrics: number;
}

export interface SidecarProcess {
  child: ChildProcess;
  pid: number;
  ports: Ports;
  /** the rule file the process watches */
  rulesFile: string;
  stdout(): string;
  stderr(): string;
  /** resolves with the exit code, or the signal name when killed */
  exited: Promise<number | string | null>;
  alive(): boolean;
  /** SIGKILL and remove the temporary directory; safe to call twice */
  kill(): Promise<void>;
}

export interface StartOptions {
  /** the rule file's text */
  rules: string;
  /** run: the local app's port (turns the inbound listener on) */
  appPort?: number;
  service?: string;
  color?: string;
  args?: string[];
  env?: Record<string, string>;
}

/** Spawns the CLI with the given arguments, capturing its output. */
export function spawnCli(args: string[], env: Record<string, string> = {}): Omit<SidecarProcess, 'ports' | 'rulesFile' | 'kill'> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const exited = new Promise<number | string | null>((r) => child.once('exit', (code, signal) => r(code ?? signal)));
  return {
    child,
    pid: child.pid as number,
    stdout: () => out,
    stderr: () => err,
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
  };
}

/** `colormesh run` with every listener on a free loopback port; resolves once it reports ready. */
export async function startRun(opts: StartOptions): Promise<SidecarProcess> {
  const [outbound, inbound, admin, metrics] = (await freePorts(4)) as [number, number, number, number];
  const args = ['run', '--outbound-port', String(outbound), '--inbound-port', String(inbound), '--admin-port', String(admin),
    '--metrics-port', String(metrics), '--bind', '127.0.0.1', '--drain-timeout-ms', '5000'];
  if (opts.appPort !== undefined) args.push('--app-port', String(opts.appPort));
  if (opts.service !== undefined) args.push('--service', opts.service);
  if (opts.color !== undefined) args.push('--color', opts.color);
  return start(args.concat(opts.args ?? []), opts, { outbound, inbound, admin, metrics });
}

/** `colormesh gateway --service SERVICE`; its listener is `ports.inbound` (`ports.outbound` is unused). */
export async function startGateway(opts: StartOptions & { service: string }): Promise<SidecarProcess> {
  const [port, admin, metrics] = (await freePorts(3)) as [number, number, number];
  const args = ['gateway', '--service', opts.service, '--port', String(port), '--admin-port', String(admin),
    '--metrics-port', String(metrics), '--bind', '127.0.0.1', '--drain-timeout-ms', '5000'];
  return start(args.concat(opts.args ?? []), opts, { outbound: 0, inbound: port, admin, metrics });
}

async function start(args: string[], opts: StartOptions, ports: Ports): Promise<SidecarProcess> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cm-fault-'));
  const rulesFile = path.join(dir, 'rules.yaml');
  writeFileSync(rulesFile, opts.rules);
  const p = spawnCli([...args, '--config', rulesFile], opts.env);
  let killed = false;
  const proc: SidecarProcess = {
    ...p,
    ports,
    rulesFile,
    async kill() {
      if (!killed) {
        killed = true;
        if (p.alive()) p.child.kill('SIGKILL');
        await p.exited;
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  try {
    await until('the sidecar to be ready', async () => {
      if (!p.alive()) throw new Error(`exited early: ${p.stderr()}`);
      return (await request(ports.metrics, { path: '/healthz/ready', timeoutMs: 1000 })).status === 200;
    }, 10_000);
  } catch (err) {
    await proc.kill();
    throw new Error(`${(err as Error).message}\nstderr: ${p.stderr().slice(-2000)}`);
  }
  return proc;
}

/** Polls `check` every 50 ms until it is true; rejects after `ms`. An exception in `check` counts as false. */
export async function until(what: string, check: () => Promise<boolean> | boolean, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await Promise.resolve().then(check).catch(() => false)) return;
    await sleep(50);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** Open file descriptors of a process (Linux). */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

export interface RawReply {
  /** everything the peer sent, as latin1 so every byte survives */
  text: string;
  /** the status code of the first response line, or 0 when there was none */
  status: number;
  /** the peer closed (or reset) the connection */
  closed: boolean;
  /** we gave up waiting */
  timedOut: boolean;
  ms: number;
}

export interface RawOptions {
  timeoutMs?: number;
  /** resolve as soon as this is true of what has arrived (the connection is then destroyed) */
  done?: (text: string) => boolean;
  /** sent after the first bytes of the reply arrive (an upgraded connection's payload) */
  then?: string | Buffer;
  /** give up early (counted as timed out) */
  signal?: AbortSignal;
}

/** Writes raw bytes to 127.0.0.1:port and collects the reply until close, `done`, or the timeout. */
export function raw(port: number, data: string | Buffer, opts: RawOptions = {}): Promise<RawReply> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let settled = false;
    let sentThen = false;
    const finish = (closed: boolean, timedOut: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, status: statusOf(text), closed, timedOut, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false, true), opts.timeoutMs ?? 3000);
    opts.signal?.addEventListener('abort', () => finish(false, true), { once: true });
    socket.on('connect', () => socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data));
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (opts.then !== undefined && !sentThen) {
        sentThen = true;
        socket.write(opts.then);
      }
      if (opts.done?.(text)) finish(false, false);
    });
    socket.on('error', () => finish(true, false));
    socket.on('close', () => finish(true, false));
  });
}

/** The status code of an HTTP/1.x response's first line; 0 if there is none. */
export function statusOf(text: string): number {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  return m ? Number(m[1]) : 0;
}

/** A whole response head has arrived (and, with Content-Length, its body). */
export function responseComplete(text: string): boolean {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const cl = /\r\ncontent-length:\s*(\d+)/i.exec(text.slice(0, end));
  if (cl) return text.length >= end + 4 + Number(cl[1]);
  return /\r\ntransfer-encoding:\s*chunked/i.test(text.slice(0, end)) ? text.includes('\r\n0\r\n\r\n', end) : true;
}

/** The header lines of the first response head in `text`, names lower-cased (repeats kept). */
export function headersOf(text: string): Array<[string, string]> {
  const head = text.split('\r\n\r\n')[0] ?? '';
  return head.split('\r\n').slice(1).map((line) => {
    const i = line.indexOf(':');
    return [line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim()] as [string, string];
  });
}

/** True while the process answers a control request through `port` with 200. */
export async function answers(port: number, headers: Record<string, string> = { host: 'svc' }): Promise<boolean> {
  try {
    return (await request(port, { headers, timeoutMs: 2000 })).status === 200;
  } catch {
    return false;
  }
}
