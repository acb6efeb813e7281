// The outbound side's first step: where a call from the local app is going (absolute-form from
// HTTP_PROXY clients, or Host when transparently redirected), which service that is, and its color.
import type { Exchange } from '../pipeline/exchange.js';
import { hostLineCount } from '../pipeline/headers.js';
import { resolveOutboundColor } from '../pipeline/color.js';
import type { Classifier, Refusal } from '../pipeline/pipeline.js';
import type { MeshState } from '../pipeline/state.js';
import { lookupService } from '../pipeline/service-lookup.js';
import { readTarget, splitConnectAuthority } from '../pipeline/target.js';
import type { Authority } from '../core/host.js';
import type { ServiceRule } from '../core/types.js';

export const outboundClassifier: Classifier = {
  direction: 'outbound',
  showRoute: true,
  countsHops: true,
  acceptsConnect: true,
  classify(state: MeshState, ex: Exchange): Refusal | undefined {
    const req = ex.req;
    if (hostLineCount(req) > 1) return { code: 'bad_request', message: 'more than one Host header' };
    let authority: Authority;
    let rule: ServiceRule | undefined;
    if (req.method === 'CONNECT') {
      const parsed = splitConnectAuthority(req.url ?? '');
      if (parsed === undefined) return { code: 'bad_request', message: `bad CONNECT target "${(req.url ?? '').slice(0, 64)}"` };
      authority = parsed;
      rule = lookupService(ex.rules, req.url ?? '', state.pod.namespace)?.rule;
    } else {
      const target = readTarget(req);
      if (!target.ok) return { code: 'bad_request', message: target.message };
      const resolved = lookupService(ex.rules, target.host, state.pod.namespace);
      if (resolved === undefined) return { code: 'bad_request', message: `bad authority "${target.host.slice(0, 64)}"` };
      authority = resolved.authority;
      rule = resolved.rule;
    }
    resolveOutboundColor(state, ex);
    if (rule !== undefined) {
      ex.rule = rule;
      ex.service = rule.name;
      return undefined;
    }
    const host = authority.host;
    const port = authority.port ?? (req.method === 'CONNECT' ? 443 : 80);
    // A shadow copy never leaves the mesh (SPEC 8): an outside API must not be called twice.
    if (ex.rules.outboundPolicy === 'deny' || ex.shadow) {
      ex.routeHeader = `${host};color=${ex.color ?? '-'};via=none`;
      ex.fixed = { host, port };
      return { code: 'not_in_mesh' };
    }
    if (state.own.isOwnTarget(host, port)) return { code: 'bad_request', message: `refusing to proxy to the sidecar's own port ${port}` };
    ex.fixed = { host, port };
    ex.via = 'passthrough';
    ex.upstream = `${host}:${port}`;
    ex.routeHeader = `${host};color=${ex.color ?? '-'};via=passthrough`;
    return undefined;
  },
};
