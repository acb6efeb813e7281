// Child processes for the bench: start them pinned to a CPU, wait for their port, read their CPU time
// and peak RSS from /proc, and make sure every one of them is gone when the bench ends.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, openSync, closeSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/** The bench runs on a 2-core machine: the proxy under test gets CPU 1, load generator and upstream CPU 0. */
export const PROXY_CPU = '1';
export const LOAD_CPU = '0';

const running = new Set();

/** Niceness for everything the bench starts (0 = unchanged); see setNice. */
let niceness = 0;

/**
 * On a shared machine, other jobs' CPU use lands in the numbers; a negative niceness (root only) gives
 * the bench's processes nearly all of the CPU time when they compete. Applies to this process too.
 */
export function setNice(value) {
  niceness = value;
  if (value === 0) return;
  os.setPriority(0, value);
  // With autogroup scheduling (the default on desktop-style kernels) niceness only ranks processes of
  // one session against each other; the session's own group weight is what competes with other jobs.
  // The group is the caller's whole terminal session, so restoreNice() puts it back when the bench ends.
  try {
    autogroupBefore ??= /nice (-?\d+)/.exec(readFileSync('/proc/self/autogroup', 'utf8'))?.[1];
    writeFileSync('/proc/self/autogroup', String(value));
  } catch { /* no autogroup: niceness suffices */ }
}

let autogroupBefore;

/** Undoes setNice's change to the session's autogroup (the processes' own niceness dies with them). */
export function restoreNice() {
  if (autogroupBefore === undefined) return;
  try { writeFileSync('/proc/self/autogroup', autogroupBefore); } catch { /* nothing to undo */ }
  autogroupBefore = undefined;
}

/** SCHED_FIFO priority for the latency phase when --realtime is on; see setRealtime. */
export const RT_PRIORITY = '20';

/**
 * argv that runs `command args` pinned to `cpu` (when given), at the bench's niceness or, with
 * `realtime`, under SCHED_FIFO; each wrapper execs the next, so the pid is the command's own.
 */
function pinnedArgv(cpu, command, args, realtime = false) {
  const pinned = cpu === undefined ? [command, ...args] : ['taskset', '-c', cpu, command, ...args];
  // Below RT_PRIORITY: the generator spins while a request is in flight, and the upstream sharing its
  // CPU must preempt it to answer (equal SCHED_FIFO priorities never preempt each other).
  if (realtime) return ['chrt', '-f', String(Number(RT_PRIORITY) - 10), ...pinned];
  return niceness !== 0 ? ['nice', '-n', String(niceness), ...pinned] : pinned;
}

/**
 * Moves the main thread of every process in the given trees to SCHED_FIFO (on) or back to normal scheduling.
 * Used only around the constant-rate phase, which is light: under SCHED_FIFO a woken process runs at
 * once instead of waiting for another job's time slice, which on a shared machine is milliseconds of
 * tail latency that belongs to nobody in the table. Every path gets the same treatment.
 */
export async function setRealtime(rootPids, on) {
  const policy = on ? ['-f', RT_PRIORITY] : ['-o', '0'];
  for (const root of rootPids) {
    for (const pid of processTree(root)) {
      // Main threads only: node's helper threads (GC, compiler, libuv pool) share the pinned CPU, and a
      // SCHED_FIFO helper could not be preempted by its own main thread, only the other way round.
      await runPinned(undefined, 'chrt', [policy[0], '-p', policy[1], String(pid)], { timeoutMs: 5000 }).catch(() => {});
    }
  }
}

/** Clock ticks per second for /proc/<pid>/stat; 100 on every Linux the bench targets (getconf CLK_TCK). */
const CLOCK_TICKS = 100;

/**
 * Spawns `command args` under `taskset -c cpu`, with output to `logFile` (or discarded), and tracks it
 * so stopAll() can end it. nice and taskset exec the command, so the pid returned is the command's own.
 */
export function startPinned(name, cpu, command, args, { logFile, env } = {}) {
  const fd = logFile ? openSync(logFile, 'a') : 'ignore';
  const argv = pinnedArgv(cpu, command, args);
  const child = spawn(argv[0], argv.slice(1), {
    stdio: ['ignore', fd, fd],
    env: { ...process.env, ...(env ?? {}) },
  });
  if (typeof fd === 'number') closeSync(fd);
  const proc = { name, child, pid: child.pid, exited: false, exitCode: null };
  child.on('exit', (code, signal) => {
    proc.exited = true;
    proc.exitCode = code ?? signal;
    running.delete(proc);
  });
  running.add(proc);
  return proc;
}

