// `colormesh iptables apply|remove|print`: transparent interception in the pod's network namespace, like istio-init.
import { loadRulesFile } from '../config/load.js';
import { familyAvailable, Iptables, IptablesError } from '../iptables/iptables.js';
import { formatPlan, parseCidrList, parsePortList, planInterception, type InterceptionOptions, type IpFamily, type PortSelection } from '../iptables/rules.js';
import { intFlag, parseFlags, portFlag, UsageError, type FlagSpecs } from './flags.js';

export const IPTABLES_FLAGS: FlagSpecs = {
  'inbound-ports': { env: 'COLORMESH_INBOUND_PORTS' },
  'app-port': { env: 'COLORMESH_APP_PORT' },
  'outbound-ports': { env: 'COLORMESH_OUTBOUND_PORTS' },
  config: { env: 'COLORMESH_CONFIG', default: '/etc/colormesh/rules.yaml' },
  'exclude-outbound-ports': { env: 'COLORMESH_EXCLUDE_OUTBOUND_PORTS', default: '' },
  'exclude-outbound-cidrs': { env: 'COLORMESH_EXCLUDE_OUTBOUND_CIDRS', default: '' },
  'proxy-uid': { env: 'COLORMESH_PROXY_UID', default: '1337' },
  'proxy-gid': { env: 'COLORMESH_PROXY_GID' },
  'inbound-port': { env: 'COLORMESH_INBOUND_PORT', default: '15006' },
  'outbound-port': { env: 'COLORMESH_OUTBOUND_PORT', default: '15001' },
  // Off by default: `colormesh run` listens for outbound on 127.0.0.1 only, so IPv6 connections
  // redirected to [::1] would be refused. Turn on together with `run --outbound-bind ::`.
  ipv6: { env: 'COLORMESH_IPTABLES_IPV6', default: 'false' },
  help: { boolean: true, short: 'h' },
};

const HELP = `usage: colormesh iptables apply|remove|print [flags]

Sets up (apply), tears down (remove) or shows (print) the nat rules that send the pod's TCP
through the sidecar. Run apply in the pod's network namespace with CAP_NET_ADMIN, before the app
starts (an init container). apply twice equals apply once; remove leaves the table as it was.

  --inbound-ports LIST           inbound TCP to these ports goes to the inbound listener
                                 (COLORMESH_INBOUND_PORTS, default: --app-port)
  --app-port PORT                the app's port (COLORMESH_APP_PORT)
  --outbound-ports LIST|*        outbound TCP to these ports goes to the outbound listener; * = all TCP
                                 (COLORMESH_OUTBOUND_PORTS, default: the service ports in --config)
  --config FILE                  rule file (COLORMESH_CONFIG, default /etc/colormesh/rules.yaml)
  --exclude-outbound-ports LIST  never redirected (COLORMESH_EXCLUDE_OUTBOUND_PORTS)
  --exclude-outbound-cidrs LIST  never redirected, IPv4 or IPv6 (COLORMESH_EXCLUDE_OUTBOUND_CIDRS)
  --proxy-uid UID                the sidecar's uid, never redirected (COLORMESH_PROXY_UID, default 1337)
  --proxy-gid GID                the sidecar's gid, never redirected (COLORMESH_PROXY_GID, default: the uid)
  --inbound-port PORT            the inbound listener (COLORMESH_INBOUND_PORT, default 15006)
  --outbound-port PORT           the outbound listener (COLORMESH_OUTBOUND_PORT, default 15001)
  --ipv6 false|true|auto         also program ip6tables; auto = when ip6tables and its nat table work
                                 (COLORMESH_IPTABLES_IPV6, default false). Redirected IPv6 goes to
                                 [::1]:outbound-port, so run the sidecar with --outbound-bind :: then.

Loopback traffic (-o lo, 127.0.0.0/8, ::1) is never redirected.
`;

type Action = 'apply' | 'remove' | 'print';

