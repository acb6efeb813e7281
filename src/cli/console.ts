// `colormesh console`: the release console (SPEC 10), a page and a JSON API on loopback that show
// every lane live and move users between them.
import os from 'node:os';
import { ConsoleMonitor, type MetricsSource } from '../console/monitor.js';
import { rolloutStatusPath } from '../console/rollout-status.js';
import { startConsoleServer } from '../console/server.js';
import { noMetrics, prometheusSource, scrapeSource } from '../console/sources.js';
import { ConfigMapRulesStore, FileRulesStore, parseConfigMapRef, type RulesStore } from '../release/rules-store.js';
import { parseFlags, portFlag, UsageError, type FlagSpecs } from './flags.js';

export const CONSOLE_FLAGS: FlagSpecs = {
  config: { env: 'COLORMESH_CONFIG' },
  configmap: { env: 'COLORMESH_CONFIGMAP' },
  metrics: { env: 'COLORMESH_CONSOLE_METRICS' },
  prometheus: { env: 'COLORMESH_CONSOLE_PROMETHEUS' },
  port: { env: 'COLORMESH_CONSOLE_PORT', default: '15030' },
  bind: { env: 'COLORMESH_CONSOLE_BIND', default: '127.0.0.1' },
  help: { boolean: true, short: 'h' },
};

const HELP = `usage: colormesh console [--config FILE | --configmap NAMESPACE/NAME] [--metrics URL,... | --prometheus URL]
                        [--port 15030] [--bind 127.0.0.1]

The release console: a page (and a JSON API) that shows every service x color lane live - endpoints,
requests/s, 5xx, p99, fallbacks - with the ingress split, mirroring and a rollout in progress, and
controls to set the split weights or roll a candidate color back. Open http://127.0.0.1:15030/.

  --config FILE             the rule file to show and edit (COLORMESH_CONFIG; default
                            /etc/colormesh/rules.yaml when no --configmap is given)
  --configmap NS/NAME       key rules.yaml of this ConfigMap, through the Kubernetes API; wins over
                            --config (COLORMESH_CONFIGMAP)
  --metrics URL,...         the sidecars' /metrics URLs to scrape every second (COLORMESH_CONSOLE_METRICS)
  --prometheus URL          a Prometheus server to ask instead (COLORMESH_CONSOLE_PROMETHEUS)
  --port PORT               (COLORMESH_CONSOLE_PORT, default 15030)
  --bind ADDR               (COLORMESH_CONSOLE_BIND, default 127.0.0.1: reach it through a port-forward)
  -h, --help                show this help

API: GET /api/state; POST /api/split {"weights": {"blue": 90, "green": 10}}; POST /api/rollback {"color": "green"}.
A POST needs content-type: application/json and a Host (and Origin, when sent) naming the console.
`;

const DEFAULT_CONFIG = '/etc/colormesh/rules.yaml';
const REFRESH_MS = 1000;

function storeFrom(values: Record<string, string | undefined>): { store: RulesStore; statusPath: string | undefined } {
  const configmap = values['configmap'];
  if (configmap !== undefined) {
    const ref = parseConfigMapRef(configmap);
    if (ref === undefined) throw new UsageError(`--configmap: "${configmap}" is not NAMESPACE/NAME`);
    return { store: new ConfigMapRulesStore(ref.namespace, ref.name), statusPath: undefined };
  }
  const path = values['config'] ?? DEFAULT_CONFIG;
  return { store: new FileRulesStore(path), statusPath: rolloutStatusPath(path) };
}

function sourceFrom(values: Record<string, string | undefined>): MetricsSource {
  const metrics = values['metrics'];
  const prometheus = values['prometheus'];
  if (metrics !== undefined && prometheus !== undefined) throw new UsageError('give --metrics URL,... or --prometheus URL, not both');
  const check = (flag: string, url: string): URL => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new UsageError(`--${flag}: "${url}" is not an http(s) URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`--${flag}: "${url}" is not an http(s) URL`);
    return parsed;
  };
  if (prometheus !== undefined) return prometheusSource(check('prometheus', prometheus).href);
  // A bare sidecar address (http://10.0.0.5:15020) means its /metrics, as for colormesh rollout.
  const urls = (metrics ?? '').split(',').map((u) => u.trim()).filter((u) => u !== '').map((u) => {
    const url = check('metrics', u);
    return url.pathname === '/' && url.search === '' ? new URL('/metrics', url).href : u;
  });
  // Without metrics the console still shows the rules and moves the weights; the lane map has no traffic.
  if (urls.length === 0) return noMetrics();
  return scrapeSource(urls);
}

/** Names a Host header may carry besides loopback: the bind address, or every local one when bound to all. */
function hostNames(bind: string): string[] {
  if (bind !== '0.0.0.0' && bind !== '::') return [bind];
  const names = [os.hostname()];
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) names.push(a.address);
  return names;
}

export async function main(argv: string[]): Promise<number> {
  const { values, switches, positionals } = parseFlags(argv, CONSOLE_FLAGS);
  if (switches['help']) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument: ${positionals.join(' ')}`);
  const port = portFlag('port', values['port']) as number;
  const bind = values['bind'] as string;
  const { store, statusPath } = storeFrom(values);
  const metrics = sourceFrom(values);

  // The rules must be readable at start: a console on a wrong path would show nothing, silently.
  try {
    await store.read();
  } catch (err) {
    process.stderr.write(`colormesh console: cannot start: cannot read ${store.describe()}: ${(err as Error).message}\n`);
    return 1;
  }
  const monitor = new ConsoleMonitor({ store, metrics, refreshMs: REFRESH_MS, ...(statusPath ? { rolloutStatusPath: statusPath } : {}) });
  await monitor.refresh();
  const server = await startConsoleServer({ store, monitor, port, bind, hostNames: hostNames(bind) });
  void monitor.start();
  process.stdout.write(`colormesh console: ${server.url} (rules: ${store.describe()}; metrics: ${metrics.describe()})\n`);
  if (bind !== '127.0.0.1' && bind !== '::1' && bind !== 'localhost') {
    process.stderr.write(`colormesh console: warning: listening on ${bind}: anyone who can reach it can change the weights\n`);
  }
  return new Promise((resolve) => {
    const stop = (): void => {
      monitor.stop();
      void server.close().then(() => resolve(0));
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
