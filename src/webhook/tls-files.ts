// Keeps the webhook's certificate fresh: re-reads the cert and key files on an interval and swaps them
// into the running server with setSecureContext, so rotation never drops the listener.
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import type https from 'node:https';
import type { Logger } from '../telemetry/logger.js';

export interface TlsFiles {
  certPath: string;
  keyPath: string;
}

export interface KeyPair {
  cert: Buffer;
  key: Buffer;
}

/** Reads the pair and proves it usable (PEM parses, key matches cert) before anyone relies on it. */
export function loadKeyPairSync(files: TlsFiles): KeyPair {
  const pair = { cert: readFileSync(files.certPath), key: readFileSync(files.keyPath) };
  tls.createSecureContext(pair);
  return pair;
}

/**
 * Polling rather than fs.watch: Kubernetes updates a mounted Secret by swapping a `..data` symlink,
 * which inotify on the file itself does not report, while reading content always sees the new files.
 * A half-written rotation (new cert, old key) fails createSecureContext and is retried next tick.
 */
export function watchKeyPair(server: https.Server, files: TlsFiles, current: KeyPair, intervalMs: number, logger: Logger): () => void {
  let loaded = current;
  let busy = false;
  let lastError = '';
  const check = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      const next = { cert: await readFile(files.certPath), key: await readFile(files.keyPath) };
      if (next.cert.equals(loaded.cert) && next.key.equals(loaded.key)) return;
      tls.createSecureContext(next);
      server.setSecureContext(next);
      loaded = next;
      lastError = '';
      logger.info({ cert: files.certPath }, 'webhook certificate reloaded');
    } catch (err) {
      const message = (err as Error).message;
      // Log a persistent problem once, not every tick.
      if (message !== lastError) logger.warn({ err: message, cert: files.certPath }, 'webhook certificate not reloaded; keeping the previous one');
      lastError = message;
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void check(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
