// The log levels colormesh accepts, apart from the logger so that flag parsing does not load pino.
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
