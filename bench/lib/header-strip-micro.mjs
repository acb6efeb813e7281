// Hop-by-hop header stripping (RFC 9110 §7.6.1), three ways, on the raw header arrays a proxy gets:
// what stripping both ways costs per request, for bench/micro.mjs. Every variant also drops the
// headers the Connection header names, and all must agree on the result.
import { performance } from 'node:perf_hooks';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

/** Typical traffic: a mesh client's request, nginx's response, and a request naming a header in Connection. */
export const SAMPLES = {
  request: ['Host', 'bench-upstream:8080', 'User-Agent', 'app/1.0', 'Accept', '*/*', 'baggage', 'color=blue',
    'traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'Connection', 'keep-alive'],
  response: ['Server', 'nginx/1.22.1', 'Date', 'Wed, 02 Dec 2026 05:40:00 GMT', 'Content-Type', 'text/plain',
    'Content-Length', '1024', 'Connection', 'keep-alive'],
  namedInConnection: ['Host', 'svc:8080', 'Connection', 'keep-alive, X-Session-Hint', 'X-Session-Hint', 'abc', 'Accept', '*/*', 'TE', 'trailers'],
};

/** Header names the Connection header lists, lower-cased, beyond keep-alive and close; undefined if none. */
function namedBy(raw) {
  let named;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length !== 10 || raw[i].toLowerCase() !== 'connection') continue;
    for (const token of raw[i + 1].split(',')) {
      const t = token.trim().toLowerCase();
      if (t !== 'keep-alive' && t !== 'close' && t !== '') (named ??= new Set()).add(t);
    }
  }
  return named;
}

export const VARIANTS = {
  /** Lower-case every name, look it up in a Set. */
  'toLowerCase + Set': (raw) => {
    const named = namedBy(raw);
    const out = [];
    for (let i = 0; i < raw.length; i += 2) {
      const lower = raw[i].toLowerCase();
      if (HOP_BY_HOP.has(lower) || named?.has(lower)) continue;
      out.push(raw[i], raw[i + 1]);
    }
    return out;
  },
  /** Only names of a hop-by-hop length (2, 7, 10, 16, 17) are lower-cased and looked up. */
  'length prefilter': (raw) => {
    const named = namedBy(raw);
    const out = [];
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i];
      const n = name.length;
      if ((n === 2 || n === 7 || n === 10 || n === 16 || n === 17) && HOP_BY_HOP.has(name.toLowerCase())) continue;
      if (named !== undefined && named.has(name.toLowerCase())) continue;
      out.push(name, raw[i + 1]);
    }
    return out;
  },
  /** A headers object (what Node's req.headers is) copied, then `delete` per hop-by-hop name. */
  'object + delete': (raw) => {
    const headers = {};
    for (let i = 0; i < raw.length; i += 2) headers[raw[i].toLowerCase()] = raw[i + 1];
    const named = namedBy(raw);
    for (const name of HOP_BY_HOP) delete headers[name];
    if (named) for (const name of named) delete headers[name];
    return Object.entries(headers).flat();
  },
};

/** ns per call for each variant and sample, median of `rounds` rounds of `iterations`. */
export function measureHeaderStrip(iterations, rounds) {
  const expected = Object.fromEntries(Object.entries(SAMPLES).map(([k, raw]) => [k, VARIANTS['toLowerCase + Set'](raw).filter((_, i) => i % 2 === 0).map((h) => h.toLowerCase()).join()]));
  const result = {};
  for (const [variant, strip] of Object.entries(VARIANTS)) {
    result[variant] = {};
    for (const [sample, raw] of Object.entries(SAMPLES)) {
      const got = strip(raw).filter((_, i) => i % 2 === 0).map((h) => h.toLowerCase()).join();
      if (got !== expected[sample]) throw new Error(`${variant} on ${sample}: kept ${got}, expected ${expected[sample]}`);
      let sink = 0;
      for (let i = 0; i < iterations; i++) sink += strip(raw).length; // warm-up
      const samples = [];
      for (let r = 0; r < rounds; r++) {
        const start = performance.now();
        for (let i = 0; i < iterations; i++) sink += strip(raw).length;
        samples.push(((performance.now() - start) * 1e6) / iterations);
      }
      if (sink === 0) throw new Error('unreachable');
      samples.sort((a, b) => a - b);
      result[variant][sample] = samples[Math.floor(samples.length / 2)];
    }
  }
  return result;
}
