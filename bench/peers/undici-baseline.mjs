// The fast Node baseline: a plain http server that forwards every request with one undici
// `Pool.dispatch` and a handler object, raw header arrays both ways, keep-alive, nothing else.
// It is the floor a Node proxy on undici can reach on this machine (issue 9: colormesh ≥ 0.75× it).
// usage: node bench/peers/undici-baseline.mjs <listen-port> <upstream-port>
import http from 'node:http';
import { Pool } from 'undici';

const [listenPort, upstreamPort] = process.argv.slice(2).map(Number);
if (!listenPort || !upstreamPort) {
  process.stderr.write('usage: undici-baseline.mjs <listen-port> <upstream-port>\n');
  process.exit(2);
}

// One pool for the one upstream, as many connections as the http-proxy baseline's agent allows.
const pool = new Pool(`http://127.0.0.1:${upstreamPort}`, { connections: 256, pipelining: 1, keepAliveTimeout: 60_000 });

/** Hop-by-hop headers (RFC 9110 §7.6.1): never forwarded; undici also refuses most of them in a request. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

/** A flat [name, value, …] array without hop-by-hop headers, nor any header the Connection header names. */
function endToEnd(raw, toString) {
  let named;
  for (let i = 0; i < raw.length; i += 2) {
    if (toString(raw[i]).toLowerCase() === 'connection') {
      named ??= new Set();
      for (const token of toString(raw[i + 1]).split(',')) named.add(token.trim().toLowerCase());
    }
  }
  const out = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = toString(raw[i]);
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named?.has(lower)) continue;
    out.push(name, toString(raw[i + 1]));
  }
  return out;
}
const asIs = (s) => s;
const latin1 = (b) => b.toString('latin1');

/**
 * The response side of one request. These are undici's core handler callbacks (onConnect, onHeaders,
 * …), which receive the raw header Buffers; a handler with the newer onRequestStart/onResponseStart
 * methods is wrapped by undici in an adapter that parses every response's headers into an object.
 */
class Forward {
  constructor(res) {
    this.res = res;
    this.abort = null;
  }

  onConnect(abort) {
    this.abort = abort;
  }

  onHeaders(statusCode, rawHeaders, resume, statusText) {
    this.res.writeHead(statusCode, statusText, endToEnd(rawHeaders, latin1));
    // onData returning false pauses the upstream socket; the client taking the data resumes it
    this.res.on('drain', resume);
    return true;
  }

  onData(chunk) {
    return this.res.write(chunk);
  }

  onComplete() {
    this.res.end();
  }

  onError(err) {
    if (!this.res.headersSent) {
      this.res.writeHead(502, { 'content-type': 'application/json' });
      this.res.end(JSON.stringify({ error: 'upstream_unreachable', detail: err.code ?? err.message }));
    } else {
      this.res.destroy(err);
    }
  }
}

const server = http.createServer((req, res) => {
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  const handler = new Forward(res);
  // the client went away: stop the upstream request too
  res.once('close', () => { if (!res.writableFinished) handler.abort?.(new Error('client closed')); });
  pool.dispatch({
    path: req.url,
    method: req.method,
    headers: endToEnd(req.rawHeaders, asIs),
    body: hasBody ? req : null,
  }, handler);
});
server.keepAliveTimeout = 75_000;
server.listen(listenPort, '127.0.0.1');

// Nothing to drain in a benchmark: end at once so the harness's clean-up stays quick.
const shutdown = () => process.exit(0);
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
