// The two metrics every request touches — colormesh_requests_total and
// colormesh_request_duration_seconds — as plain numbers in series bound once per (direction,
// service, color): a request does a few Map lookups and increments, with no label object and no
// label hashing. prom-client sees them only at scrape, through collector objects it formats.

interface Series {
  readonly direction: string;
  readonly service: string;
  readonly color: string;
  /** via → counts by status class index (see STATUS_CLASSES) */
  readonly requests: Map<string, Float64Array>;
  /** non-cumulative bucket counts; the last one is +Inf */
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

const STATUS_CLASSES = ['unknown', '1xx', '2xx', '3xx', '4xx', '5xx'] as const;

function statusIndex(status: number): number {
  return status < 100 || status > 599 ? 0 : Math.floor(status / 100);
}

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** What prom-client's Registry needs of a metric it only formats. */
export interface Collector {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  get(): Promise<{ name: string; help: string; type: string; values: MetricValue[]; aggregator: 'sum' }>;
  reset(): void;
}

export class HopSeries {
  private readonly byDirection = new Map<string, Map<string, Map<string, Series>>>();

  constructor(private readonly bounds: readonly number[]) {}

  /** Counts one finished request. Label values must already be bounded by the caller. */
  record(direction: string, service: string, color: string, via: string, status: number, seconds: number): void {
    const series = this.series(direction, service, color);
    let counts = series.requests.get(via);
    if (counts === undefined) series.requests.set(via, (counts = new Float64Array(STATUS_CLASSES.length)));
    (counts[statusIndex(status)] as number)++;
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && seconds > (bounds[i] as number)) i++;
    (series.buckets[i] as number)++;
    series.sum += seconds;
    series.count++;
  }

  private series(direction: string, service: string, color: string): Series {
    let services = this.byDirection.get(direction);
    if (services === undefined) this.byDirection.set(direction, (services = new Map()));
    let colors = services.get(service);
    if (colors === undefined) services.set(service, (colors = new Map()));
    let series = colors.get(color);
    if (series === undefined) {
      series = { direction, service, color, requests: new Map(), buckets: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
      colors.set(color, series);
    }
    return series;
  }

  private *all(): Generator<Series> {
    for (const services of this.byDirection.values()) for (const colors of services.values()) yield* colors.values();
  }

  requestsCollector(name: string, help: string): Collector {
    return {
      name,
      help,
      type: 'counter',
      get: async () => {
        const values: MetricValue[] = [];
        for (const s of this.all()) {
          for (const [via, counts] of s.requests) {
            counts.forEach((value, index) => {
              if (value > 0) values.push({ labels: { direction: s.direction, service: s.service, color: s.color, via, status_class: STATUS_CLASSES[index] as string }, value });
            });
          }
        }
        return { name, help, type: 'counter', values, aggregator: 'sum' };
      },
      reset: () => this.byDirection.clear(),
    };
  }

  durationCollector(name: string, help: string): Collector {
    return {
      name,
      help,
      type: 'histogram',
      get: async () => {
        const values: MetricValue[] = [];
        for (const s of this.all()) {
          const labels = { direction: s.direction, service: s.service, color: s.color };
          let cumulative = 0;
          s.buckets.forEach((count, index) => {
            cumulative += count;
            const le = index < this.bounds.length ? (this.bounds[index] as number) : '+Inf';
            values.push({ labels: { ...labels, le }, value: cumulative, metricName: `${name}_bucket` });
          });
          values.push({ labels, value: s.sum, metricName: `${name}_sum` });
          values.push({ labels, value: s.count, metricName: `${name}_count` });
        }
        return { name, help, type: 'histogram', values, aggregator: 'sum' };
      },
      reset: () => this.byDirection.clear(),
    };
  }
}
