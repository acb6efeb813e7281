// The inbound proxy: hands requests from other pods to the local app with the color in `baggage`,
// remembers trace id → color for the outbound side, and colors requests at an entry point (SPEC 4).
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { readBaggageColor } from '../core/baggage.js';
import { colorIngress } from '../core/ingress.js';
import { traceIdOf } from '../core/trace-table.js';
import type { ColorSource, Rules } from '../core/types.js';
import { channels, publish, type Direction, type InvalidColorEvent } from '../events.js';
import { setBaggageColor } from '../outbound/color.js';
import { forwardOnce } from '../proxy/forward-once.js';
import { announceHop, createHop } from '../proxy/hop.js';
import { isAllowedColor, type MeshState } from '../proxy/state.js';
import type { Target } from '../proxy/upstream.js';

export function createInboundServer(state: MeshState, app: Target, serverOptions: http.ServerOptions = {}): http.Server {
  const appAddress = `${app.host}:${app.port}`;
  const server = http.createServer(serverOptions, (req, res) => handleInbound(state, app, appAddress, req, res));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    rememberTraceColor(state, req, colorInbound(state, state.rules, req, 'inbound').color);
    state.upstream.upgrade(req, socket, head, app, () => socket.destroy());
  });
  return server;
}

function handleInbound(state: MeshState, app: Target, appAddress: string, req: IncomingMessage, res: ServerResponse): void {
  const rules = state.rules;
  const hop = createHop('inbound', req, res);
  hop.service = state.pod.service ?? '';
  hop.via = 'local';
  const { color, source } = colorInbound(state, rules, req, 'inbound');
  hop.color = color;
  hop.colorSource = source;
  hop.upstream = appAddress;
  hop.upstreamColor = state.pod.color;
  hop.attempts = 1;
  announceHop(hop);
  // After announcing: tracing may have started a trace for a request that came without one, and
  // the app will carry that trace id on, so that is the id to remember.
  rememberTraceColor(state, req, color);
  // An app that is down answers 502 upstream_unreachable.
  forwardOnce(state, hop, app, { service: hop.service, retryStale: true });
}

/**
 * Works out the request's color and writes it into its baggage. At an entry point the ingress
 * rules decide (and an outside client's color is dropped unless accepted); elsewhere the caller's
 * baggage is trusted.
 */
export function colorInbound(state: MeshState, rules: Rules, req: IncomingMessage, direction: Direction, entry?: boolean): { color: string | undefined; source: ColorSource } {
  const found = req.headers.baggage === undefined ? undefined : readBaggageColor(req.headers.baggage, rules.baggageKey);
  let color = isAllowedColor(rules, found?.color) ? found?.color : undefined;
  if (color === undefined && found?.value !== undefined) {
    publish<InvalidColorEvent>(channels.invalidColor, { direction, source: 'baggage', value: found.value });
  }
  let source: ColorSource = color === undefined ? 'none' : 'baggage';
  const isEntry = entry ?? (state.pod.service !== undefined && rules.ingress.entrypoints.has(state.pod.service));
  if (isEntry) {
    const result = colorIngress(rules, { headers: req.headers, url: req.url }, color, state.random);
    color = result.color;
    source = result.source;
    setBaggageColor(req, rules.baggageKey, color);
  } else if (found !== undefined && found.value !== undefined && color === undefined) {
    // An invalid color is no color: drop it so the app does not carry it on.
    setBaggageColor(req, rules.baggageKey, undefined);
  }
  return { color, source };
}

/** Records trace id → color so the outbound side can find the color of apps that drop baggage. */
export function rememberTraceColor(state: MeshState, req: IncomingMessage, color: string | undefined): void {
  if (color === undefined) return;
  const traceId = traceIdOf(req.headers.traceparent);
  if (traceId !== undefined) state.traceTable.set(traceId, color);
}
