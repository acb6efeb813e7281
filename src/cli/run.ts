// `colormesh run`: the sidecar. Flags and environment variables are SPEC 6's.
import { startSidecar } from '../sidecar.js';
import { parseConfigMapFlag } from '../config/configmap-watch.js';
import type { Rules } from '../core/types.js';
import { createLogger } from '../telemetry/logger.js';
import { parseFlags, portFlag, UsageError, type FlagSpecs } from './flags.js';
import { loadRulesForStart, loadConfigMapRulesOrExplain, PROXY_COMMAND_FLAGS, readProxyCommandFlags, waitForSignal } from './proxy-command.js';
import { startTelemetryFor } from './telemetry-setup.js';

export const RUN_FLAGS: FlagSpecs = {
  ...PROXY_COMMAND_FLAGS,
  service: { env: 'COLORMESH_SERVICE' },
  color: { env: 'COLORMESH_COLOR' },
  'app-port': { env: 'COLORMESH_APP_PORT' },
  'app-host': { env: 'COLORMESH_APP_HOST', default: '127.0.0.1' },
  'inbound-port': { env: 'COLORMESH_INBOUND_PORT', default: '15006' },
  'outbound-port': { env: 'COLORMESH_OUTBOUND_PORT', default: '15001' },
  'outbound-bind': { env: 'COLORMESH_OUTBOUND_BIND', default: '127.0.0.1' },
  configmap: { env: 'COLORMESH_CONFIGMAP' },
};

const HELP = `usage: colormesh run [flags]

Runs the sidecar: an outbound listener (explicit proxy or transparent) that routes calls by color,
and, with --app-port, an inbound listener in front of the local app.

  --config FILE          rule file (COLORMESH_CONFIG, default /etc/colormesh/rules.yaml)
  --configmap NS/NAME    rules from key rules.yaml of this ConfigMap, watched through the Kubernetes API;
                         --config is then the fallback while the API cannot be reached (COLORMESH_CONFIGMAP)
  --service NAME         this pod's service (COLORMESH_SERVICE)
  --color COLOR          this pod's color (COLORMESH_COLOR)
  --app-port PORT        the local app's port; inbound side off without it (COLORMESH_APP_PORT)
  --app-host HOST        the local app's host (COLORMESH_APP_HOST, default 127.0.0.1)
  --inbound-port PORT    (COLORMESH_INBOUND_PORT, default 15006)
  --outbound-port PORT   (COLORMESH_OUTBOUND_PORT, default 15001)
  --admin-port PORT      loopback only (COLORMESH_ADMIN_PORT, default 15000)
  --metrics-port PORT    /metrics and /healthz/* (COLORMESH_METRICS_PORT, default 15020)
  --bind ADDR            inbound and metrics listeners (COLORMESH_BIND, default 0.0.0.0)
  --outbound-bind ADDR   outbound listener (COLORMESH_OUTBOUND_BIND, default 127.0.0.1)
  --log-level LEVEL      fatal|error|warn|info|debug|trace|silent (COLORMESH_LOG_LEVEL, default info)
  --access-log-sample N  log every error and 1 in N other requests (COLORMESH_ACCESS_LOG_SAMPLE, default 100; 1 = all)
  --headers-timeout-ms MS  a connection must deliver request headers within this (COLORMESH_HEADERS_TIMEOUT_MS, default 15000)
  --max-connections N    connections each listener accepts at once (COLORMESH_MAX_CONNECTIONS, default 8192)
  --drain-timeout-ms MS  on SIGTERM, how long in-flight requests may take (COLORMESH_DRAIN_TIMEOUT_MS, default 30000)
  --drain-delay-ms MS    on SIGTERM, keep accepting this long (readiness already failing) before closing the
                         listeners, so callers learn of the shutdown first (COLORMESH_DRAIN_DELAY_MS, default 0)
`;

export async function main(argv: string[]): Promise<number> {
  const { values, switches } = parseFlags(argv, RUN_FLAGS);
  if (switches['help']) {
    process.stdout.write(HELP);
    return 0;
  }
  // Every flag is checked before anything starts, so a typo is a usage error and nothing listens.
  const { level, accessLogSample, ...shared } = readProxyCommandFlags(values);
  const listeners = {
    ...shared,
    appPort: appPortFlag(values['app-port']),
    appHost: values['app-host'] as string,
    inboundPort: portFlag('inbound-port', values['inbound-port']) as number,
    outboundPort: portFlag('outbound-port', values['outbound-port']) as number,
    outboundBind: values['outbound-bind'] as string,
  };
  // pod_* so they never clash with the access line's own service/color (the call's target and lane).
  const logger = createLogger({ level, base: { pod_service: values['service'] ?? null, pod_color: values['color'] ?? null } });
  const configPath = values['config'] as string;
  const start = await loadRunRules(configPath, values['configmap']);
  if (start === undefined) return 1;
  const { rules, watchPath } = start;
  const telemetry = await startTelemetryFor(values['service'], values['color'], logger, accessLogSample, rules);
  const sidecar = await startSidecar({
    rules,
    watchPath,
    service: values['service'],
    color: values['color'],
    ...listeners,
    logger,
    metrics: telemetry.metrics,
    setLogLevel: telemetry.setLogLevel,
  });
  return waitForSignal(sidecar, logger, telemetry.shutdown);
}

/** The rule file, or with --configmap the ConfigMap (the file then only stands in while the API is unreachable). */
async function loadRunRules(configPath: string, configmap: string | undefined): Promise<{ rules: Rules; watchPath: string } | undefined> {
  if (configmap === undefined) {
    const rules = loadRulesForStart('run', configPath);
    return rules === undefined ? undefined : { rules, watchPath: configPath };
  }
  const ref = parseConfigMapFlag(configmap);
  if (ref === undefined) throw new UsageError(`--configmap: "${configmap}" is not NAMESPACE/NAME`);
  return loadConfigMapRulesOrExplain('run', ref, configPath);
}

/** The app port, when given, must be a real port: 0 would start an inbound side that forwards nowhere. */
function appPortFlag(value: string | undefined): number | undefined {
  const port = portFlag('app-port', value);
  if (port === 0) throw new UsageError('--app-port: 0 is not a port an app listens on');
  return port;
}
