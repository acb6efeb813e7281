// The classify step's color work, shared by every entry point: read the request's color (SPEC 3),
// color requests entering the mesh (SPEC 4), and write the result into the request's baggage,
// leaving every other member as it was.
import type { IncomingMessage } from 'node:http';
import { readBaggageColor, writeBaggageColor } from '../core/baggage.js';
import { colorIngress } from '../core/ingress.js';
import { traceIdOf } from '../core/trace-table.js';
import { channels, publish, type InvalidColorEvent } from '../events.js';
import type { Exchange } from './exchange.js';
import { isAllowedColor, type MeshState } from './state.js';

/** Outbound (SPEC 3): baggage → trace table → pod color → none; the request leaves with it. */
export function resolveOutboundColor(state: MeshState, ex: Exchange): void {
  const { rules, req } = ex;
  const header = req.headers.baggage;
  if (header !== undefined) {
    const found = readBaggageColor(header, rules.baggageKey);
    if (isAllowedColor(rules, found.color)) {
      ex.color = found.color;
      ex.colorSource = 'baggage';
      ex.shadow = found.shadow;
    } else if (found.value !== undefined) {
      publish<InvalidColorEvent>(channels.invalidColor, { direction: ex.direction, source: 'baggage', value: found.value });
    }
  }
  if (ex.color === undefined) {
    const traceId = traceIdOf(req.headers.traceparent);
    const remembered = traceId === undefined ? undefined : state.traceTable.get(traceId);
    if (remembered !== undefined && isAllowedColor(rules, remembered.color)) {
      ex.color = remembered.color;
      ex.shadow = remembered.shadow;
      ex.colorSource = 'trace';
    } else if (isAllowedColor(rules, state.pod.color)) {
      ex.color = state.pod.color;
      ex.colorSource = 'pod';
    }
  }
  setBaggageColor(req, rules.baggageKey, ex.color, ex.shadow);
}

/**
 * Inbound and gateway: the caller's color, or at an entry point the ingress rules' (an outside
 * client's color is dropped unless accepted). An invalid color is removed so the app does not carry it.
 */
export function resolveInboundColor(state: MeshState, ex: Exchange, entry: boolean): void {
  const { rules, req } = ex;
  const found = req.headers.baggage === undefined ? undefined : readBaggageColor(req.headers.baggage, rules.baggageKey);
  let color = isAllowedColor(rules, found?.color) ? found?.color : undefined;
  if (color === undefined && found?.value !== undefined) {
    publish<InvalidColorEvent>(channels.invalidColor, { direction: ex.direction, source: 'baggage', value: found.value });
  }
  ex.colorSource = color === undefined ? 'none' : 'baggage';
  ex.shadow = color !== undefined && found?.shadow === true;
  // A shadow copy keeps its lane at an entry point inside the mesh (a mirrored call to the frontend
  // must not be re-colored into production); at the gateway it can only come from outside, and is
  // treated like any client color.
  if (ex.shadow && ex.direction === 'gateway') ex.shadow = false;
  if (entry && !ex.shadow) {
    const result = colorIngress(rules, { headers: req.headers, url: req.url }, color, state.random);
    color = result.color;
    ex.colorSource = result.source;
    setBaggageColor(req, rules.baggageKey, color, false);
  } else if (found !== undefined && found.value !== undefined && color === undefined) {
    setBaggageColor(req, rules.baggageKey, undefined, false);
  }
  ex.color = color;
}

/** Writes (or removes) the color member; the request always leaves with the resolved color. */
export function setBaggageColor(req: IncomingMessage, key: string, color: string | undefined, shadow: boolean): void {
  const next = writeBaggageColor(req.headers.baggage, key, color, shadow);
  if (next === undefined) delete req.headers.baggage;
  else req.headers.baggage = next;
}

/** Records trace id → color so the outbound side can find the color of apps that drop baggage. */
export function rememberTraceColor(state: MeshState, ex: Exchange): void {
  if (ex.color === undefined) return;
  const traceId = traceIdOf(ex.req.headers.traceparent);
  if (traceId !== undefined) state.traceTable.set(traceId, ex.color, ex.shadow);
}
