// Tells whether a host names this machine, so the outbound proxy never forwards to itself.
import os from 'node:os';

let cached: Set<string> | undefined;

function localAddresses(): Set<string> {
  if (cached !== undefined) return cached;
  const set = new Set(['localhost', '0.0.0.0', '::', '::1']);
  for (const list of Object.values(os.networkInterfaces())) {
    for (const info of list ?? []) set.add(info.address.toLowerCase());
  }
  cached = set;
  return set;
}

export function isLocalAddress(host: string): boolean {
  return host.startsWith('127.') || localAddresses().has(host.toLowerCase());
}
