// Counts requests in flight across a sidecar's listeners, so a SIGTERM can wait for them to finish.
import type http from 'node:http';
import type { Duplex } from 'node:stream';

export class InFlight {
  private count = 0;
  private waiters: Array<() => void> = [];
  private readonly upgraded = new Set<Duplex>();

  /** Counts every request on `server`; while draining, responses ask clients not to reuse the connection. */
  track(server: http.Server, isDraining: () => boolean): void {
    server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
      this.count++;
      if (isDraining()) res.shouldKeepAlive = false;
      res.once('close', this.onDone);
    });
    // An upgraded connection (WebSocket) is in flight until it closes; the drain waits for it too.
    server.on('upgrade', (_req: http.IncomingMessage, socket: Duplex) => {
      this.count++;
      this.upgraded.add(socket);
      socket.once('close', () => {
        this.upgraded.delete(socket);
        this.onDone();
      });
    });
  }

  get active(): number {
    return this.count;
  }

  /**
   * Stops accepting on every server, closes idle keep-alive connections, waits for in-flight
   * requests up to `timeoutMs`, then cuts whatever is left.
   */
  async drain(servers: readonly http.Server[], timeoutMs: number): Promise<{ drained: boolean; inFlight: number }> {
    const closed = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const s of servers) s.closeIdleConnections();
    const drained = await this.waitForZero(timeoutMs);
    const left = this.count;
    for (const s of servers) s.closeAllConnections();
    for (const socket of this.upgraded) socket.destroy();
    await Promise.all(closed);
    return { drained, inFlight: left };
  }

  private waitForZero(timeoutMs: number): Promise<boolean> {
    if (this.count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private readonly onDone = (): void => {
    this.count--;
    if (this.count === 0 && this.waiters.length > 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    }
  };
}
