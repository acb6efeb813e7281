// The metrics port: what Kubernetes probes and Prometheus scrape.
//   GET /metrics        Prometheus text format
//   GET /healthz/ready  200 once rules are loaded and every listener is up; 503 before that and while draining
//   GET /healthz/live   200 while the event loop is turning
import http from 'node:http';

export interface MetricsDeps {
  readonly isReady: () => boolean;
  readonly metrics: () => Promise<{ contentType: string; body: string }> | undefined;
}

export function createMetricsServer(deps: MetricsDeps): http.Server {
  return http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path === '/healthz/live') return text(res, 200, 'live\n');
    if (path === '/healthz/ready') return deps.isReady() ? text(res, 200, 'ready\n') : text(res, 503, 'not ready\n');
    if (path === '/metrics') {
      const pending = deps.metrics();
      if (pending === undefined) return text(res, 404, 'metrics are not enabled\n');
      pending.then(
        ({ contentType, body }) => {
          res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
          res.end(body);
        },
        (err: Error) => text(res, 500, `metrics failed: ${err.message}\n`),
      );
      return;
    }
    text(res, 404, 'not found\n');
  });
}

function text(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
