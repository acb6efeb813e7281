// Explains a routing decision in plain English, for `colormesh explain` and the admin `/explain` endpoint.
// It runs the real decideRoute and narrates SPEC 2's steps around it, so the story cannot drift from the code.
import { COLOR_PATTERN, normalizeColor } from './color.js';
import { decideRoute, routeHeader } from './route.js';
import type { EndpointSets, Endpoint, RouteVia, Rules, ServiceRule } from './types.js';

export interface ExplainedEndpoint {
  address: string;
  /** null means untagged */
  color: string | null;
  healthy: boolean;
  /** passive health has ejected it for now (SPEC 2) */
  ejected: boolean;
}

/** Plain JSON: absent values are null so they show up in the output instead of vanishing. */
export interface Explanation {
  service: string;
  serviceFound: boolean;
  /** the color as asked for, before validation */
  requestedColor: string | null;
  /** the color the request would be routed with (valid and allowed), or null for none */
  color: string | null;
  /** why the requested color counts as no color, if it does */
  colorProblem: string | null;
  decision: { ok: true; via: RouteVia } | { ok: false; error: 'no_endpoint' | 'unknown_service' };
  /** the x-colormesh-route header the response would carry */
  routeHeader: string | null;
  /** the set a request would be balanced over */
  candidates: ExplainedEndpoint[];
  /** every endpoint discovery reports, healthy or not */
  endpoints: ExplainedEndpoint[];
  reasons: string[];
}

export function explainRoute(rules: Rules, serviceName: string, color: string | undefined, sets: EndpointSets | undefined): Explanation {
  const reasons: string[] = [];
  const { usable, problem } = checkColor(rules, color);
  if (problem !== null) reasons.push(problem);
  const base = { service: serviceName, requestedColor: color ?? null, color: usable ?? null, colorProblem: problem };
  const service = rules.services.get(serviceName);
  if (service === undefined) {
    const known = [...rules.services.keys()].sort().join(', ') || 'none';
    reasons.push(`service "${serviceName}" is not in the rules (${rules.source}); known services: ${known}`);
    const decision = { ok: false as const, error: 'unknown_service' as const };
    return { ...base, serviceFound: false, decision, routeHeader: null, candidates: [], endpoints: [], reasons };
  }
  const endpoints = (sets?.all ?? []).map(describe);
  reasons.push(summarizeEndpoints(service, sets));
  const effectiveSets = sets ?? EMPTY_SETS;
  narrateSteps(service, effectiveSets, usable, reasons);
  const decision = decideRoute(service, effectiveSets, usable);
  if (!decision.ok) {
    return { ...base, serviceFound: true, decision: { ok: false, error: 'no_endpoint' }, routeHeader: routeHeader(serviceName, usable, 'none'), candidates: [], endpoints, reasons };
  }
  const size = decision.set.endpoints.length;
  reasons.push(size === 1 ? 'the one endpoint is used' : `one of ${size} endpoints is picked by ${service.loadBalancer}`);
  if (usable !== undefined && decision.via !== 'exact') {
    reasons.push(`the request keeps color ${usable} in its baggage, so deeper services still route it to ${usable} where it exists`);
  }
  return {
    ...base,
    serviceFound: true,
    decision: { ok: true, via: decision.via },
    routeHeader: routeHeader(serviceName, usable, decision.via),
    candidates: decision.set.endpoints.map(describe),
    endpoints,
    reasons,
  };
}

/** A human-readable rendering of an Explanation, for the CLI. */
export function formatExplanation(e: Explanation): string {
  const lines: string[] = [];
  lines.push(`service:  ${e.service}${e.serviceFound ? '' : ' (not in the rules)'}`);
  const asked = e.requestedColor === null ? '' : ` (asked: ${JSON.stringify(e.requestedColor)})`;
  lines.push(`color:    ${e.color ?? '-'}${e.colorProblem !== null ? asked : ''}`);
  lines.push(`decision: ${e.decision.ok ? `route via ${e.decision.via}` : e.decision.error === 'no_endpoint' ? '503 no_endpoint' : 'unknown service'}`);
  if (e.routeHeader !== null) lines.push(`header:   x-colormesh-route: ${e.routeHeader}`);
  if (e.candidates.length > 0) {
    lines.push('candidates:');
    for (const c of e.candidates) lines.push(`  ${c.address}  ${c.color ?? 'untagged'}`);
  }
  lines.push('why:');
  e.reasons.forEach((reason, i) => lines.push(`  ${i + 1}. ${reason}`));
  return lines.join('\n') + '\n';
}

