// Small builders shared by the discovery tests: a service rule around a discovery config, and a logger that records.
import type { DiscoveryConfig, ServiceRule } from '../../src/core/types.js';
import type { DiscoveryContext, DiscoveryLogger } from '../../src/discovery/source.js';

export function serviceRule(discovery: DiscoveryConfig, overrides: Partial<ServiceRule> = {}): ServiceRule {
  return {
    name: 'base-service',
    port: 8080,
    force: false,
    loadBalancer: 'round-robin',
    timeoutMs: 15000,
    retries: 2,
    discovery,
    ...overrides,
  };
}

export interface LogLine {
  readonly level: 'warn' | 'info';
  readonly obj: object;
  readonly msg: string;
}

/** Keeps log lines in memory so tests can assert that a failure was logged (and how often). */
export class RecordingLogger implements DiscoveryLogger {
  readonly lines: LogLine[] = [];
  warn(obj: object, msg: string): void {
    this.lines.push({ level: 'warn', obj, msg });
  }
  info(obj: object, msg: string): void {
    this.lines.push({ level: 'info', obj, msg });
  }
  warnings(): LogLine[] {
    return this.lines.filter((l) => l.level === 'warn');
  }
}

export function context(logger: DiscoveryLogger = new RecordingLogger()): DiscoveryContext {
  return { logger };
}
