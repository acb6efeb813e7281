// `colormesh webhook` as a process: starts on the given cert, answers /healthz, exits 0 on SIGTERM,
// and refuses to start (exit 1) when the cert cannot be read.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeCert, post } from '../support/webhook-tls.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

describe('colormesh webhook (process)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'colormesh-webhook-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('serves /healthz over HTTPS and stops cleanly on SIGTERM', async () => {
    const tls = makeCert(dir, 'cli');
    writeFileSync(join(dir, 'tls.crt'), tls.cert);
    writeFileSync(join(dir, 'tls.key'), tls.key);
    const child = spawn(process.execPath, [MAIN, 'webhook', '--port', '0', '--bind', '127.0.0.1', '--cert', join(dir, 'tls.crt'), '--key', join(dir, 'tls.key')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      // The "webhook listening" log line carries the port the kernel picked.
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no listening line in 10 s: ${out}`)), 10_000);
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /"port":(\d+)[^\n]*"msg":"webhook listening"/.exec(out);
          if (match) {
            clearTimeout(timer);
            resolve(Number(match[1]));
          }
        });
      });
      const health = await post(port, tls.cert, '/healthz', '', 'GET');
      assert.equal(health.status, 200);
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('exits 1 with a message when the certificate is missing', () => {
    const result = spawnSync(process.execPath, [MAIN, 'webhook', '--port', '0', '--cert', join(dir, 'absent.crt'), '--key', join(dir, 'absent.key')], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /cannot start: .*absent\.crt/);
  });
});
