// The edge gateway: every request is an entry into the mesh, so it is colored (SPEC 4) and then
// routed like an outbound call to the one service the gateway fronts.
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError } from '../proxy/errors.js';
import { createHop } from '../proxy/hop.js';
import type { MeshState } from '../proxy/state.js';
import { colorInbound } from '../inbound/listener.js';
import { forwardToService, routeErrorHeader, stripProxyHeaders } from '../outbound/forward.js';
import { channels, publish } from '../events.js';

export function createGatewayServer(state: MeshState, serviceName: string, serverOptions: http.ServerOptions = {}): http.Server {
  return http.createServer(serverOptions, (req, res) => handleGateway(state, serviceName, req, res));
}

function handleGateway(state: MeshState, serviceName: string, req: IncomingMessage, res: ServerResponse): void {
  const rules = state.rules;
  const hop = createHop('gateway', req, res);
  hop.service = serviceName;
  stripProxyHeaders(req);
  const { color, source } = colorInbound(state, rules, req, 'gateway', true);
  hop.color = color;
  hop.colorSource = source;
  const service = rules.services.get(serviceName);
  if (service === undefined) {
    hop.errorCode = 'no_endpoint';
    publish(channels.hopStart, hop);
    hop.status = sendError(res, 'no_endpoint', { service: serviceName, color }, routeErrorHeader(serviceName, color));
    return;
  }
  forwardToService(state, hop, service, color);
}
