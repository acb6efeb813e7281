// The console's HTTP server. Endpoints:
//   GET  /               the page (self-contained HTML)
//   GET  /api/state      the lane map, split, rollout and sources as JSON (ConsoleState)
//   POST /api/split      {"weights": {"blue": 90, "green": 10}[, "version": V]} → 200 {version, …} | 400 | 409 (writes.ts)
//   POST /api/rollback   {"color": "green"[, "to": "blue"][, "version": V]} → its weight goes to `to` or the stable color
//   GET  /healthz        200 "ok"
// Every request must name the console in Host; writes also need JSON and a same-origin Origin (guard.ts).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RulesConflictError, type RulesStore } from '../release/rules-store.js';
import { InvalidRulesError } from '../release/write-split.js';
import { checkHost, checkWrite, type GuardOptions } from './guard.js';
import type { ConsoleMonitor } from './monitor.js';
import { PAGE_CSP, PAGE_HTML } from './page.js';
import { RequestError } from './requests.js';
import { applyRollback, applySplit } from './writes.js';

const MAX_BODY_BYTES = 64 * 1024;

/** The method each path answers, for 405's Allow header. */
const ALLOWED: Readonly<Record<string, string>> = {
  '/': 'GET', '/index.html': 'GET', '/api/state': 'GET', '/healthz': 'GET', '/api/split': 'POST', '/api/rollback': 'POST',
};

export interface ConsoleServerOptions {
  store: RulesStore;
  monitor: ConsoleMonitor;
  port: number;
  bind: string;
  /** names besides loopback that the Host header may carry (see guard.ts); computed from bind when omitted */
  hostNames?: readonly string[];
}

export interface ConsoleServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

const COMMON_HEADERS = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' };

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...COMMON_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: http.ServerResponse, status: number, error: string, message: string): void {
  sendJson(res, status, { error, message });
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit the rest is read and dropped (not cut off), so the client gets its 413.
      if (size > MAX_BODY_BYTES) return reject(new RequestError(413, 'body_too_large', `a request body may have at most ${MAX_BODY_BYTES} bytes`));
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function handleWrite(req: http.IncomingMessage, res: http.ServerResponse, opts: ConsoleServerOptions, kind: 'split' | 'rollback'): Promise<void> {
  try {
    const body = await readBody(req);
    const written = kind === 'split' ? await applySplit(opts.store, body) : await applyRollback(opts.store, body);
    await opts.monitor.refreshRules();
    sendJson(res, 200, written);
  } catch (err) {
    if (err instanceof RequestError) return sendError(res, err.status, err.code, err.message);
    if (err instanceof InvalidRulesError) return sendError(res, 400, 'invalid_rules', err.message);
    if (err instanceof RulesConflictError) return sendError(res, 409, 'conflict', err.message);
    sendError(res, 500, 'write_failed', `the rules were not changed: ${(err as Error).message}`);
  }
}

export async function startConsoleServer(opts: ConsoleServerOptions): Promise<ConsoleServer> {
  const guard: GuardOptions = { port: opts.port, names: opts.hostNames ?? [] };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://console');
    // HEAD is GET without the body (Node leaves the body out), so `curl -I` works.
    const route = `${req.method === 'HEAD' ? 'GET' : req.method} ${url.pathname}`;
    const host = checkHost(req.headers, guard);
    if (!host.ok) return sendError(res, host.status, host.error, host.message);
    switch (route) {
      case 'GET /':
      case 'GET /index.html':
        res.writeHead(200, {
          ...COMMON_HEADERS,
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': PAGE_CSP,
          'x-frame-options': 'DENY',
          'content-length': Buffer.byteLength(PAGE_HTML),
        });
        res.end(PAGE_HTML);
        return;
      case 'GET /api/state':
        return sendJson(res, 200, opts.monitor.state());
      case 'GET /healthz':
        res.writeHead(200, { ...COMMON_HEADERS, 'content-type': 'text/plain' });
        res.end('ok\n');
        return;
      case 'POST /api/split':
      case 'POST /api/rollback': {
        const write = checkWrite(req.headers, guard);
        if (!write.ok) {
          req.resume();
          return sendError(res, write.status, write.error, write.message);
        }
        void handleWrite(req, res, opts, url.pathname === '/api/split' ? 'split' : 'rollback');
        return;
      }
    }
    const allowed = ALLOWED[url.pathname];
    if (allowed !== undefined) {
      res.setHeader('allow', allowed);
      return sendError(res, 405, 'method_not_allowed', `${req.method} is not allowed on ${url.pathname}`);
    }
    sendError(res, 404, 'not_found', `no such page: ${url.pathname}`);
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.bind, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  guard.port = port;
  const hostForUrl = opts.bind === '0.0.0.0' || opts.bind === '::' ? '127.0.0.1' : opts.bind.includes(':') ? `[${opts.bind}]` : opts.bind;
  return {
    port,
    url: `http://${hostForUrl}:${port}/`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
