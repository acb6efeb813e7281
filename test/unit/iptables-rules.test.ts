// The interception plan (pure) and the command sequencing of apply/remove, against a fake iptables.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CHAIN, formatPlan, parseCidrList, parsePortList, planInterception, type InterceptionOptions, type Rule } from '../../src/iptables/rules.js';
import { Iptables, IptablesError, type IptablesRunner } from '../../src/iptables/iptables.js';

const BASE: InterceptionOptions = {
  inboundPorts: [8080],
  outboundPorts: [8080, 9090],
  excludeOutboundPorts: [],
  excludeOutboundCidrs: [],
  proxyUid: 1337,
  proxyGid: 1337,
  inboundPort: 15006,
  outboundPort: 15001,
};

const line = (rule: Rule): string => [rule.chain, ...rule.spec].join(' ');

describe('planInterception', () => {
  test('exemptions come before every redirect in the output chain', () => {
    const rules = planInterception({ ...BASE, excludeOutboundPorts: [5432], excludeOutboundCidrs: ['10.0.0.0/8'] }, 4).rules;
    const output = rules.filter((r) => r.chain === CHAIN.output).map(line);
    const firstRedirect = output.findIndex((l) => l.endsWith(`-j ${CHAIN.redirect}`));
    const lastReturn = output.map((l) => l.endsWith('-j RETURN')).lastIndexOf(true);
    assert.ok(firstRedirect > lastReturn, output.join('\n'));
    assert.deepEqual(output.slice(0, 4), [
      `${CHAIN.output} -m owner --uid-owner 1337 -j RETURN`,
      `${CHAIN.output} -m owner --gid-owner 1337 -j RETURN`,
      `${CHAIN.output} -o lo -j RETURN`,
      `${CHAIN.output} -d 127.0.0.0/8 -j RETURN`,
    ]);
    assert.ok(output.includes(`${CHAIN.output} -p tcp -m tcp --dport 5432 -j RETURN`));
    assert.ok(output.includes(`${CHAIN.output} -d 10.0.0.0/8 -j RETURN`));
  });

  test('one redirect per chosen port, to the listener ports given', () => {
    const rules = planInterception({ ...BASE, inboundPorts: [8080, 8443], inboundPort: 16006, outboundPort: 16001 }, 4).rules.map(line);
    assert.ok(rules.includes(`${CHAIN.inbound} -p tcp -m tcp --dport 8080 -j ${CHAIN.inRedirect}`));
    assert.ok(rules.includes(`${CHAIN.inbound} -p tcp -m tcp --dport 8443 -j ${CHAIN.inRedirect}`));
    assert.ok(rules.includes(`${CHAIN.inRedirect} -p tcp -j REDIRECT --to-ports 16006`));
    assert.ok(rules.includes(`${CHAIN.output} -p tcp -m tcp --dport 9090 -j ${CHAIN.redirect}`));
    assert.ok(rules.includes(`${CHAIN.redirect} -p tcp -j REDIRECT --to-ports 16001`));
    assert.equal(rules.filter((l) => l.includes('REDIRECT --to-ports')).length, 2);
  });

  test('"all" outbound ports redirects every TCP connection after the exemptions', () => {
    const output = planInterception({ ...BASE, outboundPorts: 'all' }, 4).rules.filter((r) => r.chain === CHAIN.output).map(line);
    assert.equal(output.at(-1), `${CHAIN.output} -p tcp -j ${CHAIN.redirect}`);
    assert.equal(output.filter((l) => l.includes('--dport')).length, 0);
  });

  test('each family keeps only its own CIDRs and its own loopback', () => {
    const options = { ...BASE, excludeOutboundCidrs: ['192.168.1.0/24', 'fd00::/8', '10.1.2.3'] };
    const v4 = planInterception(options, 4).rules.map(line).join('\n');
    const v6 = planInterception(options, 6).rules.map(line).join('\n');
    assert.match(v4, /-d 192\.168\.1\.0\/24 -j RETURN/);
    assert.match(v4, /-d 10\.1\.2\.3\/32 -j RETURN/);
    assert.doesNotMatch(v4, /fd00/);
    assert.match(v6, /-d fd00::\/8 -j RETURN/);
    assert.match(v6, /-d ::1\/128 -j RETURN/);
    assert.doesNotMatch(v6, /192\.168|127\.0\.0\.0/);
  });

  test('the jumps are fixed, so remove finds them whatever apply was given', () => {
    const a = planInterception(BASE, 4).jumps.map(line);
    const b = planInterception({ ...BASE, outboundPorts: 'all', proxyUid: 7 }, 4).jumps.map(line);
    assert.deepEqual(a, b);
    assert.deepEqual(a, [`PREROUTING -p tcp -j ${CHAIN.inbound}`, `OUTPUT -p tcp -j ${CHAIN.output}`]);
  });

  test('formatPlan is iptables-save shaped: chain declarations, rules, COMMIT', () => {
    const text = formatPlan(planInterception(BASE, 4));
    const lines = text.trimEnd().split('\n');
    assert.equal(lines[1], '*nat');
    assert.equal(lines.at(-1), 'COMMIT');
    for (const chain of Object.values(CHAIN)) assert.ok(lines.includes(`:${chain} - [0:0]`), chain);
    assert.ok(lines.every((l) => /^(#|\*nat$|:|-A |COMMIT$)/.test(l)), text);
  });
});

describe('port and CIDR lists', () => {
  test('ports: comma list, duplicates dropped, "*" only where allowed', () => {
    assert.deepEqual(parsePortList('p', '8080, 9090,8080,', false), [8080, 9090]);
    assert.deepEqual(parsePortList('p', '', false), []);
    assert.equal(parsePortList('p', ' * ', true), 'all');
    assert.throws(() => parsePortList('p', '*', false), /not allowed/);
    for (const bad of ['0', '65536', '80x', '-1', '1.5']) assert.throws(() => parsePortList('p', bad, true), RangeError, bad);
  });

  test('CIDRs: both families, bare addresses, bad prefixes rejected', () => {
    assert.deepEqual(parseCidrList('c', '10.0.0.0/8,::1,fd00::/64'), ['10.0.0.0/8', '::1', 'fd00::/64']);
    for (const bad of ['10.0.0.0/33', 'fd00::/129', 'example.com', '10.0.0/8', '10.0.0.0/']) assert.throws(() => parseCidrList('c', bad), RangeError, bad);
  });
});

/** A minimal in-memory nat table that understands the handful of commands Iptables issues. */
function fakeTable(): { runner: IptablesRunner; rules: Map<string, string[]>; calls: string[] } {
  const rules = new Map<string, string[]>([['PREROUTING', ['-p tcp -j OTHER_MESH']], ['OUTPUT', []]]);
  const calls: string[] = [];
  const runner: IptablesRunner = (_family, args) => {
    calls.push(args.join(' '));
    const [, , op, chain, ...spec] = args;
    const body = spec.join(' ');
    const ok = { status: 0, stdout: '', stderr: '' };
    if (op === '-S') {
      const user = [...rules.keys()].filter((c) => c !== 'PREROUTING' && c !== 'OUTPUT');
      return { ...ok, stdout: user.map((c) => `-N ${c}`).join('\n') + '\n' };
    }
    if (chain === undefined) return { status: 2, stdout: '', stderr: 'bad call' };
    const list = rules.get(chain);
    if (op === '-N') rules.set(chain, []);
    else if (list === undefined) return { status: 1, stdout: '', stderr: `chain ${chain} does not exist` };
    else if (op === '-F') list.length = 0;
    else if (op === '-X') rules.delete(chain);
    else if (op === '-A') list.push(body);
    else if (op === '-C') return list.includes(body) ? ok : { status: 1, stdout: '', stderr: 'Bad rule' };
    else if (op === '-D') list.splice(list.indexOf(body), 1);
    return ok;
  };
  return { runner, rules, calls };
}

describe('Iptables apply/remove sequencing', () => {
  test('apply twice leaves the same table as apply once; remove restores the original', () => {
    const table = fakeTable();
    const before = JSON.stringify([...table.rules]);
    const iptables = new Iptables(4, table.runner);
    const plan = planInterception(BASE, 4);
    iptables.apply(plan);
    const once = JSON.stringify([...table.rules]);
    iptables.apply(plan);
    assert.equal(JSON.stringify([...table.rules]), once);
    assert.deepEqual(table.rules.get('PREROUTING'), ['-p tcp -j OTHER_MESH', `-p tcp -j ${CHAIN.inbound}`]);
    iptables.remove(plan);
    assert.equal(JSON.stringify([...table.rules]), before);
    iptables.remove(plan); // nothing of ours left: still fine
    assert.equal(JSON.stringify([...table.rules]), before);
  });

  test('a permission failure says CAP_NET_ADMIN', () => {
    const denied: IptablesRunner = () => ({ status: 4, stdout: '', stderr: 'iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)' });
    assert.throws(() => new Iptables(4, denied).apply(planInterception(BASE, 4)), (err: unknown) => err instanceof IptablesError && /CAP_NET_ADMIN/.test(err.message));
  });
});
