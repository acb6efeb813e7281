// What every listener of one sidecar shares: the rules in force, endpoints, the trace table, the upstream.
import type { TraceColorTable } from '../core/trace-table.js';
import type { Rules } from '../core/types.js';
import type { EndpointRegistry } from '../discovery/registry.js';
import type { Upstream } from './upstream.js';

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
  readonly upstream: Upstream;
  readonly random: () => number;
  /** ports of this sidecar's own listeners, so a request addressed to them is not proxied in a loop */
  readonly ownPorts: Set<number>;
}

/** A color is usable if it is valid and, when the rules give an allow-list, on it. */
export function isAllowedColor(rules: Rules, color: string | undefined): color is string {
  return color !== undefined && (rules.colors === undefined || rules.colors.has(color));
}
