// Turns a validated rule file into the frozen `Rules` snapshot the proxy reads: defaults filled, colors and
// header names lower-cased, regexes compiled, lists turned into Maps/Sets, once per load and never per request.
import { normalizeColor } from '../core/color.js';
import type {
  DiscoveryConfig,
  IngressConfig,
  IngressRule,
  MatchRule,
  MatchSource,
  Rules,
  ServiceRule,
  Split,
  StaticEndpoint,
} from '../core/types.js';
import { RULE_DEFAULTS } from './defaults.js';
import type { MatchEntry, MatcherEntry, RuleFile, ServiceEntry, SplitEntry } from './schema.js';

/** Only call after the schema and semantic checks passed: it trusts every color and regex to be valid. */
export function compileRules(file: RuleFile, hash: string, source: string): Rules {
  const services = new Map<string, ServiceRule>();
  for (const [name, entry] of Object.entries(file.services ?? {})) services.set(name, compileService(name, entry));
  const rules: Rules = {
    version: file.version ?? RULE_DEFAULTS.version,
    hash,
    source,
    baggageKey: file.baggageKey ?? RULE_DEFAULTS.baggageKey,
    ...(file.colors !== undefined ? { colors: new Set(file.colors.map(color)) } : {}),
    ingress: compileIngress(file.ingress),
    outboundPolicy: file.outboundPolicy ?? RULE_DEFAULTS.outboundPolicy,
    services,
  };
  return deepFreeze(rules);
}

function color(value: string): string {
  const normalized = normalizeColor(value);
  if (normalized === undefined) throw new Error(`compileRules: "${value}" is not a valid color; run the semantic checks first`);
  return normalized;
}

function compileService(name: string, entry: ServiceEntry): ServiceRule {
  return {
    name,
    port: entry.port ?? RULE_DEFAULTS.port,
    force: entry.force ?? RULE_DEFAULTS.force,
    ...(entry.defaultColor !== undefined ? { defaultColor: color(entry.defaultColor) } : {}),
    loadBalancer: entry.loadBalancer ?? RULE_DEFAULTS.loadBalancer,
    timeoutMs: entry.timeoutMs ?? RULE_DEFAULTS.timeoutMs,
    retries: entry.retries ?? RULE_DEFAULTS.retries,
    discovery: compileDiscovery(name, entry),
    ...(entry.outlierDetection !== false
      ? {
          outlierDetection: {
            consecutiveFailures: entry.outlierDetection?.consecutiveFailures ?? RULE_DEFAULTS.consecutiveFailures,
            baseEjectionMs: entry.outlierDetection?.baseEjectionMs ?? RULE_DEFAULTS.baseEjectionMs,
            maxEjectionMs: RULE_DEFAULTS.maxEjectionMs,
          },
        }
      : {}),
    ...(entry.mirror !== undefined
      ? {
          mirror: {
            color: color(entry.mirror.color),
            percent: entry.mirror.percent ?? RULE_DEFAULTS.mirrorPercent,
            maxBodyBytes: entry.mirror.maxBodyBytes ?? RULE_DEFAULTS.mirrorMaxBodyBytes,
            maxInFlight: entry.mirror.maxInFlight ?? RULE_DEFAULTS.mirrorMaxInFlight,
          },
        }
      : {}),
  };
}

function compileDiscovery(name: string, entry: ServiceEntry): DiscoveryConfig {
  if (entry.dns !== undefined) {
    const hosts: Record<string, string> = {};
    for (const [key, address] of Object.entries(entry.dns)) hosts[key.toLowerCase() === 'untagged' ? 'untagged' : color(key)] = address;
    return { kind: 'dns', hosts };
  }
  if (entry.kubernetes !== undefined) {
    return {
      kind: 'kubernetes',
      service: entry.kubernetes.service ?? name,
      // In a pod, a service without a namespace is looked up in the pod's own (POD_NAMESPACE, from the downward API).
      namespace: entry.kubernetes.namespace ?? (process.env['POD_NAMESPACE'] || RULE_DEFAULTS.kubernetesNamespace),
      colorLabel: entry.kubernetes.colorLabel ?? RULE_DEFAULTS.kubernetesColorLabel,
    };
  }
  const endpoints: StaticEndpoint[] = (entry.endpoints ?? []).map((e) =>
    e.color !== undefined ? { address: e.address, color: color(e.color) } : { address: e.address },
  );
  return { kind: 'static', endpoints };
}

function compileIngress(ingress: RuleFile['ingress']): IngressConfig {
  const rules: IngressRule[] = (ingress?.rules ?? []).map((rule) => ({ match: compileMatch(rule.match), color: color(rule.color) }));
  const split = ingress?.split !== undefined ? compileSplit(ingress.split) : undefined;
  return {
    entrypoints: new Set(ingress?.entrypoints ?? []),
    acceptClientColor: ingress?.acceptClientColor ?? RULE_DEFAULTS.acceptClientColor,
    rules,
    ...(split !== undefined ? { split } : {}),
  };
}

function compileMatch(match: MatchEntry): MatchRule {
  const source: MatchSource = match.header !== undefined ? 'header' : match.cookie !== undefined ? 'cookie' : 'query';
  const matcher = match[source] as MatcherEntry;
  // HTTP header names are case-insensitive and Node lower-cases them; cookie and query names are not.
  const name = source === 'header' ? matcher.name.toLowerCase() : matcher.name;
  if (matcher.exact !== undefined) return { source, name, exact: matcher.exact };
  if (matcher.prefix !== undefined) return { source, name, prefix: matcher.prefix };
  return { source, name, regex: new RegExp(matcher.regex as string) };
}

function compileSplit(split: SplitEntry): Split {
  const colors: string[] = [];
  const weights: number[] = [];
  for (const [key, weight] of Object.entries(split.weights)) {
    // Weight 0 is never chosen: leaving it out keeps the picker free of a special case.
    if (weight <= 0) continue;
    colors.push(color(key));
    weights.push(weight);
  }
  const total = weights.reduce((sum, w) => sum + w, 0);
  const sticky = split.stickyBy;
  const stickyBy =
    sticky?.header !== undefined
      ? { source: 'header' as const, name: sticky.header.toLowerCase() }
      : sticky?.cookie !== undefined
        ? { source: 'cookie' as const, name: sticky.cookie }
        : undefined;
  return { colors, weights, total, ...(stickyBy !== undefined ? { stickyBy } : {}) };
}

/**
 * Freezes plain objects and arrays all the way down. Maps, Sets and RegExps are left as they are (freezing
 * does not stop Map.set), but their contents are frozen; their types are Readonly so the compiler guards them.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  if (value instanceof Map) {
    for (const v of value.values()) deepFreeze(v);
    return value;
  }
  if (value instanceof Set || value instanceof RegExp) return value;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
  return value;
}
