// The access log of a real sidecar: trace ids on every line, the level switched through the admin
// endpoint, and credentials sent through the proxy never written, even at debug.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { Sidecar } from '../../src/sidecar.js';
import { startTelemetry, type Telemetry } from '../../src/telemetry/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { request, rules, sidecar, sleep, startEcho, type EchoServer } from '../support/mesh.js';

const TRACE_ID = '1af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN = 'c7ad6b7169203331';

describe('access log of a real sidecar', () => {
  let raw = '';
  const lines: Array<Record<string, unknown>> = [];
  let telemetry: Telemetry;
  let app: EchoServer;
  let sc: Sidecar;

  before(async () => {
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        raw += chunk.toString('utf8');
        for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const logger = createLogger({ level: 'info', sync: true, destination });
    telemetry = await startTelemetry({ service: 'frontend', color: 'blue', logger, processMetrics: false, env: {} });
    app = await startEcho('app', (_req, res) => {
      res.writeHead(200, { 'set-cookie': 'session=s3cr3t-from-app; HttpOnly', 'content-type': 'text/plain' });
      res.end('ok');
    });
    sc = await sidecar({ rules: rules('services: {}\n'), service: 'frontend', appPort: app.port, logger, setLogLevel: telemetry.setLogLevel });
  });
  after(async () => {
    await sc.drain();
    await app.close();
    await telemetry.shutdown();
  });

  const accessLines = (): Array<Record<string, unknown>> => lines.filter((line) => line['type'] === 'access');
  async function accessLinesAtLeast(count: number): Promise<Array<Record<string, unknown>>> {
    for (let i = 0; i < 100 && accessLines().length < count; i++) await sleep(10);
    return accessLines();
  }
  const send = (): Promise<number> =>
    request(sc.ports.inbound as number, {
      path: '/account',
      headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01`, authorization: 'Bearer s3cr3t-token', cookie: 'sid=s3cr3t-cookie', 'x-request-id': 'req-1' },
    }).then((reply) => reply.status);

  test('info: one line with the trace ids and no headers', async () => {
    assert.equal(await send(), 200);
    const [line] = await accessLinesAtLeast(1);
    assert.equal(line?.['trace_id'], TRACE_ID);
    assert.equal(line?.['span_id'], CALLER_SPAN, 'tracing is off: the caller\'s span');
    assert.equal(line?.['requestHeaders'], undefined);
  });

  test('PUT /log-level?level=debug on the admin port adds headers, with the secrets redacted', async () => {
    const changed = await request(sc.ports.admin, { method: 'PUT', path: '/log-level?level=debug' });
    assert.equal(changed.status, 200);
    const refused = await request(sc.ports.admin, { method: 'PUT', path: '/log-level?level=loud' });
    assert.equal(refused.status, 400);
    assert.equal((await request(sc.ports.admin, { path: '/log-level' })).json.level, 'debug');
    const before = accessLines().length;
    assert.equal(await send(), 200);
    const line = (await accessLinesAtLeast(before + 1))[before];
    const requestHeaders = line?.['requestHeaders'] as Record<string, unknown>;
    const responseHeaders = line?.['responseHeaders'] as Record<string, unknown>;
    assert.equal(requestHeaders['x-request-id'], 'req-1');
    assert.equal(requestHeaders['authorization'], '[redacted]');
    assert.equal(requestHeaders['cookie'], '[redacted]');
    assert.equal(responseHeaders['set-cookie'], '[redacted]');
    assert.doesNotMatch(raw, /s3cr3t/, 'no secret anywhere in the output');
  });
});
