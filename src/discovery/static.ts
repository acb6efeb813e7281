// Static discovery: the endpoints written in the rule file, reported once.
// A reload that edits them gives a new discovery config, so the registry replaces the source
// instead of this one ever changing.
import type { StaticEndpoint } from '../core/types.js';
import type { DiscoveredEndpoint, DiscoverySource, DiscoveryUpdate } from './source.js';

export class StaticDiscovery implements DiscoverySource {
  private readonly endpoints: readonly DiscoveredEndpoint[];
  private stopped = false;

  constructor(endpoints: readonly StaticEndpoint[]) {
    // Lower-cased once here, like every source does, so colors compare as plain strings later.
    this.endpoints = Object.freeze(
      endpoints.map((e): DiscoveredEndpoint => ({ address: e.address, color: lowerCaseColor(e.color), healthy: true })),
    );
  }

  start(onUpdate: (update: DiscoveryUpdate) => void): void {
    if (this.stopped) return;
    onUpdate({ kind: 'reset', endpoints: this.endpoints });
  }

  stop(): void {
    this.stopped = true;
  }
}

/**
 * Shared by all sources: lower-case, and treat an empty value as "no color". Only that: validity
 * (SPEC 1) is checked once, for every source alike, by the registry with the core's normalizeColor.
 */
export function lowerCaseColor(color: string | undefined): string | undefined {
  if (color === undefined) return undefined;
  const lower = color.trim().toLowerCase();
  return lower === '' ? undefined : lower;
}
