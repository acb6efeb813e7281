// The only user of http-proxy: sends one attempt of a request to one endpoint over a shared
// keep-alive agent, and reports how it ended. Retries and routing are decided by the caller.
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import httpProxy from 'http-proxy';
import type { UpstreamErrorKind } from '../events.js';

export interface Target {
  readonly host: string;
  readonly port: number;
}

interface ProxyTarget {
  host: string;
  port: number;
  protocol: 'http:';
}

export interface AttemptCallbacks {
  /** upstream answered with headers; the response is being streamed to the client */
  onResponse(proxyRes: IncomingMessage): void;
  /**
   * The attempt failed before a response started (or while streaming, when `responseStarted`).
   * `staleSocket`: it failed on a pooled keep-alive connection that the upstream had just closed —
   * the request never reached the app, so trying again on a fresh connection is safe.
   */
  onError(err: NodeJS.ErrnoException, kind: UpstreamErrorKind, responseStarted: boolean, staleSocket: boolean): void;
}

/** Per-request state http-proxy's server-level events need; kept on the request under a symbol. */
interface AttemptState {
  callbacks: AttemptCallbacks;
  proxyReq: http.ClientRequest | undefined;
  responded: boolean;
  done: boolean;
  /** set by the caller (timeout) so a deliberate abort reports as a timeout, not a reset */
  abortedAs: UpstreamErrorKind | undefined;
}

const STATE = Symbol('colormesh.attempt');
type WithState = IncomingMessage & { [STATE]?: AttemptState };

/** Connection errors where nothing reached the upstream: always safe to retry elsewhere. */
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

export function classifyError(err: NodeJS.ErrnoException): UpstreamErrorKind {
  if (err.code !== undefined && CONNECT_ERRORS.has(err.code)) return 'connect';
  if (err.code === 'ETIMEDOUT') return 'timeout';
  return 'reset';
}

export interface UpstreamOptions {
  /** idle keep-alive sockets kept per upstream host:port */
  maxFreeSockets?: number;
}

export class Upstream {
  /** One agent for every upstream, so connections are reused across requests and colors. */
  readonly agent: http.Agent;
  private readonly proxy: httpProxy;
  private readonly byTarget = new WeakMap<Target, ProxyTarget>();
  private readonly byAddress = new Map<string, ProxyTarget>();

