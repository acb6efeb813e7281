// Per-request cost of the two per-request metrics, the old way (prom-client children found by a
// string key per request, then inc/observe, which hash their labels) against HopSeries (bound
// series, plain increments). usage: npm run build && node bench/metrics-micro.mjs
import { Counter, Histogram, Registry } from 'prom-client';
import { HopSeries } from '../dist/src/telemetry/hop-series.js';
import { DURATION_BUCKETS } from '../dist/src/telemetry/metrics.js';

const N = 2_000_000;
const services = ['base-service', 'order-service', 'frontend'];
const colors = ['blue', 'green', '-'];

function promClientWay() {
  const registry = new Registry();
  const requests = new Counter({ name: 'r_total', help: 'h', labelNames: ['direction', 'service', 'color', 'via', 'status_class'], registers: [registry] });
  const duration = new Histogram({ name: 'd', help: 'h', labelNames: ['direction', 'service', 'color'], buckets: DURATION_BUCKETS, registers: [registry] });
  const counters = new Map();
  const histograms = new Map();
  return (i) => {
    const direction = 'outbound', service = services[i % 3], color = colors[i % 3], via = 'exact', status_class = '2xx';
    const seriesKey = `${direction}\u0000${service}\u0000${color}`;
    const requestKey = `${seriesKey}\u0000${via}\u0000${status_class}`;
    let c = counters.get(requestKey);
    if (c === undefined) counters.set(requestKey, (c = requests.labels({ direction, service, color, via, status_class })));
    c.inc();
    let h = histograms.get(seriesKey);
    if (h === undefined) histograms.set(seriesKey, (h = duration.labels({ direction, service, color })));
    h.observe(0.0003 + (i % 7) * 0.001);
  };
}

function hopSeriesWay() {
  const series = new HopSeries(DURATION_BUCKETS);
  return (i) => series.record('outbound', services[i % 3], colors[i % 3], 'exact', 200, 0.0003 + (i % 7) * 0.001);
}

function time(record) {
  for (let i = 0; i < 200_000; i++) record(i);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) record(i);
  return Number(process.hrtime.bigint() - t0) / N;
}

const results = { 'prom-client children (before)': [], 'HopSeries (after)': [] };
for (let pass = 0; pass < 5; pass++) {
  results['prom-client children (before)'].push(time(promClientWay()));
  results['HopSeries (after)'].push(time(hopSeriesWay()));
}
for (const [name, xs] of Object.entries(results)) {
  xs.sort((a, b) => a - b);
  console.log(`${name.padEnd(32)} ${xs[2].toFixed(0).padStart(5)} ns per request (median of 5 passes, ${N} requests each)`);
}