export async function main(argv: string[]): Promise<number> {
  const { values, switches, positionals } = parseFlags(argv, IPTABLES_FLAGS);
  if (switches['help']) {
    process.stdout.write(HELP);
    return 0;
  }
  const action = positionals[0];
  if (action !== 'apply' && action !== 'remove' && action !== 'print') {
    throw new UsageError(`expected apply, remove or print (got ${action === undefined ? 'nothing' : `"${action}"`}); see --help`);
  }
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  const ipv6 = values['ipv6'];
  if (ipv6 !== 'auto' && ipv6 !== 'true' && ipv6 !== 'false') throw new UsageError(`--ipv6: expected auto, true or false (got "${ipv6}")`);

  // remove needs no options: it deletes our fixed jumps and chains, whatever apply was given.
  const options = action === 'remove' ? removalOptions() : readOptions(values);
  const families = chooseFamilies(action, ipv6);
  try {
    for (const family of families) {
      const plan = planInterception(options, family);
      if (action === 'print') process.stdout.write(formatPlan(plan));
      else if (action === 'apply') new Iptables(family).apply(plan);
      else new Iptables(family).remove(plan);
    }
  } catch (err) {
    if (err instanceof IptablesError) {
      process.stderr.write(`colormesh iptables ${action}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  if (action !== 'print') {
    const names = families.map((family) => (family === 4 ? 'iptables' : 'ip6tables')).join(' and ');
    process.stderr.write(`colormesh iptables ${action}: done (${names}, table nat)\n`);
  }
  return 0;
}

function chooseFamilies(action: Action, ipv6: string): IpFamily[] {
  // remove cleans both families whatever the flag, so an apply with --ipv6 true is never left behind.
  if (action === 'remove') return familyAvailable(6) ? [4, 6] : [4];
  if (ipv6 === 'false') return [4];
  // print touches nothing, so it shows what apply would do where ip6tables works.
  if (ipv6 === 'true' || action === 'print') return [4, 6];
  return familyAvailable(6) ? [4, 6] : [4];
}

function readOptions(values: Record<string, string | undefined>): InterceptionOptions {
  const uid = intFlag('proxy-uid', values['proxy-uid']) as number;
  const portsText = values['inbound-ports'] ?? values['app-port'] ?? '';
  return {
    inboundPorts: asList(parseFlagPorts('inbound-ports', portsText, false)),
    outboundPorts: values['outbound-ports'] !== undefined ? parseFlagPorts('outbound-ports', values['outbound-ports'], true) : servicePorts(values['config'] as string),
    excludeOutboundPorts: asList(parseFlagPorts('exclude-outbound-ports', values['exclude-outbound-ports'] ?? '', false)),
    excludeOutboundCidrs: wrapRange(() => parseCidrList('exclude-outbound-cidrs', values['exclude-outbound-cidrs'] ?? '')),
    proxyUid: uid,
    proxyGid: values['proxy-gid'] !== undefined ? (intFlag('proxy-gid', values['proxy-gid']) as number) : uid,
    inboundPort: portFlag('inbound-port', values['inbound-port']) as number,
    outboundPort: portFlag('outbound-port', values['outbound-port']) as number,
  };
}

function removalOptions(): InterceptionOptions {
  return {
    inboundPorts: [],
    outboundPorts: [],
    excludeOutboundPorts: [],
    excludeOutboundCidrs: [],
    proxyUid: 0,
    proxyGid: 0,
    inboundPort: 15006,
    outboundPort: 15001,
  };
}

/** The default outbound ports: every service port in the rule file, so only mesh calls pay for the proxy. */
function servicePorts(configPath: string): PortSelection {
  let rules;
  try {
    rules = loadRulesFile(configPath);
  } catch (err) {
    throw new Error(`cannot read the outbound ports from ${configPath} (${(err as Error).message}); give --outbound-ports`);
  }
  const ports = new Set<number>();
  for (const service of rules.services.values()) ports.add(service.port);
  return [...ports].sort((a, b) => a - b);
}

function parseFlagPorts(flag: string, text: string, allowAll: boolean): PortSelection {
  return wrapRange(() => parsePortList(flag, text, allowAll));
}

function asList(selection: PortSelection): readonly number[] {
  return selection === 'all' ? [] : selection;
}

/** The pure parsers throw RangeError; on the command line that is a usage error (exit 2). */
function wrapRange<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  }
}
