// Turns the demo's request journeys into one table per hop: requests of each color, which
// version served them, and how many fell back to a version of another color.
import { readBaggageColor } from '../../src/core/baggage.js';

export interface Hop {
  service: string;
  version: string;
  baggage: string | null;
}

export interface Journey {
  status: number;
  path: Hop[];
  error?: unknown;
}

interface Row {
  requests: number;
  servedBy: Map<string, number>;
  fellBack: number;
}

export interface Summary {
  /** service → color → row, services in the order requests visit them */
  hops: Map<string, Map<string, Row>>;
  failed: number;
  /** requests served by a version other than the one SPEC 2 says they should reach */
  laneViolations: number;
}

/** `versions` lists the versions each service runs, to know where a color should land. */
export function tally(journeys: readonly Journey[], versions: ReadonlyMap<string, readonly string[]>): Summary {
  const hops = new Map<string, Map<string, Row>>();
  let failed = 0;
  let laneViolations = 0;
  for (const j of journeys) {
    if (j.status !== 200) failed++;
    for (const hop of j.path) {
      const color = readBaggageColor(hop.baggage ?? undefined, 'color').color ?? '(none)';
      const byColor = hops.get(hop.service) ?? new Map<string, Row>();
      hops.set(hop.service, byColor);
      const row = byColor.get(color) ?? { requests: 0, servedBy: new Map<string, number>(), fellBack: 0 };
      byColor.set(color, row);
      row.requests++;
      row.servedBy.set(hop.version, (row.servedBy.get(hop.version) ?? 0) + 1);
      if (hop.version !== color && color !== '(none)') row.fellBack++;
      const available = versions.get(hop.service) ?? [];
      const expected = available.includes(color) ? color : 'untagged';
      if (available.includes(expected) && hop.version !== expected) laneViolations++;
    }
  }
  return { hops, failed, laneViolations };
}

export function renderTables(summary: Summary): string {
  const out: string[] = [];
  let n = 1;
  for (const [service, byColor] of summary.hops) {
    out.push(`hop ${n++}: ${service}`);
    out.push(`  ${'color'.padEnd(8)} ${'requests'.padStart(8)}   ${'served by version'.padEnd(34)} ${'fell back'.padStart(9)}`);
    for (const [color, row] of [...byColor].sort(([a], [b]) => a.localeCompare(b))) {
      const served = [...row.servedBy].sort(([a], [b]) => a.localeCompare(b)).map(([v, c]) => `${v}: ${c}`).join(', ');
      out.push(`  ${color.padEnd(8)} ${String(row.requests).padStart(8)}   ${served.padEnd(34)} ${String(row.fellBack).padStart(9)}`);
    }
    out.push('');
  }
  out.push(`lane violations (a request that reached a version SPEC 2 would not send it to): ${summary.laneViolations}`);
  return out.join('\n');
}
