// One attempt to one known target — the local app (inbound) or a host outside the mesh
// (passthrough) — with the answers both need when it fails. No route decision, no retries elsewhere.
import type { HopEvent } from '../events.js';
import { BodyRecorder } from './body-replay.js';
import { errorCodeFor, sendError } from './errors.js';
import { onHopClose } from './hop.js';
import type { MeshState } from './state.js';
import type { Target } from './upstream.js';

export interface ForwardOnceOptions {
  /** x-colormesh-route for the response and for error answers (outbound side only) */
  readonly routeHeader?: string;
  /** the name error bodies give as `service` */
  readonly service: string;
  /** send a bodiless request once more when it failed on a pooled connection the target had just closed */
  readonly retryStale: boolean;
}

export function forwardOnce(state: MeshState, hop: HopEvent, target: Target, opts: ForwardOnceOptions): void {
  onHopClose(hop.res, () => {
    if (!hop.res.writableFinished) state.upstream.cancel(hop.req);
  });
  attempt(state, hop, target, opts, opts.retryStale);
}

function attempt(state: MeshState, hop: HopEvent, target: Target, opts: ForwardOnceOptions, staleRetryLeft: boolean): void {
  state.upstream.attempt(hop.req, hop.res, target, {
    onResponse: () => {
      if (opts.routeHeader !== undefined) hop.res.setHeader('x-colormesh-route', opts.routeHeader);
    },
    onError: (_err, kind, started, stale) => {
      if (started) {
        // Headers are out; the only honest signal left is a cut connection.
        hop.errorCode = 'upstream_reset';
        hop.res.destroy();
        return;
      }
      if (stale && staleRetryLeft && !BodyRecorder.hasBody(hop.req)) {
        hop.attempts++;
        return attempt(state, hop, target, opts, false);
      }
      hop.errorCode = errorCodeFor(kind);
      hop.status = sendError(hop.res, hop.errorCode, { service: opts.service, color: hop.color }, opts.routeHeader);
    },
  });
}
