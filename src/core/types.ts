// The shapes the pure routing core works on: a compiled, frozen rules snapshot and endpoint sets.
// Everything here is built once per rules or discovery change; the per-request path only reads it.

export type LoadBalancer = 'round-robin' | 'least-request';
export type OutboundPolicy = 'allow' | 'deny';

/** Where a service's endpoints come from (exactly one per service). */
export type DiscoveryConfig =
  | { readonly kind: 'static'; readonly endpoints: readonly StaticEndpoint[] }
  /** key `untagged` or a color, value `host:port` re-resolved on a TTL */
  | { readonly kind: 'dns'; readonly hosts: Readonly<Record<string, string>> }
  | { readonly kind: 'kubernetes'; readonly service: string; readonly namespace: string; readonly colorLabel: string };

export interface StaticEndpoint {
  readonly address: string;
  readonly color?: string;
}

export interface ServiceRule {
  readonly name: string;
  /** default 80 */
  readonly port: number;
  /** default false */
  readonly force: boolean;
  readonly defaultColor?: string;
  /** default round-robin */
  readonly loadBalancer: LoadBalancer;
  /** default 15000 */
  readonly timeoutMs: number;
  /** extra attempts on other endpoints of the same candidate set; default 2 */
  readonly retries: number;
  readonly discovery: DiscoveryConfig;
  /** passive health (SPEC 2); undefined when the file says `outlierDetection: false` */
  readonly outlierDetection?: OutlierDetection;
  /** shadow traffic to a candidate color (SPEC 8) */
  readonly mirror?: Mirror;
}

export interface OutlierDetection {
  /** failed attempts in a row that eject an endpoint; default 5 */
  readonly consecutiveFailures: number;
  /** the first ejection's length; the n-th lasts n times this; default 30000 */
  readonly baseEjectionMs: number;
  /** no ejection lasts longer; 300000 */
  readonly maxEjectionMs: number;
}

export interface Mirror {
  readonly color: string;
  /** 0–100, default 100 */
  readonly percent: number;
  /** larger bodies are not copied; default 1 MiB */
  readonly maxBodyBytes: number;
  /** copies in flight per service at most; default 100 */
  readonly maxInFlight: number;
}

export type MatchSource = 'header' | 'cookie' | 'query';

/** One ingress match; header names are lower-cased at compile time. Exactly one of exact/prefix/regex is set. */
export interface MatchRule {
  readonly source: MatchSource;
  readonly name: string;
  readonly exact?: string;
  readonly prefix?: string;
  readonly regex?: RegExp;
}

export interface IngressRule {
  readonly match: MatchRule;
  readonly color: string;
}

export interface Split {
  /** colors with weight > 0 only, in file order */
  readonly colors: readonly string[];
  /** weights aligned with colors, all > 0 */
  readonly weights: readonly number[];
  readonly total: number;
  readonly stickyBy?: { readonly source: 'header' | 'cookie'; readonly name: string };
}

export interface IngressConfig {
  readonly entrypoints: ReadonlySet<string>;
  /** default false */
  readonly acceptClientColor: boolean;
  readonly rules: readonly IngressRule[];
  readonly split?: Split;
}

/** A validated, compiled and frozen rule file. */
export interface Rules {
  readonly version: number;
  /** sha256 (hex, first 12 chars) of the file's bytes; identifies the loaded version */
  readonly hash: string;
  /** path of the file it came from, or "<embedded>" */
  readonly source: string;
  /** default "color" */
  readonly baggageKey: string;
  /** allow-list of colors, when the file gives one */
  readonly colors?: ReadonlySet<string>;
  readonly ingress: IngressConfig;
  /** default allow */
  readonly outboundPolicy: OutboundPolicy;
  /** keyed by service name */
  readonly services: ReadonlyMap<string, ServiceRule>;
}

/** One instance of a service, as discovery reports it. */
export interface Endpoint {
  /** "host:port" as configured or discovered */
  readonly address: string;
  readonly host: string;
  readonly port: number;
  /** undefined means untagged */
  readonly color: string | undefined;
  /** false when discovery reports the instance as not ready; such endpoints are never picked */
  readonly healthy: boolean;
  /** set while passive health has ejected it (SPEC 2): left out of routing like an unhealthy one */
  ejected?: boolean;
  /** requests in flight to this endpoint; maintained by the proxy, read by least-request */
  active: number;
}

/** The endpoints of one candidate set plus the balancer's cursor. */
export interface CandidateSet {
  readonly endpoints: readonly Endpoint[];
  /** round-robin position; mutated by the balancer */
  cursor: number;
}

/** A service's healthy endpoints grouped by color, built once per discovery change. */
export interface EndpointSets {
  readonly byColor: ReadonlyMap<string, CandidateSet>;
  readonly untagged: CandidateSet;
  /** every endpoint, healthy or not, for admin/explain */
  readonly all: readonly Endpoint[];
}

export type RouteVia = 'exact' | 'untagged' | 'default';

export type RouteDecision =
  | { readonly ok: true; readonly via: RouteVia; readonly set: CandidateSet }
  | { readonly ok: false; readonly error: 'no_endpoint' };

/** How the color of a request was found (for logs, spans, metrics). */
export type ColorSource =
  | 'baggage'      // outbound: the app forwarded it; inbound: the caller sent it
  | 'trace'        // outbound: looked up by trace id in the table the inbound side fills
  | 'pod'          // outbound: the pod's own color
  | 'client'       // ingress: an outside client's color, kept because acceptClientColor
  | 'rule'         // ingress: an ingress.rules entry matched
  | 'split'        // ingress: the weighted split chose it
  | 'none';
