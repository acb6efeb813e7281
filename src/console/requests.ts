// The shapes of the console's write requests, checked before anything is read or written, with a
// message a person can act on (the page shows it as it is).
export class RequestError extends Error {
  override name = 'RequestError';
  constructor(
    readonly status: 400 | 413,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Raw = Record<string, unknown>;

function parseObject(text: string): Raw {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new RequestError(400, 'invalid_json', `the body is not JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RequestError(400, 'invalid_request', 'the body must be a JSON object');
  return value as Raw;
}

/** The version the client based its change on: `version`, or `expectedVersion` as writeSplit calls it. */
function versionOf(body: Raw): string | undefined {
  const v = body['version'] ?? body['expectedVersion'];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v === '') throw new RequestError(400, 'invalid_request', '"version", when given, must be the rules version string from /api/state');
  return v;
}

/**
 * `{"weights": {"blue": 90, "green": 10}, "version"?: V}`. Colors are lower-cased as the rule file
 * compares them. A weight must be a JSON number; whether it is allowed (>= 0, a known color, a
 * positive total) is the validator's call, so the message is the one `colormesh validate` gives.
 */
export function parseSplitBody(text: string): { weights: Record<string, number>; version: string | undefined } {
  const body = parseObject(text);
  for (const key of Object.keys(body)) {
    if (key !== 'weights' && key !== 'version' && key !== 'expectedVersion') throw new RequestError(400, 'invalid_request', `unknown field "${key}"; expected {"weights": {COLOR: WEIGHT, …}}`);
  }
  const raw = body['weights'];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new RequestError(400, 'invalid_request', 'expected {"weights": {COLOR: WEIGHT, …}}, e.g. {"weights": {"blue": 90, "green": 10}}');
  }
  const entries = Object.entries(raw as Raw);
  if (entries.length === 0) throw new RequestError(400, 'invalid_request', '"weights" names no color');
  const weights: Record<string, number> = {};
  for (const [color, weight] of entries) {
    if (typeof weight !== 'number' || !Number.isFinite(weight)) {
      throw new RequestError(400, 'invalid_weight', `the weight of "${color}" must be a number >= 0, not ${JSON.stringify(weight)}`);
    }
    const key = color.trim().toLowerCase();
    if (Object.hasOwn(weights, key)) throw new RequestError(400, 'invalid_request', `color "${key}" is given twice`);
    weights[key] = weight;
  }
  return { weights, version: versionOf(body) };
}

/** `{"color": "green", "to"?: "blue", "version"?: V}`; without `to`, the weight goes to the stable color. */
export function parseRollbackBody(text: string): { color: string; to: string | undefined; version: string | undefined } {
  const body = parseObject(text);
  const color = body['color'];
  if (typeof color !== 'string' || color.trim() === '') throw new RequestError(400, 'invalid_request', 'expected {"color": CANDIDATE}, e.g. {"color": "green"}');
  const to = body['to'];
  if (to !== undefined && (typeof to !== 'string' || to.trim() === '')) throw new RequestError(400, 'invalid_request', '"to", when given, must be a color of the split');
  return { color: color.trim().toLowerCase(), to: typeof to === 'string' ? to.trim().toLowerCase() : undefined, version: versionOf(body) };
}
