// Every error a client can see from the sidecar, and the one place that turns them into HTTP
// responses (SPEC 7), on a response object or on a raw socket (Upgrade, CONNECT).
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { UpstreamErrorKind } from '../upstream/upstream.js';

export type { UpstreamErrorKind };

export type ErrorCode =
  | 'no_endpoint'
  | 'not_in_mesh'
  | 'upstream_unreachable'
  | 'upstream_timeout'
  | 'upstream_reset'
  | 'bad_request'
  | 'loop_detected';

const STATUS: Readonly<Record<ErrorCode, number>> = {
  no_endpoint: 503,
  not_in_mesh: 502,
  upstream_unreachable: 502,
  upstream_timeout: 504,
  upstream_reset: 502,
  bad_request: 400,
  loop_detected: 508,
};

/** The answer for an upstream attempt that failed before any response: one mapping for every path. */
export function errorCodeFor(kind: UpstreamErrorKind): ErrorCode {
  return kind === 'connect' ? 'upstream_unreachable' : kind === 'timeout' ? 'upstream_timeout' : 'upstream_reset';
}

export function statusOf(code: ErrorCode): number {
  return STATUS[code];
}

export interface ErrorDetails {
  service?: string | undefined;
  color?: string | undefined;
  message?: string | undefined;
}

function bodyOf(code: ErrorCode, details: ErrorDetails): string {
  return JSON.stringify({
    error: code,
    ...(details.service !== undefined ? { service: details.service, color: details.color ?? null } : {}),
    ...(details.message !== undefined ? { message: details.message } : {}),
  });
}

/**
 * Answers the client with a JSON error. If the response has already started (headers sent), the
 * only honest thing left is to cut the connection so the client sees a truncated response.
 */
export function sendError(res: ServerResponse, code: ErrorCode, details: ErrorDetails, routeHeader: string | undefined): number {
  const status = STATUS[code];
  if (res.headersSent) {
    res.destroy();
    return status;
  }
  const body = bodyOf(code, details);
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  };
  if (routeHeader !== undefined) headers['x-colormesh-route'] = routeHeader;
  res.writeHead(status, headers);
  res.end(body);
  return status;
}

/**
 * The same answer on a raw socket, for requests that never became an HTTP exchange we can respond
 * to normally (Upgrade and CONNECT); the connection is closed after it.
 */
export function rejectSocket(socket: Duplex, code: ErrorCode, details: ErrorDetails = {}, routeHeader?: string): number {
  const status = STATUS[code];
  if (!socket.writable) {
    socket.destroy();
    return status;
  }
  const body = bodyOf(code, details);
  const route = routeHeader === undefined ? '' : `x-colormesh-route: ${routeHeader}\r\n`;
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${route}connection: close\r\n\r\n${body}`);
  return status;
}
