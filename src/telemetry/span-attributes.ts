// Span attributes: the current (stable) HTTP semantic conventions plus colormesh.* for the routing decision.
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PEER_PORT,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions';
import type { AttemptEvent, HopEvent, UpstreamErrorKind, ErrorCode } from '../events.js';

/** colormesh.* attribute names, listed in docs/observability.md. */
export const ATTR = {
  direction: 'colormesh.direction',
  service: 'colormesh.service',
  color: 'colormesh.color',
  colorSource: 'colormesh.color_source',
  via: 'colormesh.via',
  endpointAddress: 'colormesh.endpoint.address',
  endpointColor: 'colormesh.endpoint.color',
  attempt: 'colormesh.attempt',
  retryCount: 'colormesh.retry_count',
  errorCode: 'colormesh.error_code',
  shadow: 'colormesh.shadow',
  mirrored: 'colormesh.mirrored',
} as const;

const CODE_OF_KIND: Readonly<Record<UpstreamErrorKind, ErrorCode>> = {
  connect: 'upstream_unreachable',
  timeout: 'upstream_timeout',
  reset: 'upstream_reset',
};

/** The path alone: query strings carry tokens and user data often enough to keep them out of traces. */
function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  let path = url;
  if (!path.startsWith('/')) {
    // explicit-proxy requests carry an absolute URI
    const schemeEnd = path.indexOf('://');
    const slash = schemeEnd < 0 ? -1 : path.indexOf('/', schemeEnd + 3);
    path = slash < 0 ? '/' : path.slice(slash);
  }
  const query = path.search(/[?#]/);
  return query < 0 ? path : path.slice(0, query);
}

function splitHostPort(authority: string | undefined): { host: string | undefined; port: number | undefined } {
  if (authority === undefined || authority === '') return { host: undefined, port: undefined };
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(authority);
  if (match === null) return { host: authority, port: undefined };
  const host = (match[1] as string).replace(/^\[|\]$/g, '');
  return { host, port: match[2] === undefined ? undefined : Number(match[2]) };
}

function colorAttributes(hop: HopEvent): Attributes {
  return {
    [ATTR.direction]: hop.direction,
    [ATTR.color]: hop.color ?? '',
    [ATTR.colorSource]: hop.colorSource,
    ...(hop.service !== '' ? { [ATTR.service]: hop.service } : {}),
  };
}

/** SERVER span of an inbound or gateway hop, at its start. */
export function serverStartAttributes(hop: HopEvent): Attributes {
  const { host, port } = splitHostPort(hop.req.headers.host);
  const peer = hop.req.socket.remoteAddress;
  return {
    [ATTR_HTTP_REQUEST_METHOD]: hop.req.method ?? '_OTHER',
    [ATTR_URL_SCHEME]: 'http',
    [ATTR_URL_PATH]: pathOf(hop.req.url),
    ...(host !== undefined ? { [ATTR_SERVER_ADDRESS]: host } : {}),
    ...(port !== undefined ? { [ATTR_SERVER_PORT]: port } : {}),
    ...(peer !== undefined ? { [ATTR_CLIENT_ADDRESS]: peer, [ATTR_NETWORK_PEER_ADDRESS]: peer } : {}),
    ...(hop.req.socket.remotePort !== undefined ? { [ATTR_NETWORK_PEER_PORT]: hop.req.socket.remotePort } : {}),
    ...colorAttributes(hop),
  };
}

/** CLIENT span of one attempt to `address` (0 = the hop never reached an attempt). */
export function clientStartAttributes(hop: HopEvent, address: string | undefined, endpointColor: string | undefined, attempt: number): Attributes {
  const { host, port } = splitHostPort(address);
  const attributes: Attributes = {
    [ATTR_HTTP_REQUEST_METHOD]: hop.req.method ?? '_OTHER',
    ...colorAttributes(hop),
    ...(hop.via !== undefined ? { [ATTR.via]: hop.via } : {}),
  };
  if (address !== undefined && host !== undefined) {
    attributes[ATTR_URL_FULL] = `http://${address}${pathOf(hop.req.url)}`;
    attributes[ATTR_SERVER_ADDRESS] = host;
    attributes[ATTR_NETWORK_PEER_ADDRESS] = host;
    if (port !== undefined) {
      attributes[ATTR_SERVER_PORT] = port;
      attributes[ATTR_NETWORK_PEER_PORT] = port;
    }
    attributes[ATTR.endpointAddress] = address;
    if (endpointColor !== undefined) attributes[ATTR.endpointColor] = endpointColor;
  }
  if (attempt > 0) {
    attributes[ATTR.attempt] = attempt;
    attributes[ATTR.retryCount] = attempt - 1;
    if (attempt > 1) attributes[ATTR_HTTP_REQUEST_RESEND_COUNT] = attempt - 1;
  }
  return attributes;
}

export interface EndAttributes {
  attributes: Attributes;
  failed: boolean;
  errorType: string | undefined;
}

/** When a hop-level span ends: what the hop decided and how it went. */
export function hopEndAttributes(hop: HopEvent, isServer: boolean): EndAttributes {
  // Server spans fail on 5xx only (a 4xx is the client's doing); client spans on any 4xx/5xx.
  const failedStatus = hop.status >= (isServer ? 500 : 400);
  const errorType = hop.errorCode ?? (failedStatus ? String(hop.status) : undefined);
  const attributes: Attributes = {
    ...(hop.status > 0 ? { [ATTR_HTTP_RESPONSE_STATUS_CODE]: hop.status } : {}),
    [ATTR.color]: hop.color ?? '',
    [ATTR.colorSource]: hop.colorSource,
    ...(hop.via !== undefined ? { [ATTR.via]: hop.via } : {}),
    ...(hop.service !== '' ? { [ATTR.service]: hop.service } : {}),
    ...(hop.upstream !== undefined ? { [ATTR.endpointAddress]: hop.upstream } : {}),
    ...(hop.upstreamColor !== undefined ? { [ATTR.endpointColor]: hop.upstreamColor } : {}),
    [ATTR.retryCount]: Math.max(0, hop.attempts - 1),
    ...(hop.errorCode !== undefined ? { [ATTR.errorCode]: hop.errorCode } : {}),
    ...(errorType !== undefined ? { [ATTR_ERROR_TYPE]: errorType } : {}),
    ...(hop.shadow ? { [ATTR.shadow]: true } : {}),
    ...(hop.mirrored ? { [ATTR.mirrored]: true } : {}),
  };
  // A reset after the headers went out leaves a 2xx status behind, yet the response was cut.
  const upstreamFailed = hop.errorCode !== undefined && hop.errorCode.startsWith('upstream_');
  return { attributes, failed: failedStatus || upstreamFailed, errorType };
}

/** When an attempt's CLIENT span ends: the upstream's answer, or how reaching it failed. */
export function attemptEndAttributes(event: AttemptEvent): EndAttributes {
  const code = event.errorKind === undefined ? undefined : CODE_OF_KIND[event.errorKind];
  const errorType = code ?? (event.status >= 400 ? String(event.status) : undefined);
  const attributes: Attributes = {
    ...(event.status > 0 ? { [ATTR_HTTP_RESPONSE_STATUS_CODE]: event.status } : {}),
    ...(code !== undefined ? { [ATTR.errorCode]: code } : {}),
    ...(errorType !== undefined ? { [ATTR_ERROR_TYPE]: errorType } : {}),
  };
  return { attributes, failed: errorType !== undefined, errorType };
}
