// The gateway's first step: every request is an entry into the mesh, so it is colored by the
// ingress rules (SPEC 4) and addressed to the one service the gateway fronts.
import type { Exchange } from '../pipeline/exchange.js';
import { hostLineCount } from '../pipeline/headers.js';
import { resolveInboundColor } from '../pipeline/color.js';
import type { Classifier, Refusal } from '../pipeline/pipeline.js';
import type { MeshState } from '../pipeline/state.js';
import { isOriginForm, readTarget } from '../pipeline/target.js';

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
      const req = ex.req;
      if (hostLineCount(req) > 1) return { code: 'bad_request', message: 'more than one Host header' };
      if (!isOriginForm(req.url)) {
        const target = readTarget(req);
        if (!target.ok) return { code: 'bad_request', message: target.message };
      }
      ex.service = opts.service;
      resolveInboundColor(state, ex, true);
      const rule = ex.rules.services.get(opts.service);
      if (rule === undefined) return { code: 'no_endpoint' };
      ex.rule = rule;
      return undefined;
    },
  };
}
