// The pipeline's per-request object: everything one request's journey needs and produces, in one
// place. Telemetry sees it as a HopEvent (its public fields); the rest belongs to the pipeline.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import type { CandidateSet, ColorSource, Endpoint, RouteVia, Rules, ServiceRule } from '../core/types.js';
import type { Direction, HopEvent } from '../events.js';
import type { ErrorCode } from './errors.js';
import type { Target } from '../upstream/upstream.js';

export class Exchange implements HopEvent {
  // --- the HopEvent fields telemetry reads ---
  readonly startedAt = performance.now();
  service = '';
  color: string | undefined = undefined;
  colorSource: ColorSource = 'none';
  shadow = false;
  mirrored = false;
  via: RouteVia | 'passthrough' | 'local' | undefined = undefined;
  upstream: string | undefined = undefined;
  upstreamColor: string | undefined = undefined;
  attempts = 0;
  status = 0;
  errorCode: ErrorCode | undefined = undefined;
  durationMs = 0;
  responseHeaders: readonly string[] | undefined = undefined;
  readonly incomingTraceparent: string | undefined;
  telemetry: unknown = undefined;

  // --- what classification and routing decided ---
  /** the service rule of the target, when the host is in the mesh */
  rule: ServiceRule | undefined = undefined;
  /** the endpoints the route chose from (mesh services) */
  set: CandidateSet | undefined = undefined;
  /** the one fixed target (the local app, or a host outside the mesh) */
  fixed: Target | undefined = undefined;
  /** x-colormesh-route for the response, when this entry point shows it */
  routeHeader: string | undefined = undefined;

  // --- the attempts (policy steps and upstream) ---
  /** endpoints already tried, so a retry goes elsewhere */
  tried: Set<Endpoint> | undefined = undefined;
  /** the client has its answer (or an error): late events of an attempt change nothing */
  finished = false;

  constructor(
    readonly direction: Direction,
    /** the rules snapshot this request uses to its end, whatever reloads happen meanwhile */
    readonly rules: Rules,
    readonly req: IncomingMessage,
    readonly res: ServerResponse | undefined,
    /** the client's socket of an Upgrade or CONNECT */
    readonly socket: Duplex | undefined,
    readonly head: Buffer | undefined,
  ) {
    const tp = req.headers.traceparent;
    this.incomingTraceparent = typeof tp === 'string' ? tp : undefined;
  }

  get tunnel(): boolean {
    return this.res === undefined;
  }
}
