// `npm run demo -- --console`: keeps the demo mesh busy with steady traffic from a fixed pool of users
// and starts `colormesh console` against its rule file and its sidecars' /metrics, so a newcomer sees
// live lanes in one command.
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { CLI, freePorts, waitReady, type LoopbackMesh, type Pod } from './loopback-mesh.js';
import type { Journey } from './report.js';

/** Users are sticky (x-user-id), so a pool of them shows the split moving users, not requests. */
const USERS = 500;
const WORKERS = 4;
/** pause between one worker's requests: at most 40 requests per second in all */
const PAUSE_MS = 100;
const PREFERRED_PORT = 15030;

async function isFree(port: number): Promise<boolean> {
  const server = net.createServer();
  const ok = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (ok) await new Promise((r) => server.close(r));
  return ok;
}

export async function startConsoleDemo(mesh: LoopbackMesh, pods: readonly Pod[], send: (user: string, agent: http.Agent) => Promise<Journey>): Promise<void> {
  const port = (await isFree(PREFERRED_PORT)) ? PREFERRED_PORT : ((await freePorts(1))[0] as number);
  const metrics = pods.map((p) => `http://127.0.0.1:${p.ports.metrics}/metrics`).join(',');
  const child = mesh.spawn(process.execPath, [CLI, 'console', '--config', mesh.rulesPath, '--metrics', metrics, '--port', String(port), '--bind', '127.0.0.1'], {}, 'console');
  // Ctrl-C reaches the console too (same process group); only an exit of its own is news.
  let stopping = false;
  process.once('SIGINT', () => (stopping = true));
  child.once('exit', (code, signal) => {
    if (!stopping) console.error(`the console exited (${signal ?? `code ${code}`}); the mesh keeps running`);
  });
  await waitReady(port, '/healthz', Date.now() + 10_000);

  const agent = new http.Agent({ keepAlive: true, maxSockets: WORKERS });
  const counts = { sent: 0, failed: 0 };
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const journey = await send(`user-${next++ % USERS}`, agent);
      counts.sent++;
      if (journey.status !== 200) counts.failed++;
      await new Promise((r) => setTimeout(r, PAUSE_MS));
    }
  };
  for (let i = 0; i < WORKERS; i++) void worker();
  console.log(`steady traffic: ${WORKERS} clients, ${USERS} sticky users, up to ${Math.round((WORKERS * 1000) / PAUSE_MS)} requests/s`);
  console.log(`\n  release console: http://127.0.0.1:${port}/\n`);
  console.log('Move the weights or roll green back on the page; the rule file above changes and the sidecars follow.');
  console.log('Or run a rollout in another terminal and watch its steps on the page:');
  console.log(`  node ${path.relative(process.cwd(), CLI)} rollout --config ${mesh.rulesPath} --to green --interval 15s --min-requests 10 \\\n    --metrics ${metrics}`);
  console.log('Ctrl-C stops everything.\n');
  setInterval(() => console.log(`${new Date().toISOString().slice(11, 19)}  ${counts.sent} requests sent, ${counts.failed} failed`), 30_000).unref();
}
