// The gateway's first step: every request is an entry into the mesh, so it is colored by the
// ingress rules (SPEC 4) and addressed to the one service the gateway fronts.
import type { Exchange } from '../pipeline/exchange.js';
import { resolveInboundColor } from '../pipeline/color.js';
import type { Classifier, Refusal } from '../pipeline/pipeline.js';
import type { MeshState } from '../pipeline/state.js';
import { asServerRequest } from '../pipeline/target.js';

export interface GatewayOptions {
  readonly service: string;
  /** show x-colormesh-route to outside clients; off by default: it names internal services and colors */
  readonly exposeRoute?: boolean;
}

export function gatewayClassifier(opts: GatewayOptions): Classifier {
  return {
    direction: 'gateway',
    showRoute: opts.exposeRoute === true,
    countsHops: true,
    acceptsConnect: false,
    classify(state: MeshState, ex: Exchange): Refusal | undefined {
      // Absolute-form is for proxies; the app gets origin-form (RFC 9112 §3.2.2).
      const problem = asServerRequest(ex.req);
      if (problem !== undefined) return { code: 'bad_request', message: problem };
      ex.service = opts.service;
      resolveInboundColor(state, ex, true);
      const rule = ex.rules.services.get(opts.service);
      if (rule === undefined) return { code: 'no_endpoint' };
      ex.rule = rule;
      return undefined;
    },
  };
}
