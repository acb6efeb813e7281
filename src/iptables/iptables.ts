// Applies and removes an interception plan with the iptables/ip6tables binaries (iptables-nft on Debian).
// apply is idempotent (our chains are flushed and refilled, jumps added only when absent); remove
// deletes exactly what apply added, so the nat table is left as it was.
import { spawnSync } from 'node:child_process';
import { OUR_CHAINS, type InterceptionPlan, type IpFamily, type Rule } from './rules.js';

export class IptablesError extends Error {
  override name = 'IptablesError';
}

const BINARY: Readonly<Record<IpFamily, string>> = { 4: 'iptables', 6: 'ip6tables' };

/** Runs one iptables command; an injectable seam so the sequencing can be unit-tested without root. */
export type IptablesRunner = (family: IpFamily, args: readonly string[]) => { status: number; stdout: string; stderr: string };

export const runIptables: IptablesRunner = (family, args) => {
  // -w: wait for the xtables lock instead of failing when another tool (kube-proxy, CNI) holds it.
  const result = spawnSync(BINARY[family], ['-w', ...args], { encoding: 'utf8' });
  if (result.error !== undefined) {
    const code = (result.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new IptablesError(`${BINARY[family]} not found on PATH; install it (Debian/Ubuntu: apt-get install iptables)`);
    }
    throw new IptablesError(`could not run ${BINARY[family]}: ${result.error.message}`);
  }
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
};

/** Turns a failed command into an error that says what to do about it. */
function failure(family: IpFamily, args: readonly string[], stderr: string): IptablesError {
  const message = stderr.trim();
  if (/permission denied|operation not permitted|you must be root/i.test(message)) {
    return new IptablesError(
      `${BINARY[family]} needs CAP_NET_ADMIN in the pod's network namespace (run as root or grant NET_ADMIN, as istio-init does): ${message}`,
    );
  }
  return new IptablesError(`${BINARY[family]} ${args.join(' ')} failed: ${message}`);
}

export class Iptables {
  constructor(
    private readonly family: IpFamily,
    private readonly run: IptablesRunner = runIptables,
  ) {}

  /** Runs a command that must succeed. */
  private must(args: readonly string[]): string {
    const result = this.run(this.family, args);
    if (result.status !== 0) throw failure(this.family, args, result.stderr);
    return result.stdout;
  }

  /** Runs a check (-C); exit 1 means "no such rule", anything else is a real failure. */
  private has(rule: Rule): boolean {
    const args = ['-t', 'nat', '-C', rule.chain, ...rule.spec];
    const result = this.run(this.family, args);
    if (result.status === 0) return true;
    if (result.status === 1 && !/permission denied|you must be root/i.test(result.stderr)) return false;
    throw failure(this.family, args, result.stderr);
  }

  /** The user chains that exist in the nat table now. */
  private existingChains(): Set<string> {
    const chains = new Set<string>();
    for (const line of this.must(['-t', 'nat', '-S']).split('\n')) {
      const match = /^-N (\S+)$/.exec(line.trim());
      if (match?.[1] !== undefined) chains.add(match[1]);
    }
    return chains;
  }

  /** Makes the nat table contain exactly the plan's chains and jumps, whatever was there before. */
  apply(plan: InterceptionPlan): void {
    const existing = this.existingChains();
    // Chains first (empty), so that rules jumping between them resolve; then the rules; the
    // built-in chains' jumps last, so traffic is never sent into a half-filled chain on first apply.
    for (const chain of OUR_CHAINS) this.must(['-t', 'nat', existing.has(chain) ? '-F' : '-N', chain]);
    for (const rule of plan.rules) this.must(['-t', 'nat', '-A', rule.chain, ...rule.spec]);
    for (const jump of plan.jumps) {
      if (!this.has(jump)) this.must(['-t', 'nat', '-A', jump.chain, ...jump.spec]);
    }
  }

  /** Deletes the jumps (every copy) and our chains; a no-op when nothing of ours is there. */
  remove(plan: InterceptionPlan): void {
    const existing = this.existingChains();
    for (const jump of plan.jumps) {
      // A jump to a chain that does not exist cannot exist either (and -C would fail on it).
      if (!existing.has(jump.spec[jump.spec.length - 1] ?? '')) continue;
      // Bounded: each pass deletes one copy; more than a handful means something else keeps adding it.
      for (let attempt = 0; attempt < 16 && this.has(jump); attempt++) {
        this.must(['-t', 'nat', '-D', jump.chain, ...jump.spec]);
      }
    }
    const ours = OUR_CHAINS.filter((chain) => existing.has(chain));
    for (const chain of ours) this.must(['-t', 'nat', '-F', chain]);
    for (const chain of ours) this.must(['-t', 'nat', '-X', chain]);
  }

  /** `iptables -t nat -S` output, for diagnostics and tests. */
  list(): string {
    return this.must(['-t', 'nat', '-S']);
  }
}

/** Whether this family can be managed here: the binary exists and its nat table answers. */
export function familyAvailable(family: IpFamily, run: IptablesRunner = runIptables): boolean {
  try {
    return run(family, ['-t', 'nat', '-S']).status === 0;
  } catch {
    return false;
  }
}
