// The one request path. Every listener — outbound, inbound, gateway — hands each request, Upgrade
// and CONNECT to an EntryPoint, which runs: classify (its own first step: target, service, color)
// → route (the pure decision) → policy steps → upstream. Loop guard, hop counter, route header,
// events and errors are therefore the same on every path.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { decideRoute, routeHeader } from '../core/route.js';
import { pickEndpoint } from '../core/balancer.js';
import { channels, publish, type Direction } from '../events.js';
import { rejectSocket, sendError, type ErrorCode } from './errors.js';
import { Exchange } from './exchange.js';
import { Forwarding } from './forward.js';
import { hopsOf, MAX_HOPS } from './headers.js';
import type { MeshState } from './state.js';

/** Why a request is answered by the sidecar itself instead of being forwarded. */
export interface Refusal {
  readonly code: ErrorCode;
  readonly message?: string;
}

/** What differs between entry points: the first step, and a few switches. */
export interface Classifier {
  readonly direction: Direction;
  /** Fills in `ex` (target, service, color, baggage), or says why the request is refused. */
  classify(state: MeshState, ex: Exchange): Refusal | undefined;
  /** Runs after hopStart was published (the inbound side records trace → color here). */
  afterAnnounce?(state: MeshState, ex: Exchange): void;
  /** Whether responses carry x-colormesh-route (not at the edge, by default). */
  readonly showRoute: boolean;
  /** Whether the hop counter is checked and sent on (sidecar to sidecar; not to the local app). */
  readonly countsHops: boolean;
  /** Whether CONNECT is served here (the outbound side's explicit-proxy mode). */
  readonly acceptsConnect: boolean;
}

export class EntryPoint {
  constructor(
    private readonly state: MeshState,
    private readonly classifier: Classifier,
  ) {}

  request(req: IncomingMessage, res: ServerResponse): void {
    const ex = new Exchange(this.classifier.direction, this.state.rules, req, res, undefined, undefined);
    let forwarding: Forwarding | undefined;
    // One listener for the end of the exchange: the attempt in flight ends first, then the hop.
    res.once('close', () => {
      forwarding?.clientClosed();
      onExchangeClosed(ex);
    });
    const refusal = this.prepare(ex);
    if (refusal !== undefined) return this.refuse(ex, refusal);
    this.announce(ex);
    if (ex.set !== undefined) for (const step of this.state.policies) step.beforeAttempts?.(ex);
    forwarding = new Forwarding(this.state, ex, this.classifier.countsHops ? hopsOf(req) + 1 : undefined);
    forwarding.start();
  }

  /** Upgrade: a WebSocket is routed like a request (one attempt, no retries); anything else is plain HTTP/1.1. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, serveAsRequest: (req: IncomingMessage, socket: Duplex) => void): void {
    socket.on('error', () => socket.destroy());
    if (!isWebSocket(req)) return serveAsRequest(req, socket);
    const ex = new Exchange(this.classifier.direction, this.state.rules, req, undefined, socket, head);
    socket.once('close', () => onExchangeClosed(ex));
    const refusal = this.prepare(ex);
    if (refusal !== undefined) return this.refuse(ex, refusal);
    const endpoint = ex.set !== undefined ? pickEndpoint(ex.set, ex.rule!.loadBalancer, this.state.random) : undefined;
    const target = endpoint ?? ex.fixed;
    if (target === undefined) return this.refuse(ex, { code: 'upstream_unreachable' });
    if (endpoint !== undefined) {
      ex.upstream = endpoint.address;
      ex.upstreamColor = endpoint.color;
    }
    ex.attempts = 1;
    // http-proxy sends req.headers on as they are: the proxy's own headers go, the hop counter is set.
    delete req.headers['proxy-authorization'];
    delete req.headers['proxy-connection'];
    if (this.classifier.countsHops) req.headers['x-colormesh-hops'] = String(hopsOf(req) + 1);
    else delete req.headers['x-colormesh-hops'];
    this.announce(ex);
    this.state.tunnels.upgrade(req, socket, head, target, (failure) => {
      this.refuse(ex, failure.loop ? { code: 'bad_request', message: failure.message } : { code: 'upstream_unreachable', message: failure.message });
    });
    ex.status = 101;
  }

  /** CONNECT: a blind tunnel, only to hosts outside the mesh under `allow` (classified like a request). */
  connect(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const ex = new Exchange(this.classifier.direction, this.state.rules, req, undefined, socket, head);
    socket.once('close', () => onExchangeClosed(ex));
    if (!this.classifier.acceptsConnect) return this.refuse(ex, { code: 'bad_request', message: 'CONNECT is served only by the outbound listener' });
    const refusal = this.classify(ex);
    if (refusal !== undefined) return this.refuse(ex, refusal);
    if (ex.rule !== undefined) {
      return this.refuse(ex, { code: 'bad_request', message: `CONNECT to mesh service ${ex.rule.name} cannot be routed by color; call it over plain HTTP` });
    }
    ex.attempts = 1;
    this.announce(ex);
    this.state.tunnels.connect(socket, head, ex.fixed!, (failure) => {
      this.refuse(ex, failure.loop ? { code: 'bad_request', message: failure.message } : { code: 'upstream_unreachable', message: failure.message });
    });
    ex.status = 200;
  }

