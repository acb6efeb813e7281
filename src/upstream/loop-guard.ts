// Tells whether an address is one of this sidecar's own listeners, by the address a connection
// actually reached — so no spelling of the loopback address, hostname or interface IP can loop.
import os from 'node:os';

let cached: Set<string> | undefined;

function interfaceAddresses(): Set<string> {
  if (cached !== undefined) return cached;
  const set = new Set(['localhost', '0.0.0.0', '::', '::1']);
  for (const list of Object.values(os.networkInterfaces())) {
    for (const info of list ?? []) set.add(info.address.toLowerCase());
  }
  cached = set;
  return set;
}

/** An IPv4-mapped IPv6 address (::ffff:127.0.0.1) as the IPv4 address it is. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** Whether `host` (a name or an address as written) names this machine in its plain spellings. */
export function isLocalAddress(host: string): boolean {
  const h = unmapped(host.toLowerCase());
  return h.startsWith('127.') || interfaceAddresses().has(h);
}

/** The ports of one sidecar's listeners, and the check a connection's far end is put through. */
export class OwnListeners {
  readonly ports = new Set<number>();

  /** A quick check on the target as written, before connecting. */
  isOwnTarget(host: string, port: number): boolean {
    return this.ports.has(port) && isLocalAddress(host);
  }

  /** The decisive check on the address a socket actually connected to. */
  isOwnPeer(remoteAddress: string | undefined, remotePort: number | undefined): boolean {
    if (remoteAddress === undefined || remotePort === undefined || !this.ports.has(remotePort)) return false;
    return isLocalAddress(remoteAddress);
  }
}

export class LoopError extends Error {
  readonly code = 'COLORMESH_LOOP';
  constructor(address: string) {
    super(`refusing to proxy to this sidecar's own listener (${address})`);
  }
}
