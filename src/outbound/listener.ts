// The outbound proxy: routes calls from the local app to other services by color. Accepts
// explicit-proxy requests (absolute-form, HTTP_PROXY) and transparently redirected ones (Host).
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { findService } from '../core/host.js';
import { decideRoute } from '../core/route.js';
import { pickEndpoint } from '../core/balancer.js';
import { channels, publish, type HopEvent } from '../events.js';
import { rejectSocket, sendError } from '../proxy/errors.js';
import { createHop } from '../proxy/hop.js';
import { forwardOnce } from '../proxy/forward-once.js';
import type { MeshState } from '../proxy/state.js';
import { resolveOutboundColor } from './color.js';
import { forwardToService, routeErrorHeader, stripProxyHeaders } from './forward.js';
import { readTarget } from './target.js';
import { isLocalAddress } from './local-address.js';

export function createOutboundServer(state: MeshState, serverOptions: http.ServerOptions = {}): http.Server {
  const server = http.createServer(serverOptions, (req, res) => handleOutbound(state, req, res));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => handleUpgrade(state, req, socket, head));
  server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => handleConnect(state, req, socket, head));
  return server;
}

export function handleOutbound(state: MeshState, req: IncomingMessage, res: ServerResponse): void {
  const rules = state.rules; // this request's snapshot, whatever reloads happen meanwhile
  const hop = createHop('outbound', req, res);
  const target = readTarget(req);
  if (!target.ok) {
    hop.errorCode = 'bad_request';
    hop.status = sendError(res, 'bad_request', { message: target.message }, undefined);
    return;
  }
  stripProxyHeaders(req);
  const { color, source } = resolveOutboundColor(state, rules, req, 'outbound');
  hop.color = color;
  hop.colorSource = source;
  const service = findService(rules, target.authority, state.pod.namespace);
  if (service !== undefined) {
    hop.service = service.name;
    forwardToService(state, hop, service, color);
    return;
  }
  const host = target.authority.host;
  const port = target.authority.port ?? 80;
  if (rules.outboundPolicy === 'deny') {
    hop.errorCode = 'not_in_mesh';
    publish(channels.hopStart, hop);
    hop.status = sendError(res, 'not_in_mesh', { service: host, color }, routeErrorHeader(host, color));
    return;
  }
  if (state.ownPorts.has(port) && isLocalAddress(host)) {
    // A request addressed to the sidecar itself would loop back into this listener forever.
    hop.errorCode = 'bad_request';
    hop.status = sendError(res, 'bad_request', { message: `refusing to proxy to the sidecar's own port ${port}` }, undefined);
    return;
  }
  passThrough(state, hop, host, port, color);
}

/** A host outside the mesh under `outboundPolicy: allow`: one attempt, as addressed. */
function passThrough(state: MeshState, hop: HopEvent, host: string, port: number, color: string | undefined): void {
  hop.via = 'passthrough';
  hop.upstream = `${host}:${port}`;
  hop.attempts = 1;
  publish(channels.hopStart, hop);
  const routeHeader = `${host};color=${color ?? '-'};via=passthrough`;
  forwardOnce(state, hop, { host, port }, { routeHeader, service: host, retryStale: false });
}

/** WebSocket and other upgrades: routed like a request, one attempt, no retries. */
function handleUpgrade(state: MeshState, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => socket.destroy());
  const rules = state.rules;
  const target = readTarget(req);
  if (!target.ok) return rejectSocket(socket, 'bad_request');
  stripProxyHeaders(req);
  const { color } = resolveOutboundColor(state, rules, req, 'outbound');
  const service = findService(rules, target.authority, state.pod.namespace);
  let address: { host: string; port: number };
  if (service !== undefined) {
    const decision = decideRoute(service, state.registry.sets(service.name), color);
    const endpoint = decision.ok ? pickEndpoint(decision.set, service.loadBalancer, state.random) : undefined;
    if (endpoint === undefined) return rejectSocket(socket, 'no_endpoint');
    address = endpoint;
  } else if (rules.outboundPolicy === 'deny') {
    return rejectSocket(socket, 'not_in_mesh');
  } else {
    address = { host: target.authority.host, port: target.authority.port ?? 80 };
  }
  state.upstream.upgrade(req, socket, head, address, () => socket.destroy());
}

/** CONNECT (HTTPS through HTTP_PROXY): a blind tunnel, allowed only to hosts outside the mesh under `allow`. */
function handleConnect(state: MeshState, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => socket.destroy());
  const [host, portText] = splitHostPort(req.url ?? '');
  const port = Number(portText);
  if (host === '' || !Number.isInteger(port) || port <= 0 || port > 65535) return rejectSocket(socket, 'bad_request');
  if (state.rules.outboundPolicy === 'deny' || (state.ownPorts.has(port) && isLocalAddress(host))) return rejectSocket(socket, 'not_in_mesh');
  const upstream = net.connect(port, host, () => {
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  upstream.on('error', () => rejectSocket(socket, 'upstream_unreachable'));
  socket.on('close', () => upstream.destroy());
}

function splitHostPort(authority: string): [string, string] {
  const colon = authority.lastIndexOf(':');
  if (colon === -1) return [authority, '443'];
  let host = authority.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return [host, authority.slice(colon + 1)];
}