  /** classify → hop counter → route. */
  private prepare(ex: Exchange): Refusal | undefined {
    return this.classify(ex) ?? (ex.rule !== undefined ? this.route(ex) : undefined);
  }

  /** The entry point's own first step, then the hop counter every sidecar-to-sidecar path checks. */
  private classify(ex: Exchange): Refusal | undefined {
    const refusal = this.classifier.classify(this.state, ex);
    if (refusal !== undefined) return refusal;
    if (this.classifier.countsHops && hopsOf(ex.req) >= MAX_HOPS) {
      return { code: 'loop_detected', message: `the request has passed ${MAX_HOPS} sidecars: a routing loop` };
    }
    return undefined;
  }

  /** The pure decision of SPEC 2 (shadow copies: their own color only, SPEC 8). */
  private route(ex: Exchange): Refusal | undefined {
    const rule = ex.rule!;
    const show = this.classifier.showRoute;
    const decision = decideRoute(rule, this.state.registry.sets(rule.name), ex.color, ex.shadow);
    if (!decision.ok) {
      if (show) ex.routeHeader = routeHeader(rule.name, ex.color, 'none');
      return { code: 'no_endpoint' };
    }
    ex.via = decision.via;
    ex.set = decision.set;
    if (show) ex.routeHeader = routeHeader(rule.name, ex.color, decision.via);
    return undefined;
  }

  private announce(ex: Exchange): void {
    publish(channels.hopStart, ex);
    this.classifier.afterAnnounce?.(this.state, ex);
  }

  /** The sidecar answers itself: hopStart is published for routed refusals too, so telemetry counts them. */
  private refuse(ex: Exchange, refusal: Refusal): void {
    ex.errorCode = refusal.code;
    if (ex.status === 0 && refusal.code !== 'bad_request') publish(channels.hopStart, ex);
    const details = refusal.code === 'bad_request' || refusal.code === 'loop_detected'
      ? { message: refusal.message }
      : { service: ex.rule?.name ?? (ex.service || ex.fixed?.host), color: ex.color };
    ex.status = ex.res !== undefined ? sendError(ex.res, refusal.code, details, ex.routeHeader) : rejectSocket(ex.socket!, refusal.code, details, ex.routeHeader);
  }
}

function isWebSocket(req: IncomingMessage): boolean {
  const upgrade = req.headers.upgrade;
  return typeof upgrade === 'string' && upgrade.toLowerCase().split(',').some((t) => t.trim() === 'websocket');
}

/** The response (or tunnel) closed: the hop's duration and final status, then hopEnd, exactly once. */
function onExchangeClosed(ex: Exchange): void {
  ex.durationMs = performance.now() - ex.startedAt;
  const res = ex.res;
  // A response that closed before finishing was cut short: the client went away, or we cut it.
  if (res !== undefined && ex.status === 0) ex.status = res.writableFinished || res.headersSent ? res.statusCode : 499;
  publish(channels.hopEnd, ex);
}
