// `npm run demo`: a local mesh on loopback, no Kubernetes. Six plain apps, each behind its own
// `colormesh run`; a client sends ~1000 requests to the entry point and a table shows, per hop,
// how many requests of each color reached which version and how many fell back.
//
//   frontend (entry point: 80/20 blue/green split, sticky by x-user-id)
//     → order-service  (blue, untagged)
//       → base-service (blue, green, untagged)
//
// With `--console` (npm run demo -- --console) the mesh keeps running under steady traffic and the
// release console is started against it; Ctrl-C stops everything.
import http from 'node:http';
import { startConsoleDemo } from './console-demo.js';
import { askFrontend, fetchText, freePorts, LoopbackMesh, makePod, PORTS_PER_POD, servicesYaml, type Pod } from './loopback-mesh.js';
import { renderTables, tally, type Journey } from './report.js';

const REQUESTS = Number(process.env['DEMO_REQUESTS'] ?? 1000);
const CONCURRENCY = 16;

let mesh: LoopbackMesh | undefined;

function rulesFor(pods: Pod[]): string {
  const lines = [
    'version: 1',
    'colors: [blue, green]',
    'ingress:',
    '  entrypoints: [frontend]',
    '  split:',
    '    weights: { blue: 80, green: 20 }',
    '    stickyBy: { header: x-user-id }',
    ...servicesYaml(pods),
  ];
  return lines.join('\n') + '\n';
}

async function send(port: number, user: string, agent: http.Agent): Promise<Journey> {
  const { status, text, error } = await askFrontend(port, user, agent, 15_000);
  if (error !== undefined) return { status, path: [], error } as Journey;
  try {
    const body = JSON.parse(text) as Partial<Journey>;
    return { status, path: Array.isArray(body.path) ? body.path : [], error: body.error ?? (body.path ? undefined : body) } as Journey;
  } catch {
    return { status, path: [], error: text.slice(0, 200) } as Journey;
  }
}

async function stopAll(): Promise<void> {
  await mesh?.stop();
}

async function main(): Promise<number> {
  mesh = new LoopbackMesh();
  const ports = await freePorts(6 * PORTS_PER_POD);
  const pods = [
    makePod('frontend', 'untagged', ports, 'http://order-service:8080/'),
    makePod('order-service', 'blue', ports, 'http://base-service:8080/'),
    makePod('order-service', 'untagged', ports, 'http://base-service:8080/'),
    makePod('base-service', 'blue', ports),
    makePod('base-service', 'green', ports),
    makePod('base-service', 'untagged', ports),
  ];
  mesh.writeRules(rulesFor(pods));
  console.log(`colormesh demo: 6 apps, each behind its own sidecar; rules in ${mesh.rulesPath}\n`);
  await mesh.start(pods);
  const entry = pods[0] as Pod;
  if (process.argv.includes('--console')) {
    // Runs until Ctrl-C; the SIGINT handler below stops the mesh (the console is one of its children).
    await startConsoleDemo(mesh, pods, (user, agent) => send(entry.ports.inbound, user, agent));
    return new Promise<number>(() => undefined);
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const journeys: Journey[] = [];
  let nextUser = 0;
  const worker = async (): Promise<void> => {
    while (nextUser < REQUESTS && !interrupted) {
      const user = `user-${nextUser++}`;
      journeys.push(await send(entry.ports.inbound, user, agent));
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  agent.destroy();
  if (interrupted) return 130;
  const seconds = (Date.now() - started) / 1000;
  const versions = new Map<string, string[]>();
  for (const p of pods) versions.set(p.service, [...(versions.get(p.service) ?? []), p.version]);
  const summary = tally(journeys, versions);
  console.log(renderTables(summary));
  console.log(`${journeys.length} requests in ${seconds.toFixed(1)} s; ${summary.failed} failed.`);
  for (const j of journeys.filter((x) => x.status !== 200).slice(0, 5)) console.log(`  failed: ${JSON.stringify(j).slice(0, 300)}`);
  // The same story as the sidecars' own metrics tell it: outbound calls from each order-service pod.
  console.log('\nfrom /metrics of the order-service sidecars (outbound calls to base-service):');
  for (const p of pods.filter((q) => q.service === 'order-service')) {
    const text = await fetchText(p.ports.metrics, '/metrics');
    for (const line of text.split('\n')) {
      if (line.startsWith('colormesh_requests_total{') && line.includes('direction="outbound"')) console.log(`  ${p.version.padEnd(8)} ${line}`);
    }
  }
  return summary.failed === 0 && summary.laneViolations === 0 ? 0 : 1;
}

let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) return;
  interrupted = true;
  console.log('\ninterrupted: stopping the mesh');
  void stopAll().then(() => process.exit(130));
});

main().then(
  async (code) => {
    if (interrupted) return; // the SIGINT handler is stopping the mesh and will exit
    await stopAll();
    process.exit(code);
  },
  async (err: Error) => {
    if (interrupted) return;
    console.error(`demo failed: ${err.message}`);
    await stopAll();
    process.exit(1);
  },
);
