// The access line: trace/span ids, sensitive headers never written, level changed at run time, sampling.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { subscribeAccessLog } from '../../src/telemetry/access-log.js';
import { createLogger, setLogLevel, type Logger } from '../../src/telemetry/logger.js';
import { redactedHeaderNames } from '../../src/telemetry/redact.js';
import { parseTraceparent } from '../../src/telemetry/trace-context.js';
import { runHop } from '../support/telemetry-events.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

function capture(level: string): { logger: Logger; lines: Array<Record<string, unknown>>; raw: () => string } {
  const lines: Array<Record<string, unknown>> = [];
  let raw = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw += chunk.toString('utf8');
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level, sync: true, destination }), lines, raw: () => raw };
}

const SECRETS = {
  authorization: 'Bearer s3cr3t-token',
  cookie: 'session=s3cr3t-cookie',
  'proxy-authorization': 'Basic s3cr3t-proxy',
  'x-api-key': 's3cr3t-api-key',
};

describe('access log', () => {
  let unsubscribe: (() => void) | undefined;
  const savedExtras = process.env['COLORMESH_LOG_REDACT_HEADERS'];
  beforeEach(() => {
    process.env['COLORMESH_LOG_REDACT_HEADERS'] = 'X-Api-Key, x-other ';
  });
  afterEach(() => {
    unsubscribe?.();
    unsubscribe = undefined;
    if (savedExtras === undefined) delete process.env['COLORMESH_LOG_REDACT_HEADERS'];
    else process.env['COLORMESH_LOG_REDACT_HEADERS'] = savedExtras;
  });

  test('with tracing off, the ids come from the incoming traceparent', () => {
    const { logger, lines } = capture('info');
    unsubscribe = subscribeAccessLog(logger);
    runHop({ direction: 'inbound', service: 'frontend', color: 'green', via: 'local', headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` } });
    runHop({ direction: 'inbound', service: 'frontend', via: 'local' });
    assert.equal(lines.length, 2);
    assert.equal(lines[0]?.['trace_id'], TRACE_ID);
    assert.equal(lines[0]?.['span_id'], CALLER_SPAN);
    assert.equal(lines[0]?.['color'], 'green');
    assert.equal(lines[1]?.['trace_id'], undefined, 'no traceparent, no ids');
  });

  test('at info no headers are logged at all; at debug they are, with every sensitive one redacted', () => {
    const { logger, lines, raw } = capture('info');
    unsubscribe = subscribeAccessLog(logger);
    const spec = {
      direction: 'inbound' as const, service: 'frontend', via: 'local' as const,
      headers: { ...SECRETS, 'x-request-id': 'r-1' },
      responseHeaders: { 'set-cookie': ['session=s3cr3t-set-cookie; HttpOnly'], 'content-type': 'text/plain' },
    };
    runHop(spec);
    assert.equal(lines[0]?.['requestHeaders'], undefined);
    setLogLevel(logger, 'debug');
    runHop(spec);
    const headers = lines[1]?.['requestHeaders'] as Record<string, unknown>;
    assert.equal(headers['x-request-id'], 'r-1', 'ordinary headers are kept');
    for (const name of Object.keys(SECRETS)) assert.equal(headers[name], '[redacted]', name);
    assert.equal((lines[1]?.['responseHeaders'] as Record<string, unknown>)['set-cookie'], '[redacted]');
    assert.equal((lines[1]?.['responseHeaders'] as Record<string, unknown>)['content-type'], 'text/plain');
    assert.doesNotMatch(raw(), /s3cr3t/);
  });

  test('the logger itself censors a headers object logged anywhere (pino redact)', () => {
    const { logger, raw, lines } = capture('info');
    logger.info({ headers: { ...SECRETS, 'set-cookie': 'a=s3cr3t', accept: '*/*' } }, 'something');
    logger.info({ req: { headers: { authorization: 'Bearer s3cr3t' } } }, 'other');
    assert.doesNotMatch(raw(), /s3cr3t/);
    assert.equal((lines[0]?.['headers'] as Record<string, unknown>)['accept'], '*/*');
  });

  test('COLORMESH_LOG_REDACT_HEADERS adds to the fixed list, case-insensitively', () => {
    assert.deepEqual(redactedHeaderNames({ COLORMESH_LOG_REDACT_HEADERS: 'X-Api-Key,,x-session ' }), [
      'authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-session',
    ]);
    assert.deepEqual(redactedHeaderNames({}), ['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);
  });

  test('the level changes at run time; an unknown level is refused and changes nothing', () => {
    const { logger, lines } = capture('info');
    unsubscribe = subscribeAccessLog(logger);
    setLogLevel(logger, 'warn');
    runHop({ direction: 'inbound', service: 'frontend', via: 'local' });
    assert.equal(lines.length, 0, 'access lines are info');
    assert.throws(() => setLogLevel(logger, 'verbose'), /not one of/);
    assert.equal(logger.level, 'warn');
    setLogLevel(logger, 'info');
    runHop({ direction: 'inbound', service: 'frontend', via: 'local' });
    assert.equal(lines.length, 1);
  });

  test('sampling keeps 1 in N successes and every 5xx', () => {
    const { logger, lines } = capture('info');
    unsubscribe = subscribeAccessLog(logger, { sampleEvery: 4 });
    for (let i = 0; i < 20; i++) runHop({ direction: 'inbound', service: 'frontend', via: 'local', status: 200 });
    for (let i = 0; i < 3; i++) runHop({ direction: 'inbound', service: 'frontend', via: 'local', status: 502, errorCode: 'upstream_unreachable' });
    assert.equal(lines.filter((l) => l['status'] === 200).length, 5);
    assert.equal(lines.filter((l) => l['status'] === 502).length, 3);
  });
});

describe('parseTraceparent', () => {
  const cases: Array<[string | undefined, boolean]> = [
    [`00-${TRACE_ID}-${CALLER_SPAN}-01`, true],
    [`01-${TRACE_ID}-${CALLER_SPAN}-01-future`, true],
    [`00-${TRACE_ID}-${CALLER_SPAN}-01-extra`, false],
    [`ff-${TRACE_ID}-${CALLER_SPAN}-01`, false],
    [`00-${'0'.repeat(32)}-${CALLER_SPAN}-01`, false],
    [`00-${TRACE_ID}-${'0'.repeat(16)}-01`, false],
    [`00-${TRACE_ID.toUpperCase()}-${CALLER_SPAN}-01`, false],
    ['garbage', false],
    [undefined, false],
  ];
  for (const [header, valid] of cases) {
    test(`${header} → ${valid ? 'ids' : 'none'}`, () => {
      assert.equal(parseTraceparent(header) !== undefined, valid);
    });
  }
});
