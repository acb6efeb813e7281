// The webhook's HTTPS server. Endpoints:
//   POST /mutate              AdmissionReview for pods of opted-in namespaces: inject unless opted out
//   POST /mutate/pod-opt-in   AdmissionReview for other pods: inject only if the pod asks for it
//   GET  /healthz             200 "ok" (liveness and readiness)
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InjectOptions } from '../inject/options.js';
import type { Logger } from '../telemetry/logger.js';
import { MalformedReviewError, admit, allowWithWarning, parseReview, type AdmissionPolicy } from './admission.js';
import { loadKeyPairSync, watchKeyPair, type TlsFiles } from './tls-files.js';

/** The API server caps objects at about 1.5 MiB; a review carries the object (and for updates two). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface WebhookOptions extends TlsFiles {
  port: number;
  host?: string;
  inject: InjectOptions;
  reloadIntervalMs: number;
  logger: Logger;
}

export interface Webhook {
  server: https.Server;
  port: number;
  close(): Promise<void>;
}

const ROUTES: Readonly<Record<string, AdmissionPolicy>> = {
  '/mutate': { requirePodOptIn: false },
  '/mutate/pod-opt-in': { requirePodOptIn: true },
};

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function tooLarge(req: IncomingMessage, res: ServerResponse, limit: number): void {
  // Answer first, then drop the connection rather than read the rest of an oversized body.
  res.setHeader('connection', 'close');
  res.on('finish', () => req.destroy());
  reply(res, 413, `request body larger than ${limit} bytes\n`);
}

/** Reads the body up to `limit` bytes; undefined if it was larger (the caller has already answered). */
function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > limit) {
      tooLarge(req, res, limit);
      resolve(undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      tooLarge(req, res, limit);
      resolve(undefined);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function handle(options: WebhookOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) return reply(res, 200, 'ok\n');
  const policy = ROUTES[path];
  if (policy === undefined) return reply(res, 404, 'not found\n');
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    return reply(res, 405, 'use POST\n');
  }
  const body = await readBody(req, res, MAX_BODY_BYTES);
  if (body === undefined) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    options.logger.warn({ path }, 'admission request body is not JSON');
    return reply(res, 400, 'request body is not JSON\n');
  }
  try {
    const decision = admit(parsed, options.inject, policy);
    options.logger.info({ pod: decision.pod, uid: decision.review.response.uid, outcome: decision.outcome }, 'admission review');
    reply(res, 200, decision.review);
  } catch (err) {
    if (err instanceof MalformedReviewError) {
      options.logger.warn({ path, err: err.message }, 'malformed admission review');
      return reply(res, 400, `malformed AdmissionReview: ${err.message}\n`);
    }
    // A bug outside the injection itself: still never block the pod.
    const { uid } = parseReview(parsed);
    options.logger.error({ uid, err: (err as Error).message }, 'admission review failed; pod allowed unchanged');
    reply(res, 200, allowWithWarning(uid, `colormesh: sidecar not injected: internal error: ${(err as Error).message}`));
  }
}

export async function startWebhook(options: WebhookOptions): Promise<Webhook> {
  const keyPair = loadKeyPairSync(options);
  const server = https.createServer({ ...keyPair, minVersion: 'TLSv1.2', requestTimeout: 10_000, headersTimeout: 5_000 }, (req, res) => {
    handle(options, req, res).catch((err: unknown) => {
      // admit() never throws for injection problems; reaching here is a bug, and the API server's
      // failurePolicy (Ignore) lets the pod through.
      options.logger.error({ err: (err as Error).message }, 'webhook request failed');
      if (!res.headersSent) reply(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  server.on('tlsClientError', (err) => options.logger.debug({ err: err.message }, 'TLS handshake failed'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const stopWatching = watchKeyPair(server, options, keyPair, options.reloadIntervalMs, options.logger);
  const port = (server.address() as AddressInfo).port;
  options.logger.info({ port, cert: options.certPath }, 'webhook listening');
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        stopWatching();
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
