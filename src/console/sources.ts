// The console's two metrics sources: every sidecar's /metrics scraped directly (each URL on its own,
// so one dead sidecar blanks only its own figures), or Prometheus asked for the same figures in PromQL.
import { parsePromText, type Sample } from '../release/prom-text.js';
import { SERVED, type RateSample } from './lanes.js';
import type { MetricsSource } from './monitor.js';
import { RateWindow } from './rates.js';
import type { TargetStatus } from './state.js';

/** The series the lane map reads; everything else a sidecar exports is dropped at once. */
const WANTED = new Set([
  'colormesh_requests_total',
  'colormesh_request_duration_seconds_bucket',
  'colormesh_endpoints',
  'colormesh_mirror_requests_total',
  'colormesh_pod_info',
  'colormesh_no_endpoint_total',
]);

/**
 * Only the lines of the series the lane map reads, before parsing: cheaper, and a line the parser
 * does not take in a series we do not read (prom-client writes `Nan` for an idle event-loop gauge)
 * cannot blank a whole sidecar.
 */
export function wantedLines(text: string): string {
  return text.split('\n').filter((line) => {
    const end = line.search(/[{\s]/);
    return WANTED.has(end === -1 ? line : line.slice(0, end));
  }).join('\n');
}

/**
 * One sidecar's inbound requests again, labelled with the color of the pod it serves (its
 * colormesh_pod_info), as SERVED series: where each color's requests were actually served.
 */
export function servedSeries(samples: readonly Sample[]): Sample[] {
  const pod = samples.find((s) => s.name === 'colormesh_pod_info');
  if (pod === undefined) return [];
  const podColor = pod.labels['pod_color'] ?? '-';
  const out: Sample[] = [];
  for (const s of samples) {
    if (s.name !== 'colormesh_requests_total' || s.labels['direction'] !== 'inbound') continue;
    out.push({ name: SERVED, labels: { service: s.labels['service'] ?? '-', color: s.labels['color'] ?? '-', pod_color: podColor, status_class: s.labels['status_class'] ?? '' }, value: s.value });
  }
  return out;
}

async function get(url: string, timeoutMs: number, accept: string): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept } });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    throw new Error(e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message));
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`HTTP ${response.status}`);
  }
  return response.text();
}

/** No metrics source given: the page shows the rules and the controls, and says where traffic figures would come from. */
export function noMetrics(): MetricsSource {
  return {
    describe: () => 'none (give --metrics URL,... or --prometheus URL)',
    sample: () => Promise.resolve({ samples: [], targets: [] }),
  };
}

/** Scrapes each URL every refresh and answers rates over `windowMs`. */
export function scrapeSource(urls: readonly string[], windowMs = 5000, timeoutMs = 1500): MetricsSource {
  const window = new RateWindow(windowMs);
  return {
    describe: () => `${urls.length} sidecar /metrics ${urls.length === 1 ? 'URL' : 'URLs'}`,
    async sample(now) {
      const targets = await Promise.all(urls.map(async (url): Promise<TargetStatus> => {
        try {
          const samples = parsePromText(wantedLines(await get(url, timeoutMs, 'text/plain;version=0.0.4')))
            // Endpoint gauges are compared sidecar by sidecar (lanes.ts), so they say which one reported them.
            .map((s) => (s.name === 'colormesh_endpoints' ? { ...s, labels: { ...s.labels, instance: url } } : s));
          window.add(url, { at: Date.now(), samples: [...samples, ...servedSeries(samples)] });
          return { url, ok: true };
        } catch (err) {
          return { url, ok: false, error: (err as Error).message };
        }
      }));
      return { samples: window.rates(now), targets };
    },
  };
}

/** The PromQL behind each lane-map series, already as rates over `range`; the result gets `name`. */
export function promQueries(range: string): Array<{ name: string; query: string; extra?: Record<string, string> }> {
  return [
    { name: 'colormesh_requests_total', query: `sum by (direction, service, color, via, status_class) (rate(colormesh_requests_total[${range}]))` },
    {
      name: 'colormesh_request_duration_seconds_bucket',
      query: `sum by (service, color, le) (rate(colormesh_request_duration_seconds_bucket{direction="inbound"}[${range}]))`,
      extra: { direction: 'inbound' },
    },
    {
      name: SERVED,
      query: `sum by (service, color, pod_color) (rate(colormesh_requests_total{direction="inbound"}[${range}]) * on (instance) group_left (pod_color) colormesh_pod_info)`,
    },
    { name: 'colormesh_endpoints', query: 'sum by (instance, service, color, health) (colormesh_endpoints)' },
    { name: 'colormesh_no_endpoint_total', query: `sum by (service, color) (rate(colormesh_no_endpoint_total[${range}]))` },
    { name: 'colormesh_mirror_requests_total', query: `sum by (service, color) (rate(colormesh_mirror_requests_total[${range}]))` },
  ];
}

/** An /api/v1/query answer (resultType vector) as samples named `name`. */
export function vectorSamples(text: string, name: string, extra: Record<string, string> = {}): RateSample[] {
  const body = JSON.parse(text) as { status?: string; error?: string; data?: { resultType?: string; result?: Array<{ metric?: Record<string, string>; value?: [number, string] }> } };
  if (body.status !== 'success') throw new Error(`Prometheus answered ${body.status ?? 'nothing'}: ${body.error ?? ''}`);
  if (body.data?.resultType !== 'vector' || !Array.isArray(body.data.result)) throw new Error('expected a vector result');
  const out: RateSample[] = [];
  for (const item of body.data.result) {
    const raw = item.value?.[1];
    const value = raw === '+Inf' ? Infinity : Number(raw);
    if (raw === undefined || Number.isNaN(value)) continue;
    const { __name__: _dropped, ...labels } = item.metric ?? {};
    out.push({ name, labels: { ...labels, ...extra }, value });
  }
  return out;
}

/** Asks Prometheus for the lane figures as rates over `range` (its scrape interval makes them lag). */
export function prometheusSource(baseUrl: string, range = '1m', timeoutMs = 1500): MetricsSource {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return {
    describe: () => `Prometheus ${baseUrl}`,
    async sample() {
      try {
        const results = await Promise.all(promQueries(range).map(async ({ name, query, extra }) => {
          const url = new URL('api/v1/query', base);
          url.searchParams.set('query', query);
          return vectorSamples(await get(url.href, timeoutMs, 'application/json'), name, extra);
        }));
        return { samples: results.flat(), targets: [{ url: baseUrl, ok: true }] };
      } catch (err) {
        return { samples: [], targets: [{ url: baseUrl, ok: false, error: (err as Error).message }] };
      }
    },
  };
}
