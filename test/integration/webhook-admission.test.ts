// The webhook over real HTTPS on loopback: AdmissionReview fixtures in the API server's shape are posted
// and the responses compared with reviewed golden files (UPDATE_GOLDEN=1 rewrites them); the patch,
// applied to the original pod, must give exactly what the transformer gives.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWebhook, type Webhook } from '../../src/webhook/server.js';
import { applyPatch, type PatchOperation } from '../../src/inject/json-patch.js';
import { defaultOptions } from '../../src/inject/options.js';
import { inject } from '../../src/inject/transform.js';
import type { Json, JsonObject } from '../../src/inject/sidecar.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { makeCert, post } from '../support/webhook-tls.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/admission/', import.meta.url));
const OPTIONS = defaultOptions('ghcr.io/colormesh/colormesh:test');

/** Which endpoint each fixture is posted to: pods that opt in themselves come through /mutate/pod-opt-in. */
function pathFor(fixture: string): string {
  return fixture.includes('annotation-opt-in') || fixture.includes('no-opt-in') ? '/mutate/pod-opt-in' : '/mutate';
}

describe('webhook over HTTPS', () => {
  let dir: string;
  let tls: { cert: string; key: string };
  let webhook: Webhook;
  const logger = createLogger({ level: 'silent', sync: true });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'colormesh-webhook-'));
    tls = makeCert(dir, 'first');
    writeFileSync(join(dir, 'tls.crt'), tls.cert);
    writeFileSync(join(dir, 'tls.key'), tls.key);
    webhook = await startWebhook({ port: 0, host: '127.0.0.1', certPath: join(dir, 'tls.crt'), keyPath: join(dir, 'tls.key'), reloadIntervalMs: 100, inject: OPTIONS, logger });
  });
  after(async () => {
    await webhook.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.review.json')).map((f) => f.replace(/\.review\.json$/, ''));
  for (const fixture of fixtures) {
    test(`review ${fixture}`, async () => {
      const review = JSON.parse(readFileSync(join(FIXTURES, `${fixture}.review.json`), 'utf8')) as { request: { uid: string; object: JsonObject } };
      const reply = await post(webhook.port, tls.cert, pathFor(fixture), JSON.stringify(review));
      assert.equal(reply.status, 200, reply.body);
      const answer = JSON.parse(reply.body) as { apiVersion: string; kind: string; response: { uid: string; allowed: boolean; patch?: string; patchType?: string } };
      assert.equal(answer.apiVersion, 'admission.k8s.io/v1');
      assert.equal(answer.kind, 'AdmissionReview');
      assert.equal(answer.response.uid, review.request.uid);
      assert.equal(answer.response.allowed, true);
      // The golden file shows the patch decoded, so a reviewer can read it.
      const { patch, ...rest } = answer.response;
      const decoded = patch === undefined ? null : (JSON.parse(Buffer.from(patch, 'base64').toString('utf8')) as PatchOperation[]);
      const actual = JSON.stringify({ path: pathFor(fixture), response: rest, patch: decoded }, null, 2) + '\n';
      const goldenPath = join(FIXTURES, `${fixture}.expected.json`);
      if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(goldenPath, actual);
      assert.equal(actual, readFileSync(goldenPath, 'utf8'), `${fixture}: rerun with UPDATE_GOLDEN=1 and review the diff if intended`);

      if (decoded !== null) {
        assert.equal(answer.response.patchType, 'JSONPatch');
        const patched = applyPatch(review.request.object as Json, decoded) as JsonObject;
        const expected = inject(review.request.object, OPTIONS);
        assert.equal(expected.outcome, 'injected');
        assert.deepEqual(patched, expected.object);
        // A pod that already carries the sidecar is admitted untouched (never injected twice).
        const again = await post(webhook.port, tls.cert, '/mutate', JSON.stringify({ ...review, request: { ...review.request, object: patched } }));
        assert.equal((JSON.parse(again.body) as { response: { patch?: string } }).response.patch, undefined);
      }
    });
  }

  test('malformed reviews get 400 with a message; other methods, paths and sizes are refused', async () => {
    const cases: [string, RegExp][] = [
      ['{not json', /not JSON/],
      ['[]', /not a JSON object/],
      [JSON.stringify({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: { uid: 'u' } }), /expected apiVersion admission.k8s.io\/v1/],
      [JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), /request is missing/],
      [JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { kind: { kind: 'Pod' } } }), /uid is missing/],
    ];
    for (const [body, message] of cases) {
      const reply = await post(webhook.port, tls.cert, '/mutate', body);
      assert.equal(reply.status, 400, body);
      assert.match(reply.body, message);
    }
    assert.equal((await post(webhook.port, tls.cert, '/mutate', '', 'GET')).status, 405);
    assert.equal((await post(webhook.port, tls.cert, '/nope', '{}')).status, 404);
    assert.equal((await post(webhook.port, tls.cert, '/mutate', Buffer.alloc(5 * 1024 * 1024, 32))).status, 413);
    // Without a content-length (chunked), the limit is enforced while reading.
    assert.equal((await post(webhook.port, tls.cert, '/mutate', Buffer.alloc(5 * 1024 * 1024, 32), 'POST', { 'transfer-encoding': 'chunked' })).status, 413);
    const health = await post(webhook.port, tls.cert, '/healthz', '', 'GET');
    assert.deepEqual([health.status, health.body], [200, 'ok\n']);
  });

  test('an internal failure still allows the pod, with no patch and a warning', async () => {
    const broken = { ...OPTIONS, get resources(): never { throw new Error('resources exploded'); } };
    const failing = await startWebhook({ port: 0, host: '127.0.0.1', certPath: join(dir, 'tls.crt'), keyPath: join(dir, 'tls.key'), reloadIntervalMs: 60_000, inject: broken, logger });
    try {
      const body = readFileSync(join(FIXTURES, 'pod-create-namespace-opt-in.review.json'));
      const reply = await post(failing.port, tls.cert, '/mutate', body);
      assert.equal(reply.status, 200);
      const response = (JSON.parse(reply.body) as { response: { allowed: boolean; patch?: string; warnings?: string[] } }).response;
      assert.equal(response.allowed, true);
      assert.equal(response.patch, undefined);
      assert.match(response.warnings?.[0] ?? '', /resources exploded/);
    } finally {
      await failing.close();
    }
  });

  test('a rotated certificate is served without restarting the listener; a broken pair is ignored', async () => {
    const port = webhook.port;
    assert.equal((await post(port, tls.cert, '/healthz', '', 'GET')).peerCommonName, 'first');
    // A cert whose key does not match must not replace the working pair.
    const other = makeCert(dir, 'mismatch');
    writeFileSync(join(dir, 'tls.crt'), other.cert);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal((await post(port, tls.cert, '/healthz', '', 'GET')).peerCommonName, 'first');
    const second = makeCert(dir, 'second');
    writeFileSync(join(dir, 'tls.key'), second.key);
    writeFileSync(join(dir, 'tls.crt'), second.cert);
    const deadline = Date.now() + 5000;
    let seen = '';
    while (Date.now() < deadline) {
      seen = (await post(port, [tls.cert, second.cert], '/healthz', '', 'GET')).peerCommonName;
      if (seen === 'second') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(seen, 'second');
    assert.equal(webhook.server.listening, true);
    assert.equal(webhook.port, port);
  });
});
