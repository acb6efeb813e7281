// What every entry point of one sidecar shares: the rules in force, endpoints, the trace table,
// the upstreams, and the policy steps — assembled once by the sidecar, read by every request.
import type { TraceColorTable } from '../core/trace-table.js';
import type { Rules } from '../core/types.js';
import type { EndpointRegistry } from '../discovery/registry.js';
import type { OwnListeners } from '../upstream/loop-guard.js';
import type { Tunnels } from '../upstream/tunnel.js';
import type { HttpUpstream } from '../upstream/upstream.js';
import type { DeadlineSweep } from './deadlines.js';
import type { PolicyStep } from './policy.js';

export interface PodIdentity {
  /** the service this sidecar's app is (SPEC 1 "pod identity") */
  readonly service: string | undefined;
  /** the pod's own color, already validated */
  readonly color: string | undefined;
  /** the pod's namespace (POD_NAMESPACE from the downward API), when known */
  readonly namespace: string | undefined;
}

export interface MeshState {
  /**
   * The rules in force. A request reads this once when it arrives and uses that snapshot to the
   * end, so a reload never changes the rules under a request in flight.
   */
  rules: Rules;
  readonly registry: EndpointRegistry;
  readonly traceTable: TraceColorTable;
  readonly pod: PodIdentity;
  readonly upstream: HttpUpstream;
  readonly tunnels: Tunnels;
  readonly random: () => number;
  /** this sidecar's own listeners, so a request addressed to them is never proxied in a loop */
  readonly own: OwnListeners;
  readonly deadlines: DeadlineSweep;
  /** the policy steps every routed request passes (outlier ejection, mirroring), in order */
  readonly policies: readonly PolicyStep[];
}

/** A color is usable if it is valid and, when the rules give an allow-list, on it. */
export function isAllowedColor(rules: Rules, color: string | undefined): color is string {
  return color !== undefined && (rules.colors === undefined || rules.colors.has(color));
}
