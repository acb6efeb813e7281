// A plain demo service that knows nothing of colormesh. It answers with who it is, and if NEXT is
// set it first calls the next service and includes that answer. Like an app instrumented with
// OpenTelemetry, it forwards the incoming `baggage` and `traceparent` headers on its outgoing call;
// like curl or Python, it sends outgoing calls through HTTP_PROXY when that is set. FAIL_PERCENT makes
// a faulty version: that share of requests is answered 500 (the rollout demo's bad candidate).
//
//   NAME=order-service VERSION=blue PORT=8080 NEXT=http://base-service:8080/ node service.js
import http from 'node:http';

const NAME = process.env['NAME'] ?? 'service';
const VERSION = process.env['VERSION'] ?? 'untagged';
const PORT = Number(process.env['PORT'] ?? 8080);
const HOST = process.env['HOST'] ?? '0.0.0.0';
const NEXT = process.env['NEXT'];
/** which headers to pass on: "baggage,traceparent" (default), "traceparent", or "none" */
const FORWARD = (process.env['FORWARD_HEADERS'] ?? 'baggage,traceparent').split(',').map((h) => h.trim()).filter((h) => h && h !== 'none');
const PROXY = process.env['HTTP_PROXY'] ?? process.env['http_proxy'];
const FAIL_PERCENT = Number(process.env['FAIL_PERCENT'] ?? 0);

const agent = new http.Agent({ keepAlive: true });

interface Hop {
  service: string;
  version: string;
  /** the baggage this service received */
  baggage: string | null;
}

function callNext(incoming: http.IncomingHttpHeaders): Promise<{ status: number; body: unknown }> {
  const target = new URL(NEXT as string);
  const headers: Record<string, string> = { host: target.host };
  for (const name of FORWARD) {
    const v = incoming[name];
    if (typeof v === 'string') headers[name] = v;
  }
  // Through a proxy, the request line carries the absolute URL (what HTTP_PROXY clients do).
  const options: http.RequestOptions = PROXY
    ? { host: new URL(PROXY).hostname, port: new URL(PROXY).port, path: target.href, headers, agent }
    : { host: target.hostname, port: target.port || 80, path: target.pathname + target.search, headers, agent };
  return new Promise((resolve, reject) => {
    const req = http.get(options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* not JSON: keep the text */
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
  });
}

const server = http.createServer((req, res) => {
  const self: Hop = { service: NAME, version: VERSION, baggage: typeof req.headers.baggage === 'string' ? req.headers.baggage : null };
  const reply = (status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  if (req.url === '/healthz') return reply(200, { ok: true });
  if (FAIL_PERCENT > 0 && Math.random() * 100 < FAIL_PERCENT) return reply(500, { path: [self], error: 'injected fault (FAIL_PERCENT)' });
  if (NEXT === undefined) return reply(200, { path: [self] });
  callNext(req.headers).then(
    ({ status, body }) => {
      const downstream = (body as { path?: Hop[] }).path;
      if (status !== 200 || !Array.isArray(downstream)) return reply(502, { path: [self], error: { status, body } });
      reply(200, { path: [self, ...downstream] });
    },
    (err: Error) => reply(502, { path: [self], error: err.message }),
  );
});
server.keepAliveTimeout = 65_000;
server.listen(PORT, HOST, () => process.stdout.write(`${NAME} (${VERSION}) listening on ${HOST}:${PORT}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