  constructor(opts: UpstreamOptions = {}) {
    // Idle pooled sockets are dropped after 4 s, before a Node upstream's default 5 s keep-alive
    // timeout closes them from its side (the race that produces resets on reused sockets).
    this.agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 1000, maxFreeSockets: opts.maxFreeSockets ?? 256, scheduling: 'lifo', timeout: 4000 });
    // toProxy: req.url is always origin-form by the time it gets here, so http-proxy can use it
    // as the path without re-parsing it (it would otherwise call url.parse on every request).
    this.proxy = httpProxy.createProxyServer({ agent: this.agent, xfwd: false, toProxy: true, ws: true });
    this.proxy.on('proxyReq', onProxyReq);
    this.proxy.on('proxyRes', onProxyRes);
    // http-proxy emits 'error' when no callback was given (e.g. ws); an unhandled one would kill the process.
    this.proxy.on('error', (err, req) => reportError(req as WithState, err as NodeJS.ErrnoException));
    // the client went away mid-request: nothing to answer, just make sure the upstream request dies
    this.proxy.on('econnreset', (_err, req) => (req as WithState)[STATE]?.proxyReq?.destroy());
  }

  /**
   * Starts one attempt. `body` replays an already-read request body on a retry. Exactly one of the
   * callbacks fires, unless the client disappears first (the caller sees that as the response closing).
   */
  attempt(req: IncomingMessage, res: ServerResponse, target: Target, callbacks: AttemptCallbacks, body?: Readable): void {
    const state: AttemptState = { callbacks, proxyReq: undefined, responded: false, done: false, abortedAs: undefined };
    (req as WithState)[STATE] = state;
    const options: httpProxy.ServerOptions = { target: this.targetFor(target) as unknown as httpProxy.ServerOptions['target'] };
    if (body !== undefined) options.buffer = body as unknown as httpProxy.ServerOptions['buffer'];
    this.proxy.web(req, res, options, (err) => reportError(req as WithState, err as NodeJS.ErrnoException));
  }

  /** Aborts the current attempt of `req` (used for timeouts and when the client goes away). */
  abort(req: IncomingMessage, as: UpstreamErrorKind): void {
    const state = (req as WithState)[STATE];
    if (state === undefined || state.done) return;
    state.abortedAs = as;
    if (state.proxyReq !== undefined) state.proxyReq.destroy();
    else reportError(req as WithState, Object.assign(new Error(`upstream ${as}`), { code: as === 'timeout' ? 'ETIMEDOUT' : 'ECONNRESET' }));
  }

  /**
   * The client went away: destroy the upstream request silently. http-proxy only listens for the
   * request's 'aborted' event, which modern Node no longer emits once the request body is complete,
   * so without this the upstream request would live on until the upstream answered.
   */
  cancel(req: IncomingMessage): void {
    const state = (req as WithState)[STATE];
    if (state === undefined || state.done) return;
    state.done = true;
    state.proxyReq?.destroy();
    state.abortedAs = 'reset';
  }

  /** Passes a WebSocket (or other Upgrade) handshake through to the target. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: Target, onError: (err: Error) => void): void {
    // HTTP servers allow half-open sockets; a tunnel whose client has finished must finish too,
    // or both legs stay open forever.
    socket.once('end', () => socket.end());
    this.proxy.ws(req, socket, head, { target: this.targetFor(target) as unknown as httpProxy.ServerOptions['target'] }, onError);
  }

  close(): void {
    this.agent.destroy();
    this.proxy.close();
  }

  /**
   * Target objects are cached: http-proxy would parse a string target on every request. Endpoints
   * and the app are long-lived objects, so the usual lookup is by identity, with no key to build;
   * pass-through hosts (a new object per request) fall back to a bounded map by address.
   */
  private targetFor(t: Target): ProxyTarget {
    const known = this.byTarget.get(t);
    if (known !== undefined) return known;
    const key = `${t.host}:${t.port}`;
    let cached = this.byAddress.get(key);
    if (cached === undefined) {
      if (this.byAddress.size > 10_000) this.byAddress.clear(); // pass-through hosts are unbounded
      cached = { host: t.host, port: t.port, protocol: 'http:' };
      this.byAddress.set(key, cached);
    }
    this.byTarget.set(t, cached);
    return cached;
  }
}

function onProxyReq(proxyReq: http.ClientRequest, req: IncomingMessage): void {
  const state = (req as WithState)[STATE];
  if (state === undefined) return;
  state.proxyReq = proxyReq;
  // cancelled or timed out before the socket was assigned
  if (state.abortedAs !== undefined) proxyReq.destroy();
}

function onProxyRes(proxyRes: IncomingMessage, req: IncomingMessage): void {
  const state = (req as WithState)[STATE];
  if (state === undefined || state.done) return;
  state.responded = true;
  // An upstream that dies mid-body: http-proxy does not report it, so the client would hang.
  proxyRes.once('close', () => {
    if (!proxyRes.complete) reportError(req as WithState, Object.assign(new Error('upstream reset while streaming'), { code: 'ECONNRESET' }));
  });
  state.callbacks.onResponse(proxyRes);
}

function reportError(req: WithState | undefined, err: NodeJS.ErrnoException): void {
  const state = req?.[STATE];
  if (state === undefined || state.done) return;
  state.done = true;
  const kind = state.abortedAs ?? classifyError(err);
  const stale = kind === 'reset' && state.abortedAs === undefined && !state.responded && state.proxyReq?.reusedSocket === true;
  state.callbacks.onError(err, kind, state.responded, stale);
}

/** Marks the attempt finished so late errors from it are ignored. */
export function settleAttempt(req: IncomingMessage): void {
  const state = (req as WithState)[STATE];
  if (state !== undefined) state.done = true;
}

/** The upstream request of the current attempt, if it exists yet. */
export function currentUpstreamRequest(req: IncomingMessage): http.ClientRequest | undefined {
  return (req as WithState)[STATE]?.proxyReq;
}
