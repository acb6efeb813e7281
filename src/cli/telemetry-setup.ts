// Starts telemetry (metrics, traces, access log) for a long-running command, or the access log
// alone if the telemetry module cannot start — a sidecar without metrics still has to route.
import type { Rules } from '../core/types.js';
import type { Logger } from '../telemetry/logger.js';
import { subscribeAccessLog } from '../telemetry/access-log.js';

export interface TelemetryHandle {
  metrics: (() => Promise<{ contentType: string; body: string }>) | undefined;
  setLogLevel: ((level: string) => void) | undefined;
  shutdown: () => Promise<void>;
}

export async function startTelemetryFor(service: string | undefined, color: string | undefined, logger: Logger, sampleEvery: number | undefined, rules: Rules): Promise<TelemetryHandle> {
  try {
    const { startTelemetry } = await import('../telemetry/index.js');
    const config = { hash: rules.hash, version: rules.version, colors: rules.colors };
    const t = await startTelemetry({ service, color, logger, accessLog: { sampleEvery }, config });
    return {
      metrics: async () => ({ contentType: t.metrics.contentType, body: await t.metrics.render() }),
      setLogLevel: (level) => t.setLogLevel(level),
      shutdown: () => t.shutdown(),
    };
  } catch (err) {
    logger.error({ err: (err as Error).message }, 'telemetry failed to start; serving without metrics and traces');
    const unsubscribe = subscribeAccessLog(logger, { sampleEvery });
    return { metrics: undefined, setLogLevel: undefined, shutdown: async () => unsubscribe() };
  }
}
