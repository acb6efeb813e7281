// Parses and checks `host:port` endpoint addresses (IPv4, [IPv6] or a DNS name) as the rule file writes them.
import { isIP } from 'node:net';

export interface HostPort {
  /** without brackets for IPv6 */
  readonly host: string;
  readonly port: number;
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/**
 * Returns the parsed address, or a sentence saying what is wrong with it. With `defaultPort` the port may be
 * left out (`dns` entries may say just `base-blue`, meaning the service's port); static endpoints need it.
 */
export function parseHostPort(address: string, defaultPort?: number): HostPort | string {
  let host: string;
  let portText: string;
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    const portOmitted = close === address.length - 1 && defaultPort !== undefined;
    if (close < 0 || (address[close + 1] !== ':' && !portOmitted)) return `"${address}" is not host:port (write IPv6 as [addr]:port)`;
    host = address.slice(1, close);
    portText = portOmitted ? String(defaultPort) : address.slice(close + 2);
    if (isIP(host) !== 6) return `"${host}" in "${address}" is not an IPv6 address`;
  } else {
    const colon = address.lastIndexOf(':');
    if (colon < 0 && defaultPort === undefined) return `"${address}" is not host:port (the port is missing)`;
    host = colon < 0 ? address : address.slice(0, colon);
    portText = colon < 0 ? String(defaultPort) : address.slice(colon + 1);
    if (host.includes(':')) return `"${address}" is not host:port (write IPv6 as [addr]:port)`;
    if (isIP(host) === 0 && !HOSTNAME.test(host)) return `"${host}" in "${address}" is not a valid host name or IP address`;
  }
  if (!/^\d{1,5}$/.test(portText)) return `"${portText}" in "${address}" is not a port number`;
  const port = Number(portText);
  if (port < 1 || port > 65535) return `port ${port} in "${address}" is out of range 1-65535`;
  return { host, port };
}
