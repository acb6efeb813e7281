// The request paths the bench compares. Each one starts its proxy (pinned to the proxy CPU) in front
// of the shared nginx upstream and says where the load goes, with which headers, and which processes
// to charge CPU time and memory to.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync, readFileSync } from 'node:fs';
import { startPinned, waitForPort, freePorts, PROXY_CPU } from './procs.mjs';
import {
  writeNginxProxy, writeHaproxy, writeColormeshRules,
  BENCH_SERVICE, BENCH_SERVICE_PORT, BENCH_COLOR,
} from '../peers/configs.mjs';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
/**
 * The Node options the image ships sidecars with (the Dockerfile's `ENV NODE_OPTIONS=` line), so the
 * bench measures colormesh as it runs in a pod. COLORMESH_BENCH_NODE_OPTIONS overrides them ('' for none).
 */
export const SHIPPED_NODE_FLAGS = (() => {
  const override = process.env.COLORMESH_BENCH_NODE_OPTIONS;
  if (override !== undefined) return override.split(/\s+/).filter(Boolean);
  const line = /^ENV NODE_OPTIONS=(.*)$/m.exec(readFileSync(join(REPO, 'Dockerfile'), 'utf8'));
  return line ? line[1].trim().split(/\s+/) : [];
})();

/** COLORMESH_BENCH_CLI points the bench at another build (e.g. a patched copy) to compare it with this one. */
const COLORMESH_CLI = process.env.COLORMESH_BENCH_CLI ?? join(REPO, 'dist/src/cli/main.js');
const BASELINE = join(REPO, 'bench/peers/http-proxy-baseline.mjs');
const UNDICI_BASELINE = join(REPO, 'bench/peers/undici-baseline.mjs');

/** What an app in the mesh sends: Host routing to the service, and a colored request. */
const MESH_HEADERS = [['Host', `${BENCH_SERVICE}:${BENCH_SERVICE_PORT}`], ['baggage', `color=${BENCH_COLOR}`]];
/** What another pod's sidecar sends to this one's inbound side: a colored request (Host is the pod's). */
const INBOUND_HEADERS = [['baggage', `color=${BENCH_COLOR}`]];

/**
 * Starts one `colormesh run` sidecar. Every port is given explicitly (free ones picked here) so two
 * sidecars and the bench never collide; inbound/metrics bind to loopback only.
 */
async function startSidecar(ctx, name, { rules, service, color, appPort }) {
  const [outbound, inbound, admin, metrics] = await freePorts(4);
  const args = [
    // ctx.nodeArgs: e.g. --cpu-prof from bench/profile.mjs
    ...SHIPPED_NODE_FLAGS, ...(ctx.nodeArgs ?? []), COLORMESH_CLI, 'run',
    '--config', rules, '--service', service, '--bind', '127.0.0.1',
    '--outbound-port', String(outbound), '--inbound-port', String(inbound),
    '--admin-port', String(admin), '--metrics-port', String(metrics),
  ];
  if (color) args.push('--color', color);
  // e.g. --log-level or --access-log-sample, to measure what a setting buys; recorded in the result
  args.push(...(ctx.colormeshFlags ?? []));
  if (appPort) args.push('--app-port', String(appPort));
  const proc = startPinned(name, PROXY_CPU, process.execPath, args, { logFile: join(ctx.dir, `${name}.log`) });
  const port = appPort ? inbound : outbound;
  await waitForPort(port, proc);
  return { proc, outbound, inbound, admin, metrics };
}

/** A Node baseline peer: `node <script> <listen-port> <upstream-port>`, pinned like every proxy. */
async function startNodePeer(ctx, name, script) {
  const [port] = await freePorts(1);
  const proc = startPinned(name, PROXY_CPU, process.execPath, [script, String(port), String(ctx.upstreamPort)], { logFile: join(ctx.dir, `${name}.log`) });
  await waitForPort(port, proc);
  return { port, headers: [], measured: [proc] };
}

/** One sidecar whose app is the upstream; the load goes to its inbound listener, as from another pod. */
async function startInbound(ctx, name) {
  const [placeholder] = await freePorts(1);
  const sidecar = await startSidecar(ctx, name, {
    rules: writeColormeshRules(ctx.dir, name, placeholder),
    service: BENCH_SERVICE, color: BENCH_COLOR, appPort: ctx.upstreamPort,
  });
  return { port: sidecar.inbound, headers: INBOUND_HEADERS, measured: [sidecar.proc] };
}

