// Resolves the color an outbound call carries (SPEC 3): baggage → trace table → pod color → none,
// and writes it into the request's baggage, leaving every other member as it was.
import type { IncomingMessage } from 'node:http';
import { readBaggageColor, writeBaggageColor } from '../core/baggage.js';
import { traceIdOf } from '../core/trace-table.js';
import type { ColorSource, Rules } from '../core/types.js';
import { channels, publish, type Direction, type InvalidColorEvent } from '../events.js';
import { isAllowedColor, type MeshState } from '../proxy/state.js';

export interface ResolvedColor {
  color: string | undefined;
  source: ColorSource;
}

export function resolveOutboundColor(state: MeshState, rules: Rules, req: IncomingMessage, direction: Direction): ResolvedColor {
  const header = req.headers.baggage;
  let color: string | undefined;
  let source: ColorSource = 'none';
  if (header !== undefined) {
    const found = readBaggageColor(header, rules.baggageKey);
    if (isAllowedColor(rules, found.color)) {
      color = found.color;
      source = 'baggage';
    } else if (found.value !== undefined) {
      publish<InvalidColorEvent>(channels.invalidColor, { direction, source: 'baggage', value: found.value });
    }
  }
  if (color === undefined) {
    const traceId = traceIdOf(req.headers.traceparent);
    const remembered = traceId === undefined ? undefined : state.traceTable.get(traceId);
    if (isAllowedColor(rules, remembered)) {
      color = remembered;
      source = 'trace';
    } else if (isAllowedColor(rules, state.pod.color)) {
      color = state.pod.color;
      source = 'pod';
    }
  }
  setBaggageColor(req, rules.baggageKey, color);
  return { color, source };
}

/** Writes (or removes) the color member; the request always leaves with the resolved color. */
export function setBaggageColor(req: IncomingMessage, key: string, color: string | undefined): void {
  const next = writeBaggageColor(req.headers.baggage, key, color);
  if (next === undefined) delete req.headers.baggage;
  else req.headers.baggage = next;
}
