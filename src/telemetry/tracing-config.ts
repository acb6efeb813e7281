// Whether tracing is on, from OpenTelemetry's own variables. Kept apart from tracing.ts so that
// deciding costs nothing: the SDK (tens of MB resident) is loaded only when tracing is on.

/** Tracing is opt-in: on only when an exporter is configured, as OpenTelemetry's own variables say. */
export function tracingConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env['OTEL_SDK_DISABLED'] ?? '').trim().toLowerCase() === 'true') return false;
  const exporters = (env['OTEL_TRACES_EXPORTER'] ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
  if (exporters.length > 0) return !exporters.includes('none');
  return Boolean(env['OTEL_EXPORTER_OTLP_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']);
}
