// Sends a request to a mesh service: the route decision (SPEC 2), then attempts on endpoints of the
// chosen set, retrying connection failures on other endpoints, within the service's timeout.
// Shared by the outbound listener and the gateway.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pickEndpoint } from '../core/balancer.js';
import { decideRoute, routeHeader } from '../core/route.js';
import type { CandidateSet, Endpoint, ServiceRule } from '../core/types.js';
import { channels, publish, type AttemptEvent, type HopEvent, type UpstreamErrorKind } from '../events.js';
import { BodyRecorder } from '../proxy/body-replay.js';
import { errorCodeFor, sendError, type ErrorCode } from '../proxy/errors.js';
import { onHopClose } from '../proxy/hop.js';
import type { MeshState } from '../proxy/state.js';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** Headers meant for the proxy itself, never passed on. */
export function stripProxyHeaders(req: IncomingMessage): void {
  const h = req.headers;
  if (h['proxy-connection'] !== undefined) delete h['proxy-connection'];
  if (h['proxy-authorization'] !== undefined) delete h['proxy-authorization'];
}

export function routeErrorHeader(service: string, color: string | undefined): string {
  return `${service};color=${color ?? '-'};via=none`;
}

/** Routes `req` to `service` for a request of color `color` (already written into its baggage). */
export function forwardToService(state: MeshState, hop: HopEvent, service: ServiceRule, color: string | undefined): void {
  const { req, res } = hop;
  const decision = decideRoute(service, state.registry.sets(service.name), color);
  if (!decision.ok) {
    hop.errorCode = 'no_endpoint';
    publish(channels.hopStart, hop);
    hop.status = sendError(res, 'no_endpoint', { service: service.name, color }, routeErrorHeader(service.name, color));
    return;
  }
  hop.via = decision.via;
  publish(channels.hopStart, hop);
  new ServiceCall(state, hop, service, decision.set, routeHeader(service.name, color, decision.via)).start(req, res);
}

/** One request's attempts against one candidate set. */
class ServiceCall {
  private tried: Set<Endpoint> | undefined;
  private current: Endpoint | undefined;
  private attemptEvent: AttemptEvent | undefined;
  private recorder: BodyRecorder | undefined;
  private timer: NodeJS.Timeout | undefined;
  private finished = false;
  private staleRetried = false;
  /** an endpoint to try again as is (after a stale pooled connection) instead of picking */
  private pinned: Endpoint | undefined;

  constructor(
    private readonly state: MeshState,
    private readonly hop: HopEvent,
    private readonly service: ServiceRule,
    private readonly set: CandidateSet,
    private readonly routeHeader: string,
  ) {}

  start(req: IncomingMessage, res: ServerResponse): void {
    if (BodyRecorder.hasBody(req) && this.service.retries > 0) this.recorder = new BodyRecorder(req);
    this.timer = setTimeout(() => this.onTimeout(), this.service.timeoutMs);
    onHopClose(res, () => this.onClientClosed());
    this.attempt(undefined);
  }

  private attempt(body: Readable | undefined): void {
    const endpoint = this.pinned ?? pickEndpoint(this.set, this.service.loadBalancer, this.state.random, this.tried);
    this.pinned = undefined;
    if (endpoint === undefined) return this.fail('upstream_unreachable');
    const hop = this.hop;
    this.current = endpoint;
    endpoint.active++;
    hop.attempts++;
    hop.upstream = endpoint.address;
    hop.upstreamColor = endpoint.color;
    const event: AttemptEvent = {
      hop,
      attempt: hop.attempts,
      address: endpoint.address,
      endpointColor: endpoint.color,
      status: 0,
      errorKind: undefined,
      telemetry: undefined,
    };
    this.attemptEvent = event;
    publish(channels.attemptStart, event);
    this.state.upstream.attempt(hop.req, hop.res, endpoint, {
      onResponse: (proxyRes) => {
        clearTimeout(this.timer);
        this.recorder?.stop();
        event.status = proxyRes.statusCode ?? 0;
        hop.res.setHeader('x-colormesh-route', this.routeHeader);
      },
      onError: (err, kind, responseStarted, stale) => this.onAttemptError(endpoint, event, err, kind, responseStarted, stale),
    }, body);
  }

  private onAttemptError(endpoint: Endpoint, event: AttemptEvent, _err: Error, kind: UpstreamErrorKind, responseStarted: boolean, stale: boolean): void {
    this.endAttempt(endpoint, event, kind);
    if (this.finished) return;
    if (responseStarted) {
      // Headers are out; the only honest signal left is a cut connection.
      this.finish();
      this.hop.errorCode = 'upstream_reset';
      this.hop.res.destroy();
      return;
    }
    if (kind === 'timeout') return this.fail('upstream_timeout');
    if (stale && !this.staleRetried && (this.recorder === undefined || this.recorder.replayable)) {
      // The pooled connection was dead before our request reached the app: same endpoint, new connection.
      this.staleRetried = true;
      return this.retry(endpoint, kind, false);
    }
    if (this.mayRetry(kind)) return this.retry(endpoint, kind, true);
    this.fail(errorCodeFor(kind));
  }

  private retry(endpoint: Endpoint, kind: UpstreamErrorKind, elsewhere: boolean): void {
    if (elsewhere) (this.tried ??= new Set()).add(endpoint);
    else this.pinned = endpoint;
    if (this.recorder === undefined) return this.attempt(undefined);
    void this.recorder.whenComplete().then((body) => {
      if (this.finished) return;
      if (body === undefined) return this.fail(errorCodeFor(kind));
      this.attempt(body);
    });
  }

  private onTimeout(): void {
    if (this.finished) return;
    // An attempt in flight is aborted and reports back as a timeout; between attempts we answer now.
    if (this.current !== undefined) this.state.upstream.abort(this.hop.req, 'timeout');
    else this.fail('upstream_timeout');
  }

  private mayRetry(kind: UpstreamErrorKind): boolean {
    if (this.hop.attempts > this.service.retries) return false;
    if (this.set.endpoints.length <= (this.tried?.size ?? 0) + 1) return false;
    if (this.recorder !== undefined && !this.recorder.replayable) return false;
    // Nothing reached the upstream on a connect failure; after that only idempotent methods are safe.
    return kind === 'connect' || IDEMPOTENT.has(this.hop.req.method ?? '');
  }

  private endAttempt(endpoint: Endpoint, event: AttemptEvent, kind: UpstreamErrorKind | undefined): void {
    if (this.attemptEvent !== event) return;
    this.attemptEvent = undefined;
    this.current = undefined;
    endpoint.active--;
    event.errorKind = kind;
    publish(channels.attemptEnd, event);
  }

  private fail(code: ErrorCode): void {
    this.finish();
    this.hop.errorCode = code;
    this.hop.status = sendError(this.hop.res, code, { service: this.service.name, color: this.hop.color }, this.routeHeader);
  }

  private finish(): void {
    this.finished = true;
    clearTimeout(this.timer);
    this.recorder?.stop();
  }

  /** The response closed: finished normally, or the client went away mid-request. */
  private onClientClosed(): void {
    if (!this.finished) this.finish();
    const { current, attemptEvent } = this;
    if (current !== undefined && attemptEvent !== undefined) {
      if (!this.hop.res.writableFinished) this.state.upstream.cancel(this.hop.req);
      this.endAttempt(current, attemptEvent, attemptEvent.status === 0 ? 'reset' : undefined);
    }
  }
}
