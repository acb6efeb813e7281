// Keeps a copy of a small request body while the first attempt is under way, so that a retry on
// another endpoint can send it again. Bodies over the cap are not kept and such requests are not retried.
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

export const REPLAY_CAP_BYTES = 64 * 1024;

export class BodyRecorder {
  private chunks: Buffer[] | undefined = [];
  private bytes = 0;

  constructor(private readonly req: IncomingMessage) {
    req.on('data', this.onData);
  }

  /** Whether the request has a body at all (by its headers); bodiless requests need no recorder. */
  static hasBody(req: IncomingMessage): boolean {
    const len = req.headers['content-length'];
    return (len !== undefined && len !== '0') || req.headers['transfer-encoding'] !== undefined;
  }

  get replayable(): boolean {
    return this.chunks !== undefined;
  }

  /**
   * Resolves with a stream of the whole body once the client has sent all of it, or with
   * undefined if it grew past the cap (or the client went away) — then no retry is possible.
   */
  whenComplete(): Promise<Readable | undefined> {
    return new Promise((resolve) => {
      const finish = (): void => resolve(this.chunks === undefined ? undefined : Readable.from(this.chunks, { objectMode: false }));
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
    if (this.bytes > REPLAY_CAP_BYTES) {
      this.chunks = undefined;
      return;
    }
    this.chunks.push(chunk);
  };
}
