// An HTTP/1.1 listener in front of an EntryPoint, with the limits every listener gets: a headers
// timeout, keep-alive idle timeout, a connection cap, and no silent cut of many small headers.
import http from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { EntryPoint } from './pipeline.js';

export interface ListenerLimits {
  /** time allowed for a connection to deliver a request's complete headers; default 15 s */
  readonly headersTimeoutMs?: number;
  /** idle keep-alive connections are closed after this; default 65 s (above common client pool timeouts) */
  readonly keepAliveTimeoutMs?: number;
  /** connections accepted at once; more are refused; default 8192 */
  readonly maxConnections?: number;
}

export const DEFAULT_LIMITS = { headersTimeoutMs: 15_000, keepAliveTimeoutMs: 65_000, maxConnections: 8192 } as const;

export function createListener(entry: EntryPoint, limits: ListenerLimits = {}): http.Server {
  const headersTimeout = limits.headersTimeoutMs ?? DEFAULT_LIMITS.headersTimeoutMs;
  const server = http.createServer({
    // The whole request may stream for as long as it needs (uploads); stalls are bounded by the headers timeout and the upstream.
    requestTimeout: 0,
    headersTimeout,
    keepAliveTimeout: limits.keepAliveTimeoutMs ?? DEFAULT_LIMITS.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, headersTimeout),
  }, (req, res) => entry.request(req, res));
  // Node keeps only the first 1000 header pairs by default and drops the rest silently; a baggage
  // header past the cut would leave its lane. All are kept (Node's 16 KiB header limit answers 431).
  server.maxHeadersCount = 0;
  server.maxConnections = limits.maxConnections ?? DEFAULT_LIMITS.maxConnections;
  // Node's headers timeout starts at a request's first byte: a caller that never sends one would
  // hold the connection for ever. One timer per connection (not per request) closes it.
  server.on('connection', (socket: Socket) => {
    const timer = setTimeout(() => {
      if (socket.bytesRead === 0) socket.destroy();
    }, headersTimeout);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  });
  const serveAsRequest = (req: IncomingMessage, socket: Duplex): void => {
    // An Upgrade we do not tunnel (h2c, what `curl --http2` offers) is answered as HTTP/1.1, as
    // Envoy does; the connection was taken off the HTTP parser, so it closes after this response.
    const res = new http.ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    res.once('finish', () => {
      res.detachSocket(socket as Socket);
      socket.end();
    });
    server.emit('request', req, res);
  };
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => entry.upgrade(req, socket, head, serveAsRequest));
  server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => entry.connect(req, socket, head));
  return server;
}
