// The inbound side's first step: a request from another pod (or, at an entry point, from outside)
// for the local app: its color (ingress coloring at an entry point), the app as the one target,
// and origin-form for the app whatever form the request came in.
import type { Exchange } from '../pipeline/exchange.js';
import { rememberTraceColor, resolveInboundColor } from '../pipeline/color.js';
import type { Classifier, Refusal } from '../pipeline/pipeline.js';
import type { MeshState } from '../pipeline/state.js';
import { asServerRequest } from '../pipeline/target.js';
import type { Target } from '../upstream/upstream.js';

export function inboundClassifier(app: Target): Classifier {
  const appAddress = `${app.host}:${app.port}`;
  return {
    direction: 'inbound',
    showRoute: false,
    countsHops: false,
    acceptsConnect: false,
    classify(state: MeshState, ex: Exchange): Refusal | undefined {
      // Absolute-form is for proxies; the app gets origin-form (RFC 9112 §3.2.2).
      const problem = asServerRequest(ex.req);
      if (problem !== undefined) return { code: 'bad_request', message: problem };
      const service = state.pod.service;
      ex.service = service ?? '';
      const entry = service !== undefined && ex.rules.ingress.entrypoints.has(service);
      resolveInboundColor(state, ex, entry);
      ex.via = 'local';
      ex.fixed = app;
      ex.upstream = appAddress;
      ex.upstreamColor = state.pod.color;
      return undefined;
    },
    // After hopStart: tracing may have started a trace for a request that came without one, and the
    // app will carry that trace id on, so that is the id to remember.
    afterAnnounce: rememberTraceColor,
  };
}
