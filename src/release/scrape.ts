// Reads the lanes' counters: straight from the sidecars' /metrics (the embedded default, no Prometheus
// needed) or from a Prometheus server with one PromQL instant query. Either way the result is a Reading
// that lane-figures.ts turns into deltas. Every error names the URL that failed.
import { DURATION_BUCKET_METRIC, LANE_DIRECTION, POD_INFO_METRIC, REQUESTS_METRIC, type Reading } from './lane-figures.js';
import { parsePromText, type Sample } from './prom-text.js';

export class ScrapeError extends Error {
  override name = 'ScrapeError';
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(`cannot scrape ${url}: ${reason}`);
  }
}

export interface Scraper {
  /** what is read, for messages */
  describe(): string;
  read(): Promise<Reading>;
}

const DEFAULT_TIMEOUT_MS = 2000;

/**
 * Keeps only the series a rollout needs, so a reading stays small whatever else the sidecars export: the
 * inbound lanes, plus outbound 5xx and the pod's own service, to tell where a lane's errors began.
 */
function relevant(s: Sample): boolean {
  if (s.name === POD_INFO_METRIC) return true;
  if (s.name === REQUESTS_METRIC && s.labels['direction'] === 'outbound') return s.labels['status_class'] === '5xx';
  return (s.name === REQUESTS_METRIC || s.name === DURATION_BUCKET_METRIC) && s.labels['direction'] === LANE_DIRECTION;
}

/** Scrapes every URL in parallel; the first failure (refused, timeout, non-200, not the text format) fails the reading. */
export function metricsScraper(urls: readonly string[], timeoutMs = DEFAULT_TIMEOUT_MS): Scraper {
  return {
    describe: () => `${urls.length} sidecar /metrics ${urls.length === 1 ? 'URL' : 'URLs'}`,
    async read() {
      const texts = await Promise.all(urls.map((url) => fetchText(url, timeoutMs, 'text/plain;version=0.0.4')));
      const reading = new Map<string, Sample[]>();
      urls.forEach((url, i) => {
        try {
          reading.set(url, parsePromText(texts[i] as string, [REQUESTS_METRIC, DURATION_BUCKET_METRIC]).filter(relevant));
        } catch (err) {
          throw new ScrapeError(url, (err as Error).message);
        }
      });
      return reading;
    },
  };
}

/**
 * Reads the same series from Prometheus: one instant query for the raw counters and buckets of the lanes'
 * colors, every series with its own instance labels, so a sidecar restart is seen per series as with /metrics.
 * Prometheus's figures lag the sidecars by its scrape interval.
 */
export function prometheusScraper(baseUrl: string, colors: readonly string[], timeoutMs = DEFAULT_TIMEOUT_MS): Scraper {
  const query = lanesQuery(colors);
  const url = new URL('api/v1/query', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  url.searchParams.set('query', query);
  return {
    describe: () => `Prometheus ${baseUrl}`,
    async read() {
      const text = await fetchText(url.href, timeoutMs, 'application/json');
      return new Map([[baseUrl, parsePrometheusVector(text, url.href)]]);
    },
  };
}

/** The PromQL selector for the inbound requests and duration buckets of the given colors. */
export function lanesQuery(colors: readonly string[]): string {
  // Colors are validated names ([a-z0-9-]), so they need no escaping inside the regex.
  return `{__name__=~"${REQUESTS_METRIC}|${DURATION_BUCKET_METRIC}",direction="${LANE_DIRECTION}",color=~"${colors.join('|')}"}`;
}

/** An /api/v1/query answer of resultType vector → samples. */
export function parsePrometheusVector(text: string, url: string): Sample[] {
  let body: { status?: string; error?: string; data?: { resultType?: string; result?: Array<{ metric?: Record<string, string>; value?: [number, string] }> } };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new ScrapeError(url, 'the answer is not JSON');
  }
  if (body.status !== 'success') throw new ScrapeError(url, `Prometheus answered ${body.status ?? 'nothing'}: ${body.error ?? ''}`);
  if (body.data?.resultType !== 'vector' || !Array.isArray(body.data.result)) throw new ScrapeError(url, 'expected a vector result');
  const samples: Sample[] = [];
  for (const item of body.data.result) {
    const { __name__: name, ...labels } = item.metric ?? {};
    const raw = item.value?.[1];
    if (name === undefined || raw === undefined) continue;
    const value = raw === '+Inf' ? Infinity : Number(raw);
    samples.push({ name, labels, value });
  }
  return samples.filter(relevant);
}

async function fetchText(url: string, timeoutMs: number, accept: string): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept } });
  } catch (err) {
    throw new ScrapeError(url, describeFetchError(err, timeoutMs));
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    throw new ScrapeError(url, `HTTP ${response.status}`);
  }
  try {
    return await response.text();
  } catch (err) {
    throw new ScrapeError(url, describeFetchError(err, timeoutMs));
  }
}

/** fetch() says only "fetch failed"; the useful part (ECONNREFUSED, ENOTFOUND) is in its cause. */
function describeFetchError(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  return e.cause?.code ?? e.cause?.message ?? e.message;
}
