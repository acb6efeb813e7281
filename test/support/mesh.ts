// Test helpers: real upstream servers on port 0 that report what reached them, in-process sidecars
// on port 0, and a small HTTP client. Everything listens on 127.0.0.1 only.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseRules } from '../../src/config/load.js';
import type { Rules } from '../../src/core/types.js';
import { startSidecar, type Sidecar, type SidecarOptions } from '../../src/sidecar.js';
import { createLogger } from '../../src/telemetry/logger.js';

/** What an echo upstream answers: who it is and what it received. */
export interface Echo {
  name: string;
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface EchoServer {
  name: string;
  port: number;
  address: string;
  hits: number;
  server: http.Server;
  close(): Promise<void>;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

/** An upstream that answers 200 with an Echo JSON, unless `handler` takes over. */
export async function startEcho(name: string, handler?: Handler): Promise<EchoServer> {
  const state = { hits: 0 };
  const server = http.createServer((req, res) => {
    state.hits++;
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      if (handler) return handler(req, res, body);
      const echo: Echo = { name, method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      const text = JSON.stringify(echo);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    port,
    address: `127.0.0.1:${port}`,
    get hits() {
      return state.hits;
    },
    server,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

/** A port that refuses connections (bound, then closed). */
export async function deadPort(): Promise<number> {
  return (await freePorts(1))[0] as number;
}

/**
 * Ports for listeners a child process will bind: all held open at once, so none is handed out twice,
 * then released together just before the child starts.
 */
export async function freePorts(count: number): Promise<number[]> {
  const held = await Promise.all(Array.from({ length: count }, () => new Promise<http.Server>((resolve) => {
    const s = http.createServer();
    s.listen(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = held.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(held.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

export function rules(yaml: string): Rules {
  return parseRules(yaml, 'test-rules.yaml');
}

export async function sidecar(opts: Partial<SidecarOptions> & { rules: Rules }): Promise<Sidecar> {
  return startSidecar({
    logger: createLogger({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent', sync: true }),
    inboundPort: 0,
    outboundPort: 0,
    adminPort: 0,
    metricsPort: 0,
    bind: '127.0.0.1',
    drainTimeoutMs: 2000,
    ...opts,
  });
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface RequestOptions {
  method?: string;
  /** request target as sent on the request line: "/x" or "http://svc:8080/x" */
  path?: string;
  headers?: http.OutgoingHttpHeaders;
  body?: string;
  timeoutMs?: number;
}

/** Sends one request to 127.0.0.1:port on a fresh connection. */
export function request(port: number, opts: RequestOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path ?? '/', headers: opts.headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.setTimeout(opts.timeoutMs ?? 10_000, () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    req.end(opts.body);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