export const PATHS = [
  {
    id: 'direct',
    label: 'direct (limit)',
    async start(ctx) {
      // No proxy: the cost charged is the upstream's own, which every other path pays as well.
      return { port: ctx.upstreamPort, headers: [], measured: [ctx.upstream] };
    },
  },
  {
    id: 'nginx',
    label: 'nginx proxy',
    async start(ctx) {
      const [port] = await freePorts(1);
      const conf = writeNginxProxy(ctx.dir, port, ctx.upstreamPort);
      const proc = startPinned('nginx-proxy', PROXY_CPU, 'nginx', ['-p', conf.prefix, '-c', conf.file], { logFile: join(ctx.dir, 'nginx-proxy.log') });
      await waitForPort(port, proc);
      return { port, headers: [], measured: [proc] };
    },
  },
  {
    id: 'haproxy',
    label: 'HAProxy',
    async start(ctx) {
      const [port] = await freePorts(1);
      const file = writeHaproxy(ctx.dir, port, ctx.upstreamPort);
      // -db: stay in the foreground, no master/worker split, so the pid is the one doing the work
      const proc = startPinned('haproxy', PROXY_CPU, 'haproxy', ['-db', '-f', file], { logFile: join(ctx.dir, 'haproxy.log') });
      await waitForPort(port, proc);
      return { port, headers: [], measured: [proc] };
    },
  },
  {
    id: 'http-proxy',
    label: 'http-proxy (Node)',
    start: (ctx) => startNodePeer(ctx, 'http-proxy', BASELINE),
  },
  {
    id: 'undici',
    label: 'undici dispatch (Node)',
    start: (ctx) => startNodePeer(ctx, 'undici-baseline', UNDICI_BASELINE),
  },
  {
    id: 'colormesh-1hop',
    label: 'colormesh 1 hop',
    needsColormesh: true,
    async start(ctx) {
      const rules = writeColormeshRules(ctx.dir, 'one-hop', ctx.upstreamPort);
      const a = await startSidecar(ctx, 'colormesh-a', { rules, service: 'bench-client' });
      return { port: a.outbound, headers: MESH_HEADERS, measured: [a.proc], expectRouteHeader: true };
    },
  },
  {
    id: 'colormesh-2hop',
    label: 'colormesh 2 sidecars',
    needsColormesh: true,
    async start(ctx) {
      // B is the upstream's sidecar: its inbound is the endpoint A routes to, its app is nginx.
      const [placeholder] = await freePorts(1);
      const b = await startSidecar(ctx, 'colormesh-b', {
        rules: writeColormeshRules(ctx.dir, 'two-hop-b', placeholder),
        service: BENCH_SERVICE, color: BENCH_COLOR, appPort: ctx.upstreamPort,
      });
      // The shared rule file of a real mesh lists B's pod address; here that is B's inbound port.
      const rules = writeColormeshRules(ctx.dir, 'two-hop', b.inbound);
      const a = await startSidecar(ctx, 'colormesh-a2', { rules, service: 'bench-client' });
      return { port: a.outbound, headers: MESH_HEADERS, measured: [a.proc, b.proc], expectRouteHeader: true };
    },
  },
  // The inbound pair: the same sidecar and load, once without traceparent and once with a fresh one
  // per request (after filling the trace table past its capacity first), so their ratio is what the
  // trace table costs at capacity. Both send through the same wrk script (traceparent "none"/"unique").
  {
    id: 'colormesh-inbound',
    label: 'colormesh inbound',
    needsColormesh: true,
    traceparent: 'none',
    start: (ctx) => startInbound(ctx, 'colormesh-in'),
  },
  {
    id: 'colormesh-inbound-tp',
    label: 'colormesh inbound, traceparent',
    needsColormesh: true,
    traceparent: 'unique',
    start: (ctx) => startInbound(ctx, 'colormesh-in-tp'),
  },
];

/** True when `npm run build` has produced the sidecar's CLI (or COLORMESH_BENCH_CLI's build exists). */
export function colormeshBuilt() {
  return existsSync(COLORMESH_CLI) && existsSync(join(COLORMESH_CLI, '../run.js'));
}
