// The attempt loop of one HTTP request — retry, deadline, stale-connection retry — and the sink
// that streams an upstream's response to the client. Every entry point's requests end up here.
import { PassThrough } from 'node:stream';
import { pickEndpoint } from '../core/balancer.js';
import type { Endpoint } from '../core/types.js';
import { channels, publish, type AttemptEvent } from '../events.js';
import type { ResponseSink, Target, UpstreamCall, UpstreamFailure } from '../upstream/upstream.js';
import { BodyRecorder, hasBody } from './body-replay.js';
import { errorCodeFor, sendError, type ErrorCode, type UpstreamErrorKind } from './errors.js';
import type { Exchange } from './exchange.js';
import { outgoingRequestHeaders, outgoingResponseHeaders } from './headers.js';
import type { MeshState } from './state.js';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** What the attempt loop needs beyond the exchange; one per request. */
export class Forwarding {
  recorder: BodyRecorder | undefined;
  attempt: Attempt | undefined;
  staleRetried = false;
  /** an endpoint to try again as is (after a stale pooled connection) instead of picking */
  pinned: Endpoint | undefined;
  /** deadline bookkeeping (DeadlineSweep) */
  deadline = 0;

  constructor(
    readonly state: MeshState,
    readonly ex: Exchange,
    /** the hop counter to send on, or undefined to send none (to the local app) */
    readonly hops: number | undefined,
  ) {}

  start(): void {
    const { ex } = this;
    if (ex.set !== undefined && ex.rule !== undefined && ex.rule.retries > 0 && hasBody(ex.req)) this.recorder = new BodyRecorder(ex.req);
    this.send(undefined);
  }

  /** DeadlineSweep: no response headers in time. */
  onDeadline(): void {
    if (this.ex.finished) return;
    if (this.attempt !== undefined) this.attempt.call?.abort('timeout');
    else this.fail('upstream_timeout');
  }

  send(body: Buffer | undefined): void {
    const { ex, state } = this;
    let target: Target;
    let endpoint: Endpoint | undefined;
    if (ex.set !== undefined) {
      endpoint = this.pinned ?? pickEndpoint(ex.set, ex.rule!.loadBalancer, state.random, ex.tried);
      this.pinned = undefined;
      if (endpoint === undefined) return this.fail('upstream_unreachable');
      endpoint.active++;
      target = endpoint;
      ex.upstream = endpoint.address;
      ex.upstreamColor = endpoint.color;
    } else {
      target = ex.fixed!;
    }
    ex.attempts++;
    const attempt = new Attempt(this, endpoint);
    this.attempt = attempt;
    // Attempt events (and their CLIENT spans) belong to mesh endpoints; the app and an outside host
    // are one hop-level exchange, as telemetry has always shown them.
    if (endpoint !== undefined) publish(channels.attemptStart, attempt);
    const req = ex.req;
    let requestBody: PassThrough | Buffer | null = null;
    if (body !== undefined) requestBody = body;
    else if (hasBody(req)) {
      // undici destroys a body stream that fails; the client's request must survive for our answer.
      requestBody = new PassThrough();
      req.pipe(requestBody);
    }
    attempt.call = state.upstream.send(target, { method: req.method ?? 'GET', path: req.url ?? '/', headers: outgoingRequestHeaders(req, this.hops), body: requestBody }, attempt);
  }

  onAttemptFailed(attempt: Attempt, f: UpstreamFailure): void {
    const { ex } = this;
    if (f.responseStarted) {
      // Headers are out; the only honest signal left is a cut connection.
      this.finish();
      if (!ex.res!.writableFinished) {
        ex.errorCode = 'upstream_reset';
        ex.res!.destroy();
      }
      return;
    }
    if (ex.finished) return;
    if (f.loop) return this.fail('bad_request', f.message);
    if (f.kind === 'timeout') return this.fail('upstream_timeout');
    // Without a kept copy, only a bodiless request can be sent again.
    const replayable = this.recorder === undefined ? !hasBody(ex.req) : this.recorder.replayable;
    if (f.stale && !this.staleRetried && replayable && (ex.set !== undefined || ex.via === 'local')) {
      // The pooled connection was dead before our request reached the app: same endpoint, new connection.
      this.staleRetried = true;
      this.pinned = attempt.endpoint;
      return this.retry(f.kind);
    }
    if (this.mayRetry(f.kind, attempt.endpoint)) {
      (ex.tried ??= new Set()).add(attempt.endpoint!);
      return this.retry(f.kind);
    }
    this.fail(errorCodeFor(f.kind));
  }

  private retry(kind: UpstreamErrorKind): void {
    if (this.recorder === undefined) return this.send(undefined);
    void this.recorder.whenComplete().then((body) => {
      if (this.ex.finished) return;
      if (body === undefined) return this.fail(errorCodeFor(kind));
      this.send(body);
    });
  }

