// deploy/certs/self-signed.sh without a cluster (--no-apply): the certificate it makes is trusted
// through its CA for the webhook Service's DNS names, the CA is kept across runs, and the webhook
// serves it.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import tls from 'node:tls';
import { startWebhook } from '../../src/webhook/server.js';
import { defaultOptions } from '../../src/inject/options.js';
import { createLogger } from '../../src/telemetry/logger.js';

const SCRIPT = fileURLToPath(new URL('../../../deploy/certs/self-signed.sh', import.meta.url));
const SERVICE_DNS = 'colormesh-webhook.colormesh-system.svc';

/** Completes a TLS handshake to 127.0.0.1 as if to `servername`, trusting only `ca`. */
function handshake(port: number, ca: string, servername: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername, timeout: 10_000 }, () => {
      socket.end();
      resolve();
    });
    socket.on('error', reject);
    socket.on('timeout', () => socket.destroy(new Error('timeout')));
  });
}

describe('deploy/certs/self-signed.sh', () => {
  const dir = mkdtempSync(join(tmpdir(), 'colormesh-certs-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('makes a CA-signed serving certificate for the webhook Service, keeping the CA on re-runs', () => {
    execFileSync('bash', [SCRIPT, '--no-apply', '--out', dir], { stdio: 'pipe', timeout: 30_000 });
    const firstCa = readFileSync(join(dir, 'ca.crt'), 'utf8');
    const firstLeaf = readFileSync(join(dir, 'tls.crt'), 'utf8');
    execFileSync('bash', [SCRIPT, '--no-apply', '--out', dir], { stdio: 'pipe', timeout: 30_000 });
    assert.equal(readFileSync(join(dir, 'ca.crt'), 'utf8'), firstCa, 'the CA (and so the caBundle) must survive a renewal');
    assert.notEqual(readFileSync(join(dir, 'tls.crt'), 'utf8'), firstLeaf, 'the serving certificate is renewed');
    const sans = execFileSync('openssl', ['x509', '-in', join(dir, 'tls.crt'), '-noout', '-ext', 'subjectAltName'], { encoding: 'utf8' });
    assert.match(sans, new RegExp(`DNS:${SERVICE_DNS.replace(/\./g, '\\.')}(,|$)`, 'm'));
    assert.match(execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ca.crt'), join(dir, 'tls.crt')], { encoding: 'utf8' }), /OK/);
  });

  test('the webhook serves it, and a client trusting the CA accepts it only for the Service name', async () => {
    const webhook = await startWebhook({
      port: 0, host: '127.0.0.1', certPath: join(dir, 'tls.crt'), keyPath: join(dir, 'tls.key'), reloadIntervalMs: 60_000,
      inject: defaultOptions('ghcr.io/colormesh/colormesh:test'), logger: createLogger({ level: 'silent', sync: true }),
    });
    try {
      const ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
      await handshake(webhook.port, ca, SERVICE_DNS);
      await assert.rejects(handshake(webhook.port, ca, 'elsewhere.example'), /altnames|Hostname/);
    } finally {
      await webhook.close();
    }
  });
});
