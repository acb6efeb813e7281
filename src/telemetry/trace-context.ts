// Reads trace and span ids out of a W3C traceparent header, for log lines when no span of our own exists.

export interface TraceIds {
  readonly traceId: string;
  readonly spanId: string;
}

// version "00" is the only one defined; later versions keep the same prefix layout (W3C trace-context 3.2).
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** The ids of a valid traceparent, or undefined (absent, malformed, version ff, all-zero ids). */
export function parseTraceparent(header: string | string[] | undefined): TraceIds | undefined {
  if (typeof header !== 'string') return undefined;
  const match = TRACEPARENT.exec(header.trim());
  if (match === null) return undefined;
  const [, version, traceId, spanId, , rest] = match;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId: traceId as string, spanId: spanId as string };
}
