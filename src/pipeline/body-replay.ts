// Keeps a copy of a small request body while the first attempt is under way, so that a retry on
// another endpoint can send it again. Bodies over the cap are not kept and such requests are not retried.
import type { IncomingMessage } from 'node:http';

export const REPLAY_CAP_BYTES = 64 * 1024;

/** Whether the request has a body at all (by its headers); bodiless requests need no copy. */
export function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return (len !== undefined && len !== '0') || req.headers['transfer-encoding'] !== undefined;
}

export class BodyRecorder {
  private chunks: Buffer[] | undefined = [];
  private bytes = 0;

  constructor(
    private readonly req: IncomingMessage,
    private readonly cap = REPLAY_CAP_BYTES,
  ) {
    req.on('data', this.onData);
  }

  get replayable(): boolean {
    return this.chunks !== undefined;
  }

  /**
   * Resolves with the whole body once the client has sent all of it, or with undefined if it grew
   * past the cap (or the client went away) — then no retry is possible.
   */
  whenComplete(): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const finish = (): void => resolve(this.chunks === undefined ? undefined : Buffer.concat(this.chunks));
      if (this.chunks === undefined) return resolve(undefined);
      if (this.req.complete) return finish();
      this.req.once('end', finish);
      this.req.once('close', () => resolve(undefined));
      // the failed attempt unpiped the request; keep it flowing so 'end' can come
      this.req.resume();
    });
  }

  stop(): void {
    this.req.off('data', this.onData);
    this.chunks = undefined;
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.chunks === undefined) return;
    this.bytes += chunk.length;
    if (this.bytes > this.cap) {
      this.chunks = undefined;
      return;
    }
    this.chunks.push(chunk);
  };
}
