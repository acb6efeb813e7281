// The rule file's shape (SPEC 5): the single source of truth for its TypeScript type and its JSON Schema.
//
// Decisions where SPEC 5 is silent (also in the report and examples/rules.yaml):
// - `version` is an integer >= 1, optional, default 1; `services` and `ingress` are optional too.
// - Defaults: port 80, force false, loadBalancer round-robin, timeoutMs 15000, retries 2,
//   outboundPolicy allow, baggageKey "color", acceptClientColor false,
//   kubernetes.namespace "default", kubernetes.colorLabel "color", kubernetes.service = the service's own name.
// - "Exactly one of" rules (endpoints/dns/kubernetes per service; header/cookie/query per match;
//   exact/prefix/regex per matcher; header/cookie in stickyBy) are checked in semantic.ts, not here:
//   a JSON Schema `oneOf` would only say "Expected union value", which tells an operator nothing.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { RULE_DEFAULTS } from './defaults.js';

/** Every object rejects unknown keys, so a typo such as `forse: true` is an error and never silently ignored. */
const strict = { additionalProperties: false } as const;

export { RULE_DEFAULTS };

const Name = Type.String({ minLength: 1, description: 'a header, cookie or query-parameter name' });

const Matcher = Type.Object(
  {
    name: Name,
    exact: Type.Optional(Type.String()),
    prefix: Type.Optional(Type.String()),
    regex: Type.Optional(Type.String({ description: 'an ECMAScript regular expression, unanchored unless it says ^/$' })),
  },
  { ...strict, description: 'exactly one of exact, prefix, regex' },
);

const Match = Type.Object(
  { header: Type.Optional(Matcher), cookie: Type.Optional(Matcher), query: Type.Optional(Matcher) },
  { ...strict, description: 'exactly one of header, cookie, query' },
);

const IngressRule = Type.Object({ match: Match, color: Type.String() }, strict);

const Split = Type.Object(
  {
    weights: Type.Record(Type.String(), Type.Number({ minimum: 0 }), { description: 'color -> weight; weight 0 is never chosen' }),
    stickyBy: Type.Optional(
      Type.Object(
        { header: Type.Optional(Name), cookie: Type.Optional(Name) },
        { ...strict, description: 'exactly one of header, cookie' },
      ),
    ),
  },
  strict,
);

const Ingress = Type.Object(
  {
    entrypoints: Type.Optional(Type.Array(Type.String())),
    acceptClientColor: Type.Optional(Type.Boolean({ default: RULE_DEFAULTS.acceptClientColor })),
    rules: Type.Optional(Type.Array(IngressRule)),
    split: Type.Optional(Split),
  },
  strict,
);

const StaticEndpoint = Type.Object({ address: Type.String({ description: 'host:port' }), color: Type.Optional(Type.String()) }, strict);

const Kubernetes = Type.Object(
  {
    service: Type.Optional(Type.String({ description: 'default: the service name' })),
    namespace: Type.Optional(Type.String({ default: RULE_DEFAULTS.kubernetesNamespace })),
    colorLabel: Type.Optional(Type.String({ default: RULE_DEFAULTS.kubernetesColorLabel })),
  },
  strict,
);

function literals<T extends string>(values: readonly T[], defaultValue: T) {
  return Type.Union(values.map((v) => Type.Literal(v)), { default: defaultValue });
}

const OutlierDetection = Type.Union(
  [
    Type.Literal(false),
    Type.Object(
      {
        consecutiveFailures: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: RULE_DEFAULTS.consecutiveFailures })),
        baseEjectionMs: Type.Optional(Type.Integer({ minimum: 1, maximum: RULE_DEFAULTS.maxEjectionMs, default: RULE_DEFAULTS.baseEjectionMs })),
      },
      strict,
    ),
  ],
  { description: 'passive health: eject an endpoint after consecutive failures (SPEC 2); false turns it off' },
);

const Mirror = Type.Object(
  {
    color: Type.String({ description: 'the candidate color that receives the copies' }),
    percent: Type.Optional(Type.Number({ minimum: 0, maximum: 100, default: RULE_DEFAULTS.mirrorPercent })),
    maxBodyBytes: Type.Optional(Type.Integer({ minimum: 0, default: RULE_DEFAULTS.mirrorMaxBodyBytes })),
    maxInFlight: Type.Optional(Type.Integer({ minimum: 1, default: RULE_DEFAULTS.mirrorMaxInFlight })),
  },
  { ...strict, description: 'shadow traffic: copies of requests to the mirror color (SPEC 8)' },
);

const Service = Type.Object(
  {
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: RULE_DEFAULTS.port })),
    force: Type.Optional(Type.Boolean({ default: RULE_DEFAULTS.force })),
    defaultColor: Type.Optional(Type.String()),
    loadBalancer: Type.Optional(literals(['round-robin', 'least-request'], RULE_DEFAULTS.loadBalancer)),
    // Node timers cap at 2^31-1 ms; a longer one fires at once, so it would time out every request.
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647, default: RULE_DEFAULTS.timeoutMs })),
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 10, default: RULE_DEFAULTS.retries })),
    endpoints: Type.Optional(Type.Array(StaticEndpoint)),
    dns: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'key "untagged" or a color -> host:port' })),
    kubernetes: Type.Optional(Kubernetes),
    outlierDetection: Type.Optional(OutlierDetection),
    mirror: Type.Optional(Mirror),
  },
  { ...strict, description: 'exactly one of endpoints, dns, kubernetes' },
);

export const RuleFileSchema = Type.Object(
  {
    version: Type.Optional(Type.Integer({ minimum: 1, default: RULE_DEFAULTS.version })),
    baggageKey: Type.Optional(Type.String({ minLength: 1, default: RULE_DEFAULTS.baggageKey })),
    colors: Type.Optional(Type.Array(Type.String())),
    ingress: Type.Optional(Ingress),
    outboundPolicy: Type.Optional(literals(['allow', 'deny'], RULE_DEFAULTS.outboundPolicy)),
    services: Type.Optional(Type.Record(Type.String(), Service)),
  },
  { ...strict, $id: 'https://colormesh.dev/schemas/rules.json', title: 'colormesh rule file' },
);

export type RuleFile = Static<typeof RuleFileSchema>;
export type ServiceEntry = Static<typeof Service>;
export type MatcherEntry = Static<typeof Matcher>;
export type MatchEntry = Static<typeof Match>;
export type SplitEntry = Static<typeof Split>;

/** The JSON Schema (draft 2020-12 compatible) for editors and CI, without TypeBox's internal symbols. */
export const ruleFileJsonSchema: TSchema = JSON.parse(JSON.stringify(RuleFileSchema)) as TSchema;
