// Makes sure the peers and the load generator are installed (apt-get, Debian packages) and records
// the versions of everything the table depends on, so a result can be compared with another run's.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** command → Debian package that provides it */
const REQUIRED = { nginx: 'nginx', haproxy: 'haproxy', wrk: 'wrk', taskset: 'util-linux' };

function has(command) {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Installs whatever is missing; needs root (as on the project's machines and CI). */
export function ensureTools(log) {
  const missing = Object.entries(REQUIRED).filter(([command]) => !has(command)).map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  log(`installing with apt-get: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const asRoot = process.getuid?.() === 0;
  const run = (args) => {
    const argv = asRoot ? args : ['sudo', ...args];
    execFileSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'inherit'], env, timeout: 300_000 });
  };
  run(['apt-get', 'update', '-qq']);
  run(['apt-get', 'install', '-y', '-qq', ...missing]);
  const still = Object.keys(REQUIRED).filter((command) => !has(command));
  if (still.length) throw new Error(`still missing after apt-get: ${still.join(', ')}`);
}

/** First non-empty line of a command's version output (nginx and wrk print it on stderr, wrk exits 1). */
function versionOf(command, args) {
  const out = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 });
  return `${out.stdout ?? ''}\n${out.stderr ?? ''}`.split('\n').find((l) => l.trim() !== '')?.trim() ?? 'unknown';
}

function packageVersion(url) {
  try {
    return JSON.parse(readFileSync(url, 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

/** The machine and versions, for the JSON result and docs/performance.md. */
export function describeEnvironment() {
  const cpus = os.cpus();
  const root = new URL('../../', import.meta.url);
  return {
    node: process.version,
    kernel: os.release(),
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuCount: cpus.length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    nginx: versionOf('nginx', ['-v']),
    haproxy: versionOf('haproxy', ['-v']),
    wrk: versionOf('wrk', ['-v']),
    httpProxy: packageVersion(new URL('node_modules/http-proxy/package.json', root)),
    colormesh: packageVersion(new URL('package.json', root)),
    gitCommit: gitCommit(root),
  };
}

function gitCommit(root) {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${head}+uncommitted-src` : head;
  } catch {
    return 'unknown';
  }
}
