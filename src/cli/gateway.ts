// `colormesh gateway`: an edge proxy that colors every request (SPEC 4) and routes it to one service.
import { startSidecar } from '../sidecar.js';
import { createLogger } from '../telemetry/logger.js';
import { parseFlags, portFlag, UsageError, type FlagSpecs } from './flags.js';
import { loadRulesForStart, PROXY_COMMAND_FLAGS, readProxyCommandFlags, waitForSignal } from './proxy-command.js';
import { startTelemetryFor } from './telemetry-setup.js';

const FLAGS: FlagSpecs = {
  ...PROXY_COMMAND_FLAGS,
  service: { env: 'COLORMESH_GATEWAY_SERVICE' },
  port: { env: 'COLORMESH_GATEWAY_PORT' },
  /** accepted too: the gateway's listener plays the inbound listener's part */
  'inbound-port': { env: 'COLORMESH_INBOUND_PORT' },
  'expose-route-header': { env: 'COLORMESH_EXPOSE_ROUTE_HEADER', boolean: true },
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
  --access-log-sample N  log every error and 1 in N other requests (default 100; 1 = all)
  --expose-route-header  send x-colormesh-route to clients (off: it names internal services and colors)
  --headers-timeout-ms MS  a connection must deliver request headers within this (default 15000)
  --max-connections N    connections accepted at once (default 8192)
  --drain-timeout-ms MS  (default 30000)
  --drain-delay-ms MS    on SIGTERM, keep accepting this long before closing (default 0)
`;

export async function main(argv: string[]): Promise<number> {
  const { values, switches } = parseFlags(argv, FLAGS);
  if (switches['help']) {
    process.stdout.write(HELP);
    return 0;
  }
  const service = values['service'];
  if (service === undefined || service === '') throw new UsageError('--service is required (the service the gateway routes to)');
  const { level, accessLogSample, ...shared } = readProxyCommandFlags(values);
  const port = portFlag('port', values['port'] ?? values['inbound-port'] ?? '8080') as number;
  const logger = createLogger({ level, base: { gateway: service } });
  const rules = loadRulesForStart('gateway', values['config'] as string);
  if (rules === undefined) return 1;
  if (!rules.services.has(service)) logger.warn({ service }, 'the gateway service is not in the rules; requests get 503 until it is');
  const telemetry = await startTelemetryFor(service, undefined, logger, accessLogSample, rules);
  const sidecar = await startSidecar({
    ...shared,
    rules,
    watchPath: values['config'],
    gateway: { service, port, exposeRoute: switches['expose-route-header'] === true },
    logger,
    metrics: telemetry.metrics,
    setLogLevel: telemetry.setLogLevel,
  });
  return waitForSignal(sidecar, logger, telemetry.shutdown);
}
