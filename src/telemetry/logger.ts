// The process-wide pino logger: JSON lines on stdout, level from --log-level / COLORMESH_LOG_LEVEL.
import pino from 'pino';
import { LOG_LEVELS } from './log-levels.js';
import { REDACTED, pinoRedactPaths, redactedHeaderNames } from './redact.js';

export { LOG_LEVELS };

export type Logger = pino.Logger;

export interface LoggerOptions {
  level?: string | undefined;
  /** extra fields on every line, e.g. the pod's service and color */
  base?: Record<string, unknown>;
  /** write synchronously (tests, short-lived commands); the sidecar uses an async destination */
  sync?: boolean;
  /** write here instead of stdout (tests read the lines back) */
  destination?: pino.DestinationStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? process.env['COLORMESH_LOG_LEVEL'] ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new Error(`log level "${level}" is not one of ${LOG_LEVELS.join(', ')}`);
  }
  // An async destination keeps log writes off the request path; it is flushed on exit.
  const destination = opts.destination ?? pino.destination({ dest: 1, sync: opts.sync ?? false, minLength: opts.sync ? 0 : 4096 });
  return pino(
    {
      level,
      base: { pid: process.pid, ...(opts.base ?? {}) },
      timestamp: isoTimeCached,
      formatters: { level: (label) => ({ level: label }) },
      // Whoever logs a headers object, credentials and cookies never reach the output.
      redact: { paths: pinoRedactPaths(redactedHeaderNames()), censor: REDACTED },
    },
    destination,
  );
}

let lastMs = -1;
let lastField = '';

/**
 * pino's ISO timestamp, computed once per millisecond: at thousands of access lines a second most
 * lines share their millisecond, and Date#toISOString was a visible share of the request path.
 */
function isoTimeCached(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastField = `,"time":"${new Date(now).toISOString()}"`;
  }
  return lastField;
}

/** Changes the level at run time (the admin endpoint); an unknown level is an error, not a silent no-op. */
export function setLogLevel(logger: Logger, level: string): void {
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new Error(`log level "${level}" is not one of ${LOG_LEVELS.join(', ')}`);
  }
  logger.level = level;
}
