// `colormesh explain`: which endpoints a request of a color would reach, and why — from the rule file, or
// from a running sidecar's admin endpoint when discovery happens at runtime.
import { parseHostPort } from '../config/address.js';
import { ConfigError, loadRulesFile } from '../config/load.js';
import { explainRoute, formatExplanation, type Explanation } from '../core/explain.js';
import { buildEndpointSets } from '../core/route.js';
import type { Endpoint, Rules, ServiceRule } from '../core/types.js';
import { parseFlags, UsageError, type FlagSpecs } from './flags.js';

// --service and --color deliberately read no environment variable: in a pod, COLORMESH_SERVICE and
// COLORMESH_COLOR describe the pod itself, not the service being asked about.
const FLAGS: FlagSpecs = {
  service: {},
  color: {},
  config: { env: 'COLORMESH_CONFIG', default: '/etc/colormesh/rules.yaml' },
  admin: {},
  json: { boolean: true },
  help: { boolean: true, short: 'h' },
};

const HELP = `usage: colormesh explain --service S [--color C] [--config FILE | --admin URL] [--json]

Shows which endpoints a request of color C to service S would reach, and why (SPEC 2's steps).

  --service S     the service called (required)
  --color C       the request's color; omit for an uncolored request
  --config FILE   rule file (env COLORMESH_CONFIG, default /etc/colormesh/rules.yaml)
  --admin URL     ask a running sidecar instead (e.g. http://127.0.0.1:15000): it knows the endpoints
                  that dns/kubernetes discovery found and which are healthy
  --json          print JSON instead of text
  -h, --help      show this help

Exit 0 when a route exists, 1 when the answer is 503 no_endpoint or the service is unknown, 2 on usage errors.
Static endpoints are assumed healthy; DNS names are assumed to resolve.
`;

const ADMIN_TIMEOUT_MS = 5000;

export async function main(argv: string[]): Promise<number> {
  const { values, switches, positionals } = parseFlags(argv, FLAGS);
  if (switches['help']) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"; see --help`);
  const service = values['service'];
  if (service === undefined || service === '') throw new UsageError('--service is required');
  const color = values['color'] === '' ? undefined : values['color'];
  const asJson = switches['json'] === true;

  if (values['admin'] !== undefined) return explainFromAdmin(values['admin'], service, color, asJson);

  let rules: Rules;
  try {
    rules = loadRulesFile(values['config'] as string);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(err.message + '\n');
    return 1;
  }
  const rule = rules.services.get(service);
  if (rule?.discovery.kind === 'kubernetes') {
    print(discoveredAtRuntime(rules, rule, color), asJson);
    return 0;
  }
  const endpoints = rule === undefined ? undefined : configuredEndpoints(rule);
  const explanation = explainRoute(rules, service, color, endpoints === undefined ? undefined : buildEndpointSets(endpoints));
  if (rule?.discovery.kind === 'dns') {
    explanation.reasons.unshift('dns discovery: each name stands for the addresses it resolves to at runtime (assumed at least one)');
  }
  print(explanation, asJson);
  return explanation.decision.ok ? 0 : 1;
}

/** Endpoints as the rule file states them: static addresses, or one stand-in per DNS name. */
function configuredEndpoints(rule: ServiceRule): Endpoint[] {
  const configured: { address: string; color: string | undefined }[] =
    rule.discovery.kind === 'static'
      ? rule.discovery.endpoints.map((e) => ({ address: e.address, color: e.color }))
      : rule.discovery.kind === 'dns'
        ? Object.entries(rule.discovery.hosts).map(([key, address]) => ({ address, color: key === 'untagged' ? undefined : key }))
        : [];
  return configured.map(({ address, color }) => {
    // The rule file was validated, so every address parses; the fallback only keeps the types honest.
    const parsed = parseHostPort(address, rule.port);
    const { host, port } = typeof parsed === 'string' ? { host: address, port: 0 } : parsed;
    return { address, host, port, color, healthy: true, active: 0 };
  });
}

interface RuntimeDiscoveryView {
  service: string;
  discovery: 'kubernetes';
  color: string | null;
  force: boolean;
  defaultColor: string | null;
  note: string;
  reasons: string[];
}

/** Kubernetes endpoints exist only at runtime: show the rule's part of the decision and where to ask. */
function discoveredAtRuntime(rules: Rules, rule: ServiceRule, color: string | undefined): RuntimeDiscoveryView {
  // explainRoute with no endpoints still validates the color against the rules; its route verdict is not used.
  const colorCheck = explainRoute(rules, rule.name, color, undefined);
  const discovery = rule.discovery.kind === 'kubernetes' ? rule.discovery : undefined;
  const where = discovery ? `Service ${discovery.namespace}/${discovery.service}, color from pod label "${discovery.colorLabel}"` : '';
  const reasons = colorCheck.colorProblem !== null ? [colorCheck.colorProblem] : [];
  reasons.push(
    rule.force
      ? `force is true: a colored request with no endpoint of its color gets 503 no_endpoint`
      : `force is false: a colored request with no endpoint of its color falls back to untagged endpoints`,
    rule.defaultColor !== undefined
      ? `with no untagged endpoint, defaultColor ${rule.defaultColor} serves`
      : 'there is no defaultColor: with no untagged endpoint the answer is 503 no_endpoint',
  );
  return {
    service: rule.name,
    discovery: 'kubernetes',
    color: colorCheck.color,
    force: rule.force,
    defaultColor: rule.defaultColor ?? null,
    note: `endpoints are discovered at runtime (${where}); ask a running sidecar with --admin http://127.0.0.1:15000`,
    reasons,
  };
}

async function explainFromAdmin(base: string, service: string, color: string | undefined, asJson: boolean): Promise<number> {
  let url: URL;
  try {
    url = new URL('/explain', base);
  } catch {
    throw new UsageError(`--admin: "${base}" is not a URL (e.g. http://127.0.0.1:15000)`);
  }
  url.searchParams.set('service', service);
  if (color !== undefined) url.searchParams.set('color', color);
  let body: string;
  let status: number;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(ADMIN_TIMEOUT_MS) });
    status = response.status;
    body = await response.text();
  } catch (err) {
    process.stderr.write(`cannot reach the sidecar at ${url.origin}: ${(err as Error).message}\n`);
    return 1;
  }
  let explanation: Explanation;
  try {
    explanation = JSON.parse(body) as Explanation;
    if (typeof explanation.decision !== 'object' || explanation.decision === null) throw new Error('no decision');
  } catch {
    process.stderr.write(`unexpected answer from ${url.href} (HTTP ${status}): ${body.slice(0, 200)}\n`);
    return 1;
  }
  print(explanation, asJson);
  return explanation.decision.ok ? 0 : 1;
}

function print(result: Explanation | RuntimeDiscoveryView, asJson: boolean): void {
  if (asJson) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } else if ('decision' in result) {
    process.stdout.write(formatExplanation(result));
  } else {
    const lines = [
      `service:  ${result.service} (kubernetes discovery)`,
      `color:    ${result.color ?? '-'}`,
      `note:     ${result.note}`,
      'why:',
      ...result.reasons.map((reason, i) => `  ${i + 1}. ${reason}`),
    ];
    process.stdout.write(lines.join('\n') + '\n');
  }
}
