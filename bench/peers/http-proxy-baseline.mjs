// The Node baseline: a plain http-proxy passthrough with a keep-alive agent and nothing else, so the
// table shows what colormesh's own work costs on top of the library it is built on.
// usage: node bench/peers/http-proxy-baseline.mjs <listen-port> <upstream-port>
import http from 'node:http';
import httpProxy from 'http-proxy';

const [listenPort, upstreamPort] = process.argv.slice(2).map(Number);
if (!listenPort || !upstreamPort) {
  process.stderr.write('usage: http-proxy-baseline.mjs <listen-port> <upstream-port>\n');
  process.exit(2);
}

// Without keepAlive every proxied request would open a new upstream connection; that is the naive
// setup the "≈ 11–12 k req/s" refers to, and not a fair baseline.
const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256, scheduling: 'lifo' });
const proxy = httpProxy.createProxyServer({ target: `http://127.0.0.1:${upstreamPort}`, agent, xfwd: false });

proxy.on('error', (_err, _req, res) => {
  // res is a ServerResponse for web requests; answer once and never crash the baseline
  if (res && 'writeHead' in res && !res.headersSent) {
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end('{"error":"upstream_unreachable"}');
  } else {
    res?.destroy?.();
  }
});

const server = http.createServer((req, res) => proxy.web(req, res));
server.keepAliveTimeout = 75_000;
server.listen(listenPort, '127.0.0.1');

// Nothing to drain in a benchmark: end at once so the harness's clean-up stays quick.
const shutdown = () => process.exit(0);
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
