// The HTTP/1.1 upstream: undici's Agent (one keep-alive pool per endpoint) driven through
// dispatch() with a handler object, raw header arrays and no per-request parsing.
import type { Socket } from 'node:net';
import type { Dispatcher, buildConnector as BuildConnector } from 'undici';
import { Agent, buildConnector } from './undici-parts.js';
import { LoopError, type OwnListeners } from './loop-guard.js';
import type { HttpUpstream, OutgoingRequest, ResponseSink, Target, UpstreamCall, UpstreamErrorKind } from './upstream.js';

/** Connection errors where nothing reached the upstream: always safe to retry elsewhere. */
const CONNECT_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'UND_ERR_CONNECT_TIMEOUT', 'COLORMESH_LOOP']);

export interface Http1Options {
  readonly own: OwnListeners;
  /** idle pooled connections are closed after this; default 4 s, under a Node app's 5 s keep-alive */
  readonly keepAliveTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
}

export class Http1Upstream implements HttpUpstream {
  private readonly agent: InstanceType<typeof Agent>;
  /** origin strings per target object: endpoints and the app are long-lived, so this is built once */
  private readonly origins = new WeakMap<Target, string>();

  constructor(opts: Http1Options) {
    const connector = buildConnector({ timeout: opts.connectTimeoutMs ?? 10_000 });
    const own = opts.own;
    // Every connection is checked where it landed: a target that is this sidecar's own listener
    // (however its address was spelled) would loop until file descriptors run out.
    const connect: BuildConnector.connector = (options, callback) =>
      connector(options, (err, socket) => {
        if (err !== null) return callback(err, null);
        const s = socket as Socket;
        if (own.isOwnPeer(s.remoteAddress, s.remotePort)) {
          s.destroy();
          return callback(new LoopError(`${s.remoteAddress}:${s.remotePort}`), null);
        }
        callback(null, socket);
      });
    this.agent = new Agent({
      connect,
      keepAliveTimeout: opts.keepAliveTimeoutMs ?? 4000,
      keepAliveMaxTimeout: opts.keepAliveTimeoutMs ?? 4000,
      // The pipeline runs its own deadline (from the end of the request, SPEC timeoutMs); a body may stream for ever.
      headersTimeout: 0,
      bodyTimeout: 0,
      pipelining: 1,
      maxHeaderSize: 64 * 1024,
    });
  }

  send(target: Target, request: OutgoingRequest, sink: ResponseSink): UpstreamCall {
    let origin = this.origins.get(target);
    if (origin === undefined) {
      origin = `http://${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
      this.origins.set(target, origin);
    }
    const call = new Http1Call(sink);
    this.agent.dispatch({ origin, path: request.path, method: request.method as Dispatcher.HttpMethod, headers: request.headers, body: request.body }, call);
    return call;
  }

  async close(): Promise<void> {
    await this.agent.destroy();
  }
}

/** One attempt, as undici's dispatch handler: forwards to the sink and classifies how it failed. */
class Http1Call implements Dispatcher.DispatchHandler, UpstreamCall {
  private abortFn: ((err: Error) => void) | undefined;
  private abortedAs: UpstreamErrorKind | undefined;
  private responded = false;
  private ended = false;

  constructor(private readonly sink: ResponseSink) {}

  abort(kind: UpstreamErrorKind): void {
    if (this.ended) return;
    this.abortedAs = kind;
    const err = new Error(kind === 'timeout' ? 'upstream timeout' : 'request cancelled');
    if (this.abortFn !== undefined) this.abortFn(err);
    else this.onError(err);
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortFn = abort;
    // Aborted before undici got to it (a timeout or a client gone while queued).
    if (this.abortedAs !== undefined) abort(new Error('aborted'));
  }

  onRequestSent(): void {
    this.sink.onRequestSent();
  }

  onHeaders(statusCode: number, headers: Buffer[], resume: () => void): boolean {
    this.responded = true;
    return this.sink.onResponseStart(statusCode, headers, resume);
  }

  onData(chunk: Buffer): boolean {
    return this.sink.onResponseData(chunk);
  }

  onComplete(): void {
    if (this.ended) return;
    this.ended = true;
    this.sink.onResponseEnd();
  }

  onError(err: Error): void {
    if (this.ended) return;
    this.ended = true;
    const e = err as Error & { code?: string; socket?: { bytesRead?: number } };
    const loop = e.code === 'COLORMESH_LOOP';
    const kind: UpstreamErrorKind = this.abortedAs ?? (e.code !== undefined && CONNECT_CODES.has(e.code) ? 'connect' : 'reset');
    // A connection that had already carried responses (bytes read) and then failed before any
    // response to this request is a pooled connection the upstream closed as we reused it.
    const stale = kind === 'reset' && this.abortedAs === undefined && !this.responded && (e.socket?.bytesRead ?? 0) > 0;
    this.sink.onFailure({ kind, loop, stale, responseStarted: this.responded, message: err.message });
  }
}
