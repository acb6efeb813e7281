// `colormesh gateway`: an edge proxy that colors every request (SPEC 4) and routes it to one service.
import { loadRulesFile } from '../config/load.js';
import { startSidecar } from '../sidecar.js';
import { createLogger } from '../telemetry/logger.js';
import { intFlag, logLevelFlag, parseFlags, portFlag, UsageError, type FlagSpecs } from './flags.js';
import { waitForSignal } from './run.js';
import { startTelemetryFor } from './telemetry-setup.js';

const FLAGS: FlagSpecs = {
  config: { env: 'COLORMESH_CONFIG', default: '/etc/colormesh/rules.yaml' },
  service: { env: 'COLORMESH_GATEWAY_SERVICE' },
  port: { env: 'COLORMESH_GATEWAY_PORT' },
  /** accepted too: the gateway's listener plays the inbound listener's part */
  'inbound-port': { env: 'COLORMESH_INBOUND_PORT' },
  bind: { env: 'COLORMESH_BIND', default: '0.0.0.0' },
  'admin-port': { env: 'COLORMESH_ADMIN_PORT', default: '15000' },
  'metrics-port': { env: 'COLORMESH_METRICS_PORT', default: '15020' },
  'log-level': { env: 'COLORMESH_LOG_LEVEL', default: 'info' },
  'access-log-sample': { env: 'COLORMESH_ACCESS_LOG_SAMPLE', default: '1' },
  'drain-timeout-ms': { env: 'COLORMESH_DRAIN_TIMEOUT_MS', default: '30000' },
  help: { boolean: true, short: 'h' },
};

const HELP = `usage: colormesh gateway --service NAME [flags]

An edge proxy: every request is an entry into the mesh, so it is colored by the ingress rules
(header/cookie/query rules, then the weighted split) and then routed to NAME's endpoints of that color.

  --service NAME         the service behind the gateway (COLORMESH_GATEWAY_SERVICE), required
  --port PORT            listen port (COLORMESH_GATEWAY_PORT, default 8080; --inbound-port is accepted too)
  --config FILE          rule file (COLORMESH_CONFIG, default /etc/colormesh/rules.yaml)
  --bind ADDR            (COLORMESH_BIND, default 0.0.0.0)
  --admin-port PORT      loopback only (default 15000)
  --metrics-port PORT    /metrics and /healthz/* (default 15020)
  --log-level LEVEL      (COLORMESH_LOG_LEVEL, default info)
  --access-log-sample N  (default 1)
  --drain-timeout-ms MS  (default 30000)
`;

export async function main(argv: string[]): Promise<number> {
  const { values, switches } = parseFlags(argv, FLAGS);
  if (switches['help']) {
    process.stdout.write(HELP);
    return 0;
  }
  const service = values['service'];
  if (service === undefined || service === '') throw new UsageError('--service is required (the service the gateway routes to)');
  const logger = createLogger({ level: logLevelFlag(values['log-level']), base: { gateway: service } });
  let rules;
  try {
    rules = loadRulesFile(values['config'] as string);
  } catch (err) {
    process.stderr.write(`colormesh gateway: cannot start: ${(err as Error).message}\n`);
    return 1;
  }
  if (!rules.services.has(service)) logger.warn({ service }, 'the gateway service is not in the rules; requests get 503 until it is');
  const telemetry = await startTelemetryFor(service, undefined, logger, intFlag('access-log-sample', values['access-log-sample'], 1), rules);
  const sidecar = await startSidecar({
    rules,
    watchPath: values['config'],
    gateway: { service, port: portFlag('port', values['port'] ?? values['inbound-port'] ?? '8080') as number },
    bind: values['bind'] as string,
    adminPort: portFlag('admin-port', values['admin-port']) as number,
    metricsPort: portFlag('metrics-port', values['metrics-port']) as number,
    logger,
    drainTimeoutMs: intFlag('drain-timeout-ms', values['drain-timeout-ms']) as number,
    metrics: telemetry.metrics,
    setLogLevel: telemetry.setLogLevel,
  });
  return waitForSignal(sidecar, logger, telemetry.shutdown);
}
