// The seam for cross-cutting policy steps (outlier ejection, mirroring, …): each sees a routed
// request before its first attempt and the outcome of every attempt. Retries and the deadline are
// the pipeline's own attempt loop (forward.ts); everything else is a step in MeshState.policies.
import type { Endpoint } from '../core/types.js';
import type { Exchange } from './exchange.js';
import type { UpstreamErrorKind } from './errors.js';

export interface PolicyStep {
  /** after the route decision, before the first attempt (HTTP requests to a mesh service only) */
  beforeAttempts?(ex: Exchange): void;
  /** after each attempt on a mesh endpoint: failed with `failure`, or got a response (undefined) */
  afterAttempt?(ex: Exchange, endpoint: Endpoint, failure: UpstreamErrorKind | undefined): void;
}
