// `npm run demo:rollout`: progressive delivery on the loopback mesh. Steady traffic from many users flows
// through frontend → order-service (blue, green) → base-service while `colormesh rollout` runs twice:
//   1. a healthy green order-service is promoted 10 → 25 → 50 → 100 %;
//   2. after `--abort` puts everyone back on blue, a faulty green (30 % of its answers are 500) is rolled
//      back by itself at the first judgement.
// It prints each step, the rollback moment, requests per lane before and after it, how long the sidecars
// took to follow the rollback write, and how many requests got no answer; exit 0 when both ended as expected.
import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import http from 'node:http';
import { askFrontend, CLI, freePorts, LoopbackMesh, makePod, PORTS_PER_POD, servicesYaml, waitReady, type Pod } from './loopback-mesh.js';

const INTERVAL = process.env['DEMO_INTERVAL'] ?? '3s';
const FAIL_PERCENT = '30';
const CONCURRENCY = 6;
const USERS = 2000;

interface Sent {
  sentAt: number;
  status: number;
  /** the lane the frontend's sidecar gave the request, from the baggage the apps saw */
  lane: string;
}

let mesh: LoopbackMesh | undefined;
let stopTraffic = false;
const sent: Sent[] = [];

function rulesFor(pods: Pod[]): string {
  return [
    '# yaml-language-server: $schema=../../schema/rules.schema.json',
    'version: 1',
    'colors: [blue, green]',
    'ingress:',
    '  entrypoints: [frontend]',
    '  split:',
    '    # the rollout rewrites only the two numbers below',
    '    weights: { blue: 100, green: 0 }',
    '    stickyBy: { header: x-user-id }',
    ...servicesYaml(pods),
  ].join('\n') + '\n';
}

async function sendOne(port: number, agent: http.Agent): Promise<Sent> {
  const user = `user-${Math.floor(Math.random() * USERS)}`;
  const sentAt = Date.now();
  const { status, text } = await askFrontend(port, user, agent, 10_000);
  return { sentAt, status, lane: status === 0 ? '-' : /color=([a-z0-9-]+)/.exec(text)?.[1] ?? '-' };
}