const EMPTY_SETS: EndpointSets = { byColor: new Map(), untagged: { endpoints: [], cursor: 0 }, all: [] };

function checkColor(rules: Rules, color: string | undefined): { usable: string | undefined; problem: string | null } {
  if (color === undefined || color === '') return { usable: undefined, problem: null };
  const valid = normalizeColor(color);
  if (valid === undefined) {
    return { usable: undefined, problem: `${JSON.stringify(color)} is not a valid color (${COLOR_PATTERN.source} after lower-casing); the request counts as uncolored` };
  }
  if (rules.colors !== undefined && !rules.colors.has(valid)) {
    const allowed = [...rules.colors].join(', ');
    return { usable: undefined, problem: `color ${valid} is not in the colors allow-list (${allowed}); the request counts as uncolored` };
  }
  return { usable: valid, problem: null };
}

function summarizeEndpoints(service: ServiceRule, sets: EndpointSets | undefined): string {
  if (sets === undefined || sets.all.length === 0) return `service ${service.name} has no endpoints (discovery: ${service.discovery.kind})`;
  const healthy = sets.all.filter((e) => e.healthy && e.ejected !== true).length;
  const ejected = sets.all.filter((e) => e.healthy && e.ejected === true).length;
  const groups = [...sets.byColor].map(([c, set]) => `${c} ${set.endpoints.length}`);
  if (sets.untagged.endpoints.length > 0) groups.push(`untagged ${sets.untagged.endpoints.length}`);
  const unhealthy = sets.all.length - healthy - ejected;
  const unhealthyNote = unhealthy > 0 ? `; ${unhealthy} not ready, never picked` : '';
  const ejectedNote = ejected > 0 ? `; ${ejected} ejected after consecutive failures (passive health), left out until they are tried again` : '';
  return `service ${service.name} has ${sets.all.length} endpoint(s), ${healthy} healthy (${groups.join(', ') || 'none'})${unhealthyNote}${ejectedNote}`;
}

/** SPEC 2's steps in words, stopping where decideRoute stops. */
function narrateSteps(service: ServiceRule, sets: EndpointSets, color: string | undefined, reasons: string[]): void {
  if (color !== undefined) {
    const same = sets.byColor.get(color)?.endpoints.length ?? 0;
    if (same > 0) {
      reasons.push(`step 1: ${count(same)} of color ${color}: route there (via exact)`);
      return;
    }
    if (service.force) {
      reasons.push(`step 2: no healthy endpoint of color ${color}, and force is true: answer 503 no_endpoint, no fallback`);
      return;
    }
    reasons.push(`step 1: no healthy endpoint of color ${color}; force is false, so fall back`);
  } else {
    reasons.push('no request color: go straight to the untagged endpoints');
  }
  const untagged = sets.untagged.endpoints.length;
  if (untagged > 0) {
    reasons.push(`step 3: ${count(untagged)} untagged: route there (via untagged)`);
    return;
  }
  reasons.push('step 3: no healthy untagged endpoint');
  if (service.defaultColor === undefined) {
    reasons.push('step 4: the service has no defaultColor');
  } else {
    const live = sets.byColor.get(service.defaultColor)?.endpoints.length ?? 0;
    if (live > 0) {
      reasons.push(`step 4: defaultColor is ${service.defaultColor} with ${count(live)}: route there (via default)`);
      return;
    }
    reasons.push(`step 4: defaultColor is ${service.defaultColor} but it has no healthy endpoint`);
  }
  reasons.push('step 5: nothing left to try: answer 503 no_endpoint');
}

function count(n: number): string {
  return n === 1 ? '1 healthy endpoint' : `${n} healthy endpoints`;
}

function describe(e: Endpoint): ExplainedEndpoint {
  return { address: e.address, color: e.color ?? null, healthy: e.healthy, ejected: e.ejected === true };
}
