// Starts the sidecar's telemetry — access log, Prometheus metrics, OpenTelemetry traces — all of it
// fed by the proxy's diagnostics_channel events (src/events.ts); the proxy never calls an SDK.
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { subscribeAccessLog, type AccessLogOptions } from './access-log.js';
import { setLogLevel, type Logger } from './logger.js';
import { startMetrics } from './metrics.js';
import type { Tracing } from './tracing.js';
import { tracingConfigured } from './tracing-config.js';

export { tracingConfigured };

export interface TelemetryOptions {
  /** the pod's service and color (OTEL_SERVICE_NAME defaults to the service) */
  service: string | undefined;
  color: string | undefined;
  logger: Logger;
  accessLog?: AccessLogOptions;
  /** the rules in force at start-up, shown by colormesh_config_info until a reload replaces them */
  config?: { hash: string; version: number; colors?: Iterable<string> | undefined };
  /** distinct color/service label values admitted beyond the allow-list before `_other`; default 50 */
  maxLabelValues?: number;
  /** trace through these instead of the OTEL_* exporters (tests: an in-memory exporter) */
  spanProcessors?: SpanProcessor[];
  /** process/event-loop metrics; default on */
  processMetrics?: boolean;
  /** the environment OTEL_* settings are read from; default process.env */
  env?: NodeJS.ProcessEnv;
}

export interface Telemetry {
  metrics: { contentType: string; render(): Promise<string> };
  /** true when spans are being recorded and exported */
  readonly tracing: boolean;
  /** throws on an unknown level */
  setLogLevel(level: string): void;
  /** unsubscribes everything and flushes the spans still buffered */
  shutdown(): Promise<void>;
}

export async function startTelemetry(opts: TelemetryOptions): Promise<Telemetry> {
  const logger = opts.logger;
  // Tracing first: the access log of a hop reads the ids of the span tracing made for it.
  let tracing: Tracing | undefined;
  try {
    if (opts.spanProcessors !== undefined || tracingConfigured(opts.env ?? process.env)) {
      const { startTracing } = await import('./tracing.js');
      tracing = startTracing({ service: opts.service, color: opts.color, spanProcessors: opts.spanProcessors, env: opts.env });
    }
  } catch (err) {
    // A bad OTEL_* setting must not cost the sidecar its metrics and access log as well.
    logger.error({ err: (err as Error).message }, 'tracing failed to start; running without traces');
  }
  const metrics = startMetrics({
    pod: { service: opts.service, color: opts.color },
    config: opts.config,
    colors: opts.config?.colors,
    maxLabelValues: opts.maxLabelValues,
    processMetrics: opts.processMetrics,
  });
  const stopAccessLog = subscribeAccessLog(logger, opts.accessLog);
  if (tracing !== undefined) logger.info('tracing on: spans are exported as OTEL_* configures');

  let stopped: Promise<void> | undefined;
  return {
    metrics: { contentType: metrics.contentType, render: () => metrics.render() },
    tracing: tracing !== undefined,
    setLogLevel: (level) => setLogLevel(logger, level),
    shutdown() {
      stopped ??= (async () => {
        stopAccessLog();
        metrics.stop();
        await tracing?.shutdown();
      })();
      return stopped;
    },
  };
}
