// Pure description of the NAT rules that make interception transparent (SPEC 6): options in, chains and rules out.
// Nothing here runs a command; apply/remove/print in ./iptables.ts turn this plan into iptables calls.
import net from 'node:net';

export type IpFamily = 4 | 6;

/** A list of TCP ports, or every TCP port. */
export type PortSelection = readonly number[] | 'all';

export interface InterceptionOptions {
  /** inbound TCP to these ports goes to the inbound listener */
  readonly inboundPorts: readonly number[];
  /** outbound TCP to these ports (or to any port) goes to the outbound listener */
  readonly outboundPorts: PortSelection;
  readonly excludeOutboundPorts: readonly number[];
  /** CIDRs of either family; each family's rules keep only its own */
  readonly excludeOutboundCidrs: readonly string[];
  /** the sidecar's uid and gid: its own connections are never redirected, or it would loop into itself */
  readonly proxyUid: number;
  readonly proxyGid: number;
  readonly inboundPort: number;
  readonly outboundPort: number;
}

export const CHAIN = {
  inbound: 'COLORMESH_INBOUND',
  inRedirect: 'COLORMESH_IN_REDIRECT',
  output: 'COLORMESH_OUTPUT',
  redirect: 'COLORMESH_REDIRECT',
} as const;

/** Created in this order; removed after being flushed, since our chains jump to each other. */
export const OUR_CHAINS: readonly string[] = [CHAIN.inbound, CHAIN.inRedirect, CHAIN.output, CHAIN.redirect];

/** One rule as iptables arguments after `-t nat -A <chain>`, in the exact form iptables-save prints it back. */
export interface Rule {
  readonly chain: string;
  readonly spec: readonly string[];
}

export interface InterceptionPlan {
  readonly family: IpFamily;
  /** the rules inside our chains, in order */
  readonly rules: readonly Rule[];
  /** the jumps from the built-in chains into ours: added only when absent, deleted on remove */
  readonly jumps: readonly Rule[];
}

const LOOPBACK: Readonly<Record<IpFamily, string>> = { 4: '127.0.0.0/8', 6: '::1/128' };

export function planInterception(options: InterceptionOptions, family: IpFamily): InterceptionPlan {
  const rules: Rule[] = [];
  const add = (chain: string, ...spec: string[]): void => {
    rules.push({ chain, spec });
  };
  const tcpPort = (port: number): string[] => ['-p', 'tcp', '-m', 'tcp', '--dport', String(port)];

  for (const port of options.inboundPorts) add(CHAIN.inbound, ...tcpPort(port), '-j', CHAIN.inRedirect);
  add(CHAIN.inRedirect, '-p', 'tcp', '-j', 'REDIRECT', '--to-ports', String(options.inboundPort));

  // Exemptions come first: the first RETURN that matches leaves the packet alone.
  add(CHAIN.output, '-m', 'owner', '--uid-owner', String(options.proxyUid), '-j', 'RETURN');
  add(CHAIN.output, '-m', 'owner', '--gid-owner', String(options.proxyGid), '-j', 'RETURN');
  add(CHAIN.output, '-o', 'lo', '-j', 'RETURN');
  add(CHAIN.output, '-d', LOOPBACK[family], '-j', 'RETURN');
  for (const port of options.excludeOutboundPorts) add(CHAIN.output, ...tcpPort(port), '-j', 'RETURN');
  for (const cidr of options.excludeOutboundCidrs) {
    if (cidrFamily(cidr) === family) add(CHAIN.output, '-d', normaliseCidr(cidr), '-j', 'RETURN');
  }
  if (options.outboundPorts === 'all') {
    add(CHAIN.output, '-p', 'tcp', '-j', CHAIN.redirect);
  } else {
    for (const port of options.outboundPorts) add(CHAIN.output, ...tcpPort(port), '-j', CHAIN.redirect);
  }
  add(CHAIN.redirect, '-p', 'tcp', '-j', 'REDIRECT', '--to-ports', String(options.outboundPort));

  const jumps: Rule[] = [
    { chain: 'PREROUTING', spec: ['-p', 'tcp', '-j', CHAIN.inbound] },
    { chain: 'OUTPUT', spec: ['-p', 'tcp', '-j', CHAIN.output] },
  ];
  return { family, rules, jumps };
}

/** The plan in iptables-save form: what `print` shows and what `iptables-save -t nat` reports after `apply`. */
export function formatPlan(plan: InterceptionPlan): string {
  const lines = [`# colormesh interception rules (${plan.family === 4 ? 'iptables' : 'ip6tables'}, table nat)`, '*nat'];
  for (const chain of OUR_CHAINS) lines.push(`:${chain} - [0:0]`);
  for (const jump of plan.jumps) lines.push(['-A', jump.chain, ...jump.spec].join(' '));
  for (const rule of plan.rules) lines.push(['-A', rule.chain, ...rule.spec].join(' '));
  lines.push('COMMIT');
  return lines.join('\n') + '\n';
}

/** Parses "8080,9090" into ports; "*" means every TCP port when `allowAll` is set. */
export function parsePortList(flag: string, text: string, allowAll: boolean): PortSelection {
  const trimmed = text.trim();
  if (trimmed === '*') {
    if (!allowAll) throw new RangeError(`--${flag}: "*" is not allowed here; list the ports`);
    return 'all';
  }
  const ports: number[] = [];
  for (const item of trimmed.split(',')) {
    const part = item.trim();
    if (part === '') continue;
    const port = Number(part);
    if (!/^\d+$/.test(part) || port < 1 || port > 65535) throw new RangeError(`--${flag}: "${part}" is not a TCP port (1-65535)`);
    if (!ports.includes(port)) ports.push(port);
  }
  return ports;
}

/** Parses a comma list of CIDRs (a bare address means a single host). */
export function parseCidrList(flag: string, text: string): string[] {
  const cidrs: string[] = [];
  for (const item of text.split(',')) {
    const part = item.trim();
    if (part === '') continue;
    if (cidrFamily(part) === undefined) throw new RangeError(`--${flag}: "${part}" is not an IPv4 or IPv6 CIDR`);
    cidrs.push(part);
  }
  return cidrs;
}

export function cidrFamily(cidr: string): IpFamily | undefined {
  const slash = cidr.indexOf('/');
  const address = slash === -1 ? cidr : cidr.slice(0, slash);
  const family = net.isIP(address);
  if (family !== 4 && family !== 6) return undefined;
  if (slash !== -1) {
    const bits = cidr.slice(slash + 1);
    if (!/^\d{1,3}$/.test(bits) || Number(bits) > (family === 4 ? 32 : 128)) return undefined;
  }
  return family;
}

/** iptables prints a bare address back with its full prefix length; writing it that way keeps `print` and the tables identical. */
function normaliseCidr(cidr: string): string {
  if (cidr.includes('/')) return cidr;
  return `${cidr}/${net.isIPv4(cidr) ? 32 : 128}`;
}