/** Steady traffic until told to stop; every request is recorded, answered or not. */
async function traffic(port: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const worker = async (): Promise<void> => {
    while (!stopTraffic) {
      sent.push(await sendOne(port, agent));
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  agent.destroy();
}

interface RolloutRun {
  code: number;
  /** when the rollout said it rolled back (its stderr line), if it did */
  rolledBackAt: number | undefined;
}

/** Runs `colormesh rollout`, echoing its lines with a prefix and noting when it rolls back. */
function rollout(args: string[]): Promise<RolloutRun> {
  return new Promise((resolve) => {
    let rolledBackAt: number | undefined;
    const child: ChildProcess = spawn(process.execPath, [CLI, 'rollout', '--config', (mesh as LoopbackMesh).rulesPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const echo = (prefix: string) => (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue;
        if (line.startsWith('rolled back')) rolledBackAt ??= Date.now();
        console.log(`  ${prefix} ${line}`);
      }
    };
    child.stdout?.on('data', echo('│'));
    child.stderr?.on('data', echo('»'));
    child.on('exit', (code) => resolve({ code: code ?? 1, rolledBackAt }));
  });
}

function countLanes(requests: readonly Sent[]): string {
  const counts = new Map<string, { n: number; errors: number }>();
  for (const r of requests) {
    const c = counts.get(r.lane) ?? { n: 0, errors: 0 };
    c.n++;
    if (r.status >= 500 || r.status === 0) c.errors++;
    counts.set(r.lane, c);
  }
  return [...counts].sort().map(([lane, c]) => `${lane} ${c.n} (${c.errors} 5xx)`).join(', ') || 'none';
}

async function restartWith(pod: Pod, env: Record<string, string>): Promise<void> {
  const old = (mesh as LoopbackMesh).apps.get(pod);
  if (old !== undefined && old.exitCode === null && old.signalCode === null) {
    await new Promise<void>((resolve) => {
      old.once('exit', () => resolve());
      old.kill('SIGKILL');
    });
  }
  (mesh as LoopbackMesh).startApp(pod, env);
  await waitReady(pod.appPort, '/healthz', Date.now() + 10_000);
}

async function main(): Promise<number> {
  const started = Date.now();
  mesh = new LoopbackMesh('colormesh-rollout-demo-');
  const ports = await freePorts(4 * PORTS_PER_POD);
  const pods = [
    makePod('frontend', 'untagged', ports, 'http://order-service:8080/'),
    makePod('order-service', 'blue', ports, 'http://base-service:8080/'),
    makePod('order-service', 'green', ports, 'http://base-service:8080/'),
    makePod('base-service', 'untagged', ports),
  ];
  mesh.writeRules(rulesFor(pods));
  console.log(`colormesh rollout demo: frontend → order-service (blue, green) → base-service; rules in ${mesh.rulesPath}\n`);
  await mesh.start(pods);
  const metrics = pods.map((p) => `http://127.0.0.1:${p.ports.metrics}/metrics`).join(',');
  const common = ['--to', 'green', '--from', 'blue', '--metrics', metrics, '--interval', INTERVAL, '--min-requests', '10'];
  const entry = pods[0] as Pod;
  const load = traffic(entry.ports.inbound);
  await new Promise((r) => setTimeout(r, 1000));

  console.log('1. a healthy green, promoted 10 → 25 → 50 → 100 %');
  const first = await rollout(common);
  console.log(`   exit ${first.code} (${first.code === 0 ? 'promoted' : 'NOT promoted'}); traffic so far: ${countLanes(sent)}\n`);

  console.log('2. everyone back on blue (--abort), then a faulty green: 30 % of its answers are 500');
  const abort = await rollout(['--to', 'green', '--from', 'blue', '--abort']);
  await restartWith(pods[2] as Pod, { FAIL_PERCENT });
  const beforeSecond = sent.length;
  const second = await rollout(common);
  await new Promise((r) => setTimeout(r, 1500));
  stopTraffic = true;
  await load;

  const during = sent.slice(beforeSecond);
  // The rollback is the last write of the rule file: its mtime is the moment the sidecars could see it.
  const at = second.rolledBackAt === undefined ? undefined : statSync((mesh as LoopbackMesh).rulesPath).mtimeMs;
  console.log(`   exit ${second.code} (${second.code === 1 ? 'rolled back' : 'NOT rolled back'})`);
  let followedMs: number | undefined;
  if (at !== undefined) {
    const before = during.filter((r) => r.sentAt < at);
    const after = during.filter((r) => r.sentAt >= at);
    const lastGreen = after.filter((r) => r.lane === 'green').reduce((m, r) => Math.max(m, r.sentAt), at);
    followedMs = Math.round(lastGreen - at);
    console.log(`   requests per lane before the rollback: ${countLanes(before)}`);
    console.log(`   requests per lane after the rollback:  ${countLanes(after)}`);
    console.log(`   last green request sent ${followedMs} ms after the rollback write (every sidecar routes by the new weights)`);
  }
  const lost = sent.filter((r) => r.status === 0).length;
  console.log(`\n${sent.length} requests during both rollouts; ${lost} got no answer. Demo took ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  const ok = first.code === 0 && abort.code === 0 && second.code === 1 && lost === 0;
  console.log(ok ? 'both rollouts ended as expected' : 'UNEXPECTED outcome');
  return ok ? 0 : 1;
}

let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) return;
  interrupted = true;
  stopTraffic = true;
  console.log('\ninterrupted: stopping the mesh');
  void (mesh?.stop() ?? Promise.resolve()).then(() => process.exit(130));
});

main().then(
  async (code) => {
    if (interrupted) return;
    await mesh?.stop();
    process.exit(code);
  },
  async (err: Error) => {
    if (interrupted) return;
    console.error(`demo failed: ${err.message}`);
    stopTraffic = true;
    await mesh?.stop();
    process.exit(1);
  },
);
