// Byte tunnels: Upgrade (WebSocket) handshakes through http-proxy, which does them well, and CONNECT
// through a plain TCP connection. Both check where the connection landed, like the HTTP upstream.
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type HttpProxy from 'http-proxy';
import { LoopError, type OwnListeners } from './loop-guard.js';
import type { Target } from './upstream.js';

export type TunnelFailure = { loop: boolean; message: string };

export class Tunnels {
  private proxy: HttpProxy | undefined;
  private proxyLoading: Promise<HttpProxy> | undefined;

  constructor(private readonly own: OwnListeners) {}

  /**
   * Passes an Upgrade handshake to `target`, then the bytes both ways. `onFailure` is called if no
   * connection could be made (nothing has been written to the client then).
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: Target, onFailure: (f: TunnelFailure) => void): void {
    // HTTP servers allow half-open sockets; a tunnel whose client has finished must finish too.
    socket.once('end', () => socket.end());
    void this.loadProxy().then((proxy) => {
      if (socket.destroyed) return;
      // http-proxy copies headers with util._extend, deprecated since Node 22 (DEP0060): without this
      // every sidecar that tunnels a WebSocket would print a deprecation warning. The calls happen
      // synchronously inside ws(), so the switch covers them and nothing else.
      const quiet = process.noDeprecation;
      process.noDeprecation = true;
      try {
        proxy.ws(req, socket, head, { target: { host: target.host, port: target.port, protocol: 'http:' } as unknown as string }, (err: Error) =>
          onFailure({ loop: err instanceof LoopError, message: err.message }),
        );
      } finally {
        process.noDeprecation = quiet;
      }
    });
  }

  /** CONNECT: a TCP tunnel to `target` once the connection is made; 200 then bytes both ways. */
  connect(socket: Duplex, head: Buffer, target: Target, onFailure: (f: TunnelFailure) => void): void {
    const upstream = net.connect(target.port, target.host, () => {
      if (this.own.isOwnPeer(upstream.remoteAddress, upstream.remotePort)) {
        upstream.destroy();
        return onFailure({ loop: true, message: new LoopError(`${upstream.remoteAddress}:${upstream.remotePort}`).message });
      }
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    let connected = false;
    upstream.once('connect', () => (connected = true));
    upstream.on('error', (err) => {
      if (connected) socket.destroy();
      else onFailure({ loop: false, message: err.message });
    });
    socket.on('close', () => upstream.destroy());
  }

  close(): void {
    this.proxy?.close();
  }

  /** http-proxy is loaded on the first upgrade only: most sidecars never proxy one. */
  private loadProxy(): Promise<HttpProxy> {
    this.proxyLoading ??= import('http-proxy').then(({ default: httpProxy }) => {
      const own = this.own;
      const proxy = httpProxy.createProxyServer({ xfwd: false, toProxy: true, ws: true });
      // The same check as every other upstream connection, on the socket the handshake goes out on.
      proxy.on('proxyReqWs', (proxyReq) => {
        proxyReq.once('socket', (s: net.Socket) => {
          const check = (): void => {
            if (own.isOwnPeer(s.remoteAddress, s.remotePort)) proxyReq.destroy(new LoopError(`${s.remoteAddress}:${s.remotePort}`));
          };
          if (s.remoteAddress !== undefined) check();
          else s.once('connect', check);
        });
      });
      // Without a listener an 'error' http-proxy emits (after the callback's) would kill the process.
      proxy.on('error', () => undefined);
      this.proxy = proxy;
      return proxy;
    });
    return this.proxyLoading;
  }
}