/** Runs a command to completion (pinned when `cpu` is given) and returns its stdout; bounded by `timeoutMs`. */
export function runPinned(cpu, command, args, { timeoutMs, env, realtime } = {}) {
  return new Promise((resolve, reject) => {
    const argv = pinnedArgv(cpu, command, args, realtime);
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...(env ?? {}) } });
    const proc = { name: command, child, pid: child.pid, exited: false };
    running.add(proc);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      proc.exited = true;
      running.delete(proc);
      if (code === 0) resolve(out);
      else reject(new Error(`${command} exited with ${code ?? signal}: ${err.trim().slice(0, 2000)}`));
    });
  });
}

/** Waits until something accepts TCP connections on 127.0.0.1:port, or fails after `timeoutMs`. */
export async function waitForPort(port, proc, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc?.exited) throw new Error(`${proc.name} exited (${proc.exitCode}) before listening on ${port}`);
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`${proc?.name ?? 'process'} did not listen on ${port} within ${timeoutMs} ms`);
}

/** Asks the kernel for `count` distinct free loopback ports (held open together so they differ). */
export async function freePorts(count) {
  const servers = [];
  for (let i = 0; i < count; i++) {
    const server = net.createServer();
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
  }
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** The pid and all its descendants (nginx's master has a worker; taskset has already exec'd). */
export function processTree(pid) {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    let tasks;
    try { tasks = readdirSync(`/proc/${pids[i]}/task`); } catch { continue; }
    for (const tid of tasks) {
      try {
        const children = readFileSync(`/proc/${pids[i]}/task/${tid}/children`, 'utf8').trim();
        if (children) for (const c of children.split(/\s+/)) pids.push(Number(c));
      } catch { /* the task ended meanwhile */ }
    }
  }
  return pids;
}

/**
 * CPU seconds of one process: the scheduler's own run-time counter (/proc/<pid>/task/<tid>/schedstat,
 * nanoseconds, exact at every context switch) summed over its threads. utime + stime is a fallback
 * only: with tick-based accounting (HZ=250 here) it is a 4 ms sample, and with tickless idle it is
 * biased against a process that wakes briefly and often, which is exactly a proxy at 1000 req/s.
 */
export function cpuSeconds(pid) {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try { ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]); } catch { /* thread ended */ }
    }
    return ns / 1e9;
  } catch {
    return statCpuSeconds(pid);
  }
}

/**
 * utime + stime of one process from /proc/<pid>/stat, in seconds: what `ps`/`top` and an outside
 * check read. Tick-sampled (4 ms here), so exact enough only over a busy window such as saturation.
 */
export function statCpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Sum of utime + stime over the given processes' trees (see statCpuSeconds). */
export function treeStatCpuSeconds(pids) {
  let total = 0;
  for (const root of pids) {
    for (const pid of processTree(root)) {
      try { total += statCpuSeconds(pid); } catch { /* gone */ }
    }
  }
  return total;
}

/** Sum of CPU seconds over the given processes' trees (ended processes count as 0). */
export function treeCpuSeconds(pids) {
  let total = 0;
  for (const root of pids) {
    for (const pid of processTree(root)) {
      try { total += cpuSeconds(pid); } catch { /* gone */ }
    }
  }
  return total;
}

/** A field of /proc/<pid>/status in MB (VmHWM = peak RSS, VmRSS = current RSS). */
export function statusMb(pid, field) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) / 1024 : 0;
}

/** Ends one process: SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function stop(proc, graceMs = 3000) {
  if (proc.exited) return;
  const exited = new Promise((resolve) => proc.child.once('exit', resolve));
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Ends every process this module started that is still running, except those in `keep`. */
export async function stopAll(keep = []) {
  await Promise.all([...running].filter((proc) => !keep.includes(proc)).map((proc) => stop(proc)));
}

/** Synchronous last resort for exit paths (uncaught errors, Ctrl-C). */
export function killAllNow() {
  for (const proc of running) {
    try { proc.child.kill('SIGKILL'); } catch { /* already gone */ }
  }
  restoreNice();
}
