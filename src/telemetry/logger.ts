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
  /** write every line synchronously (tests, short-lived commands); otherwise see stdoutDestination */
  sync?: boolean;
  /** write here instead of stdout (tests read the lines back) */
  destination?: pino.DestinationStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? process.env['COLORMESH_LOG_LEVEL'] ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new Error(`log level "${level}" is not one of ${LOG_LEVELS.join(', ')}`);
  }
  const destination = opts.destination ?? (opts.sync === true ? pino.destination({ dest: 1, sync: true }) : stdoutDestination());
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

/** How often buffered lines (access lines, info) are written out at the latest. */
export const LOG_FLUSH_INTERVAL_MS = 1000;

/** pino's numeric level for warn: this and above is written at once. */
const WARN = 40;

/**
 * stdout for a long-running proxy. Access lines arrive thousands a second, so they are buffered
 * (4 KiB or LOG_FLUSH_INTERVAL_MS, whichever comes first) to keep writes off the request path; a
 * warning or an error is rare and is what an operator is waiting for, so it goes out at once,
 * together with everything buffered before it (one stream, so lines keep their order). pino's own
 * exit hook writes what is left on exit, including after SIGTERM's drain.
 */
export function stdoutDestination(fd = 1): pino.DestinationStream {
  const boom = pino.destination({ dest: fd, sync: false, minLength: 4096, periodicFlush: LOG_FLUSH_INTERVAL_MS });
  // sonic-boom has no public "write in flight" flag; flushSync while an async write is in flight
  // could put the newer lines before the older ones, so then the urgent line follows that write.
  const inFlight = (): boolean => (boom as unknown as { _writing?: boolean })._writing === true;
  const stream = {
    // pino sets lastLevel on a stream that asks for it, just before write.
    [pino.symbols.needsMetadataGsym]: true,
    lastLevel: 0,
    write(line: string): boolean {
      const ok = boom.write(line);
      if (stream.lastLevel >= WARN) {
        if (inFlight()) boom.flush();
        else boom.flushSync();
      }
      return ok;
    },
    flush(cb?: (err?: Error) => void): void {
      boom.flush(cb);
    },
    flushSync(): void {
      boom.flushSync();
    },
    /** writes what is buffered, then closes the file descriptor (unless it is stdout or stderr) */
    end(): void {
      boom.end();
    },
  };
  return stream as unknown as pino.DestinationStream;
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
