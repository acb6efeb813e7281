// The rule file's defaults (SPEC 5 and docs/decisions.md), apart from the schema so that compiling
// rules does not load the schema library: a sidecar only needs it to explain an invalid file.
export const RULE_DEFAULTS = Object.freeze({
  version: 1,
  baggageKey: 'color',
  outboundPolicy: 'allow',
  acceptClientColor: false,
  port: 80,
  force: false,
  loadBalancer: 'round-robin',
  timeoutMs: 15000,
  retries: 2,
  kubernetesNamespace: 'default',
  kubernetesColorLabel: 'color',
  consecutiveFailures: 5,
  baseEjectionMs: 30000,
  maxEjectionMs: 300000,
  mirrorPercent: 100,
  mirrorMaxBodyBytes: 1048576,
  mirrorMaxInFlight: 100,
} as const);
