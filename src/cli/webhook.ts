// `colormesh webhook`: the HTTPS mutating admission webhook that injects the sidecar into new pods.
import { INJECT_FLAGS, INJECT_FLAGS_HELP, injectOptionsFromFlags } from './inject-flags.js';
import { createLogger } from '../telemetry/logger.js';
import { startWebhook } from '../webhook/server.js';
import { intFlag, logLevelFlag, parseFlags, portFlag, type FlagSpecs } from './flags.js';

export const WEBHOOK_FLAGS: FlagSpecs = {
  ...INJECT_FLAGS,
  port: { env: 'COLORMESH_WEBHOOK_PORT', default: '8443' },
  bind: { env: 'COLORMESH_WEBHOOK_BIND', default: '0.0.0.0' },
  cert: { env: 'COLORMESH_WEBHOOK_CERT', default: '/etc/colormesh/webhook/tls.crt' },
  key: { env: 'COLORMESH_WEBHOOK_KEY', default: '/etc/colormesh/webhook/tls.key' },
  'reload-interval-ms': { env: 'COLORMESH_WEBHOOK_RELOAD_INTERVAL_MS', default: '5000' },
  'log-level': { env: 'COLORMESH_LOG_LEVEL', default: 'info' },
  help: { boolean: true, short: 'h' },
};

const HELP = `usage: colormesh webhook [flags]

Serves the mutating admission webhook over HTTPS: POST /mutate (pods of opted-in namespaces),
POST /mutate/pod-opt-in (pods that opt in themselves), GET /healthz. It always allows the pod;
injection problems become warnings, never rejections. The cert and key are re-read every
--reload-interval-ms and swapped in without restarting the listener.

  --port PORT                (COLORMESH_WEBHOOK_PORT, default 8443)
  --bind ADDR                (COLORMESH_WEBHOOK_BIND, default 0.0.0.0)
  --cert FILE                PEM certificate chain (COLORMESH_WEBHOOK_CERT, default /etc/colormesh/webhook/tls.crt)
  --key FILE                 PEM private key (COLORMESH_WEBHOOK_KEY, default /etc/colormesh/webhook/tls.key)
  --reload-interval-ms MS    how often to look for a new cert/key (COLORMESH_WEBHOOK_RELOAD_INTERVAL_MS, default 5000)
  --log-level LEVEL          (COLORMESH_LOG_LEVEL, default info)
${INJECT_FLAGS_HELP}`;

export async function main(argv: string[]): Promise<number> {
  const { values, switches } = parseFlags(argv, WEBHOOK_FLAGS);
  if (switches['help']) {
    process.stdout.write(HELP);
    return 0;
  }
  const inject = injectOptionsFromFlags(values);
  // Synchronous: a handful of lines per pod creation, and each should be visible at once.
  // Flags are checked before anything starts: a bad value is a usage error (exit 2), not a failed start.
  const port = portFlag('port', values['port']) as number;
  const reloadIntervalMs = intFlag('reload-interval-ms', values['reload-interval-ms'], 100) as number;
  const logger = createLogger({ level: logLevelFlag(values['log-level']), base: { component: 'webhook' }, sync: true });
  let webhook;
  try {
    webhook = await startWebhook({
      port,
      host: values['bind'] as string,
      certPath: values['cert'] as string,
      keyPath: values['key'] as string,
      reloadIntervalMs,
      inject,
      logger,
    });
  } catch (err) {
    process.stderr.write(`colormesh webhook: cannot start: ${(err as Error).message}\n`);
    return 1;
  }
  logger.info({ image: inject.image, sidecarMode: inject.sidecarMode }, 'injecting');
  // Kubernetes sends SIGTERM on rollout; finish in-flight reviews, then exit 0.
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      webhook.close().then(resolve, resolve);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  logger.info('webhook stopped');
  logger.flush();
  return 0;
}
