// What the two long-running proxy commands (`run` and `gateway`) share: their common flags, the
// start-up load of the rule file, and the SIGTERM/SIGINT drain.
import { loadConfigMapRulesForStart } from '../config/configmap-start.js';
import type { ConfigMapRef } from '../config/configmap-watch.js';
import { loadRulesFile } from '../config/load.js';
import type { Rules } from '../core/types.js';
import { DEFAULT_LIMITS, type ListenerLimits } from '../pipeline/listener.js';
import type { Sidecar } from '../sidecar.js';
import type { Logger } from '../telemetry/logger.js';
import { intFlag, logLevelFlag, portFlag, type FlagSpecs } from './flags.js';

export const PROXY_COMMAND_FLAGS: FlagSpecs = {
  config: { env: 'COLORMESH_CONFIG', default: '/etc/colormesh/rules.yaml' },
  'admin-port': { env: 'COLORMESH_ADMIN_PORT', default: '15000' },
  'metrics-port': { env: 'COLORMESH_METRICS_PORT', default: '15020' },
  bind: { env: 'COLORMESH_BIND', default: '0.0.0.0' },
  'log-level': { env: 'COLORMESH_LOG_LEVEL', default: 'info' },
  // Istio and Linkerd ship access logs off; we log every error and 1 in 100 other requests.
  'access-log-sample': { env: 'COLORMESH_ACCESS_LOG_SAMPLE', default: '100' },
  'headers-timeout-ms': { env: 'COLORMESH_HEADERS_TIMEOUT_MS', default: String(DEFAULT_LIMITS.headersTimeoutMs) },
  'max-connections': { env: 'COLORMESH_MAX_CONNECTIONS', default: String(DEFAULT_LIMITS.maxConnections) },
  'drain-timeout-ms': { env: 'COLORMESH_DRAIN_TIMEOUT_MS', default: '30000' },
  'drain-delay-ms': { env: 'COLORMESH_DRAIN_DELAY_MS', default: '0' },
  help: { boolean: true, short: 'h' },
};

export interface ProxyCommandSettings {
  readonly level: string | undefined;
  readonly accessLogSample: number | undefined;
  readonly adminPort: number;
  readonly metricsPort: number;
  readonly bind: string;
  readonly drainTimeoutMs: number;
  readonly drainDelayMs: number;
  readonly limits: ListenerLimits;
}

/** Checks the shared flags before anything starts, so a typo is a usage error and nothing listens. */
export function readProxyCommandFlags(values: Record<string, string | undefined>): ProxyCommandSettings {
  return {
    level: logLevelFlag(values['log-level']),
    accessLogSample: intFlag('access-log-sample', values['access-log-sample'], 1),
    adminPort: portFlag('admin-port', values['admin-port']) as number,
    metricsPort: portFlag('metrics-port', values['metrics-port']) as number,
    bind: values['bind'] as string,
    drainTimeoutMs: intFlag('drain-timeout-ms', values['drain-timeout-ms']) as number,
    drainDelayMs: intFlag('drain-delay-ms', values['drain-delay-ms']) as number,
    limits: {
      headersTimeoutMs: intFlag('headers-timeout-ms', values['headers-timeout-ms']) as number,
      maxConnections: intFlag('max-connections', values['max-connections']) as number,
    },
  };
}

/** The rule file at start-up: an invalid one is a clear message and exit 1, never a half-started proxy. */
export function loadRulesForStart(command: string, path: string): Rules | undefined {
  try {
    return loadRulesFile(path);
  } catch (err) {
    process.stderr.write(`colormesh ${command}: cannot start: ${(err as Error).message}\n`);
    return undefined;
  }
}

/** Rules from a ConfigMap at start-up (SPEC 6a): a clear message and exit 1 when neither the API nor the file gives valid rules. */
export async function loadConfigMapRulesOrExplain(command: string, ref: ConfigMapRef, fallbackFile: string): Promise<{ rules: Rules; watchPath: string } | undefined> {
  try {
    const start = await loadConfigMapRulesForStart(ref, fallbackFile);
    if (start.fallback !== undefined) {
      process.stderr.write(`colormesh ${command}: ${start.fallback.reason}; using ${start.fallback.file} until the API answers\n`);
    }
    return start;
  } catch (err) {
    process.stderr.write(`colormesh ${command}: cannot start: ${(err as Error).message}\n`);
    return undefined;
  }
}

/** Runs until SIGTERM/SIGINT, then drains and resolves with the exit code (0 after a clean drain). */
export function waitForSignal(sidecar: Sidecar, logger: Logger, shutdown: () => Promise<void>): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'draining');
      void sidecar.drain().then(
        async (result) => {
          logger.info(result, result.drained ? 'drained; exiting' : 'drain timeout; cut the remaining requests');
          await shutdown().catch(() => undefined);
          logger.flush();
          resolve(0);
        },
        (err: Error) => {
          logger.error({ err: err.message }, 'drain failed');
          logger.flush();
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