  private mayRetry(kind: UpstreamErrorKind, endpoint: Endpoint | undefined): boolean {
    const { ex } = this;
    if (endpoint === undefined || ex.set === undefined || ex.rule === undefined) return false;
    if (ex.attempts > ex.rule.retries) return false;
    if (ex.set.endpoints.length <= (ex.tried?.size ?? 0) + 1) return false;
    if (this.recorder !== undefined ? !this.recorder.replayable : hasBody(ex.req)) return false; // nothing to send again
    // Nothing reached the upstream on a connect failure; after that only idempotent methods are safe.
    return kind === 'connect' || IDEMPOTENT.has(ex.req.method ?? '');
  }

  fail(code: ErrorCode, message?: string): void {
    const { ex } = this;
    this.finish();
    ex.errorCode = code;
    const details = code === 'bad_request' ? { message } : { service: ex.rule?.name ?? (ex.service || ex.fixed?.host), color: ex.color };
    ex.status = sendError(ex.res!, code, details, ex.routeHeader);
  }

  finish(): void {
    this.ex.finished = true;
    this.state.deadlines.stop(this);
    this.recorder?.stop();
  }

  /** The response closed (the entry point calls this): finished normally, or the client went away mid-request. */
  clientClosed(): void {
    const attempt = this.attempt;
    if (!this.ex.finished) this.finish();
    if (attempt !== undefined && !attempt.ended) {
      attempt.call?.abort('reset');
      attempt.end(attempt.status === 0 ? 'reset' : undefined);
    }
  }
}

/** One attempt: the telemetry's AttemptEvent and the upstream's ResponseSink in one object. */
export class Attempt implements AttemptEvent, ResponseSink {
  readonly hop: Exchange;
  readonly attempt: number;
  readonly address: string;
  readonly endpointColor: string | undefined;
  status = 0;
  errorKind: UpstreamErrorKind | undefined = undefined;
  telemetry: unknown = undefined;
  call: UpstreamCall | undefined;
  ended = false;
  private resume: (() => void) | undefined;

  constructor(
    private readonly fwd: Forwarding,
    readonly endpoint: Endpoint | undefined,
  ) {
    const ex = fwd.ex;
    this.hop = ex;
    this.attempt = ex.attempts;
    this.address = endpoint?.address ?? ex.upstream ?? '';
    this.endpointColor = endpoint?.color ?? ex.upstreamColor;
  }

  onRequestSent(): void {
    // The route timeout runs from the end of the request, as Envoy's does: a slow upload is not late.
    const { ex, state } = this.fwd;
    if (!ex.finished && this.fwd.deadline === 0 && ex.rule !== undefined) state.deadlines.start(this.fwd, ex.rule.timeoutMs);
  }

  onResponseStart(status: number, headers: readonly Buffer[], resume: () => void): boolean {
    const fwd = this.fwd;
    const ex = fwd.ex;
    if (ex.finished) return false;
    fwd.finish();
    this.status = status;
    const res = ex.res!;
    const out = outgoingResponseHeaders(headers);
    if (ex.routeHeader !== undefined) out.push('x-colormesh-route', ex.routeHeader);
    ex.responseHeaders = out;
    try {
      res.writeHead(status, out);
    } catch {
      // A header Node will not send (invalid characters): the response cannot be relayed faithfully.
      this.call?.abort('reset');
      fwd.fail('upstream_reset');
      return false;
    }
    this.resume = resume;
    return true;
  }

  onResponseData(chunk: Buffer): boolean {
    const res = this.fwd.ex.res!;
    if (res.destroyed) return false;
    if (res.write(chunk)) return true;
    // Back-pressure from a slow client: undici pauses until the response drains.
    res.once('drain', () => this.resume?.());
    return false;
  }

  onResponseEnd(): void {
    const res = this.fwd.ex.res!;
    this.end(undefined);
    if (!res.destroyed) res.end();
  }

  onFailure(f: UpstreamFailure): void {
    if (this.ended) return;
    this.end(f.kind);
    this.fwd.onAttemptFailed(this, f);
  }

  /** Publishes the end of the attempt and gives the endpoint's in-flight slot back; once. */
  end(kind: UpstreamErrorKind | undefined): void {
    if (this.ended) return;
    this.ended = true;
    if (this.fwd.attempt === this) this.fwd.attempt = undefined;
    this.errorKind = kind;
    const endpoint = this.endpoint;
    if (endpoint !== undefined) {
      endpoint.active--;
      // A client that went away is not the endpoint's fault: policy steps (ejection) do not hear of it.
      if (kind === undefined || !this.fwd.ex.req.socket.destroyed) {
        for (const step of this.fwd.state.policies) step.afterAttempt?.(this.fwd.ex, endpoint, kind);
      }
      publish(channels.attemptEnd, this);
    }
  }
}
