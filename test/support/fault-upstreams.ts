// Upstreams for the fault suite: a WebSocket-style echo (no `ws` dependency: the handshake is a few
// lines) and a raw TCP "HTTP server" that answers bytes Node's own server would refuse to write.
import { createHash } from 'node:crypto';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { startEcho, type EchoServer } from './mesh.js';

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
export const WS_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** RFC 6455's accept value for a key. */
export function wsAccept(key: string): string {
  return createHash('sha1').update(key + WS_GUID).digest('base64');
}

/** A raw WebSocket opening handshake for `host` (the echo does not parse frames; it echoes bytes). */
export function wsHandshake(host: string, target = '/ws'): string {
  return `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${WS_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
}

/** An echo upstream (plain requests as startEcho) that also accepts upgrades and echoes their bytes. */
export async function startUpgradeEcho(name: string): Promise<EchoServer & { upgrades: number }> {
  const echo = await startEcho(name);
  const state = { upgrades: 0 };
  echo.server.on('upgrade', (req, socket, head) => {
    state.upgrades++;
    const key = String(req.headers['sec-websocket-key'] ?? '');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${wsAccept(key)}\r\n\r\n`);
    if (head.length > 0) socket.write(head);
    socket.on('error', () => socket.destroy());
    socket.pipe(socket);
  });
  return Object.assign(echo, { get upgrades() { return state.upgrades; } });
}

export interface RawUpstream {
  port: number;
  address: string;
  /** every request head received (request line and header lines, CRLF-separated) */
  heads: string[];
  close(): Promise<void>;
}

/**
 * A TCP server that reads request heads (skipping Content-Length bodies) and answers each with
 * `answer(head)`, byte for byte; connections stay open for the next request.
 */
export async function startRawUpstream(answer: (head: string) => string): Promise<RawUpstream> {
  const heads: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buf = '';
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.slice(0, end);
        const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        const total = end + 4 + (cl ? Number(cl[1]) : 0);
        if (buf.length < total) return;
        buf = buf.slice(total);
        heads.push(head);
        socket.write(Buffer.from(answer(head), 'latin1'));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    heads,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

/** The header lines of a raw request head, names lower-cased. */
export function requestHeaders(head: string): Array<[string, string]> {
  return head.split('\r\n').slice(1).map((line) => {
    const i = line.indexOf(':');
    return [line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim()] as [string, string];
  });
}
