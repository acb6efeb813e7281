// Picks one endpoint of a candidate set: round-robin (the default) or least-request (power of two choices).
import type { CandidateSet, Endpoint, LoadBalancer } from './types.js';

/**
 * `exclude` holds the endpoints this request already tried: a retry goes to another endpoint of the same
 * set, and undefined means every endpoint was tried. With an empty `exclude` (the first attempt, i.e. almost
 * every request) both strategies are O(1); the retry path may walk the set, which is rare and bounded by it.
 * `random` returns a number in [0, 1) and is injected so tests can seed it.
 */
export function pickEndpoint(set: CandidateSet, lb: LoadBalancer, random: () => number, exclude?: ReadonlySet<Endpoint>): Endpoint | undefined {
  if (set.endpoints.length === 0) return undefined;
  const filtering = exclude !== undefined && exclude.size > 0;
  if (lb === 'least-request') {
    return filtering ? leastRequestOf(set.endpoints.filter((e) => !exclude.has(e)), random) : leastRequestOf(set.endpoints, random);
  }
  return roundRobin(set, filtering ? exclude : undefined);
}

/**
 * Takes the endpoint at the cursor and moves the cursor on. Skipping excluded endpoints keeps the rotation:
 * the cursor ends up just after the endpoint returned, so the next request continues from there.
 */
function roundRobin(set: CandidateSet, exclude: ReadonlySet<Endpoint> | undefined): Endpoint | undefined {
  const endpoints = set.endpoints;
  const count = endpoints.length;
  // The cursor may be stale if the set was swapped under it; take it modulo the current size.
  let position = set.cursor % count;
  if (position < 0 || !Number.isInteger(position)) position = 0;
  for (let step = 0; step < count; step++) {
    const endpoint = endpoints[position] as Endpoint;
    position = position + 1 === count ? 0 : position + 1;
    if (exclude !== undefined && exclude.has(endpoint)) continue;
    set.cursor = position;
    return endpoint;
  }
  return undefined;
}

/**
 * Power of two random choices (Mitzenmacher): draw two distinct endpoints and take the one with fewer
 * requests in flight. It avoids the herd effect of always picking the global minimum, which every sidecar
 * would pick at once, and costs two random numbers whatever the set size.
 */
function leastRequestOf(endpoints: readonly Endpoint[], random: () => number): Endpoint | undefined {
  const count = endpoints.length;
  if (count === 0) return undefined;
  if (count === 1) return endpoints[0];
  const first = randomIndex(count, random);
  // Draw the second from the other count-1 positions so the two are always distinct.
  let second = randomIndex(count - 1, random);
  if (second >= first) second++;
  const a = endpoints[first] as Endpoint;
  const b = endpoints[second] as Endpoint;
  // On a tie the first draw wins; it is itself uniformly random, so ties spread evenly.
  return b.active < a.active ? b : a;
}

function randomIndex(count: number, random: () => number): number {
  const index = Math.floor(random() * count);
  // Guards against a random source that returns 1 (or slightly more through rounding).
  return index >= count ? count - 1 : index < 0 ? 0 : index;
}
