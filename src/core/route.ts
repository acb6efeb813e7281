// The routing decision of SPEC 2: which candidate set of a service's endpoints serves a request of a color.
// Pure and O(1) per request: the per-color sets and the decision objects are built once per discovery change.
import type { CandidateSet, Endpoint, EndpointSets, RouteDecision, RouteVia, ServiceRule } from './types.js';

type DecisionsByVia = Record<RouteVia, RouteDecision>;

/**
 * The three possible success decisions of each set, made once when the set is first used, so that
 * decideRoute allocates nothing. Keyed weakly: old sets vanish with the discovery snapshot that made them.
 */
const decisionsBySet = new WeakMap<CandidateSet, DecisionsByVia>();

const NO_ENDPOINT: RouteDecision = Object.freeze({ ok: false, error: 'no_endpoint' });

/**
 * Groups the HEALTHY, not ejected endpoints by color; untagged ones go to their own set. `all` keeps every endpoint,
 * healthy or not, for the admin endpoint and `explain`. Colors with no healthy endpoint get no entry, so
 * a map hit always means a non-empty set.
 */
export function buildEndpointSets(endpoints: readonly Endpoint[]): EndpointSets {
  const grouped = new Map<string, Endpoint[]>();
  const untagged: Endpoint[] = [];
  for (const endpoint of endpoints) {
    if (!endpoint.healthy || endpoint.ejected === true) continue;
    if (endpoint.color === undefined) {
      untagged.push(endpoint);
      continue;
    }
    let group = grouped.get(endpoint.color);
    if (group === undefined) grouped.set(endpoint.color, (group = []));
    group.push(endpoint);
  }
  const byColor = new Map<string, CandidateSet>();
  for (const [color, group] of grouped) byColor.set(color, prepare({ endpoints: group, cursor: 0 }));
  return { byColor, untagged: prepare({ endpoints: untagged, cursor: 0 }), all: endpoints.slice() };
}

/**
 * SPEC 2, in order: same color → (force: no_endpoint) → untagged → defaultColor → no_endpoint.
 * After a fallback the request keeps its color; that is the caller's business (it only writes baggage).
 * A shadow copy (SPEC 8) is routed as if every service were forced: its own color or nothing.
 */
export function decideRoute(service: ServiceRule, sets: EndpointSets, color: string | undefined, shadow = false): RouteDecision {
  if (color !== undefined) {
    const same = sets.byColor.get(color);
    if (same !== undefined && same.endpoints.length > 0) return decisionOf(same, 'exact');
    if (service.force || shadow) return NO_ENDPOINT;
  }
  if (sets.untagged.endpoints.length > 0) return decisionOf(sets.untagged, 'untagged');
  if (service.defaultColor !== undefined) {
    const live = sets.byColor.get(service.defaultColor);
    if (live !== undefined && live.endpoints.length > 0) return decisionOf(live, 'default');
  }
  return NO_ENDPOINT;
}

/**
 * The `x-colormesh-route` value: `<service>;color=<c or ->;via=<via>`. Besides the three SPEC 2 vias the
 * proxy may say `none` (no endpoint) or `passthrough` (a host outside the mesh).
 */
export function routeHeader(service: string, color: string | undefined, via: RouteVia | 'none' | 'passthrough'): string {
  return `${service};color=${color ?? '-'};via=${via}`;
}

function prepare(set: CandidateSet): CandidateSet {
  decisionsBySet.set(set, makeDecisions(set));
  return set;
}

function decisionOf(set: CandidateSet, via: RouteVia): RouteDecision {
  let decisions = decisionsBySet.get(set);
  // Sets built elsewhere (tests, hand-made snapshots) get their decisions on first use.
  if (decisions === undefined) decisionsBySet.set(set, (decisions = makeDecisions(set)));
  return decisions[via];
}

function makeDecisions(set: CandidateSet): DecisionsByVia {
  return {
    exact: Object.freeze({ ok: true, via: 'exact', set }),
    untagged: Object.freeze({ ok: true, via: 'untagged', set }),
    default: Object.freeze({ ok: true, via: 'default', set }),
  };
}
