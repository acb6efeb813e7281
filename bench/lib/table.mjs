// Renders the bench's rows as the text table printed at the end of a run (also pasted into
// docs/performance.md). Pure: rows in, string out.
import { ratio } from './stats.mjs';

const COLUMNS = [
  ['path', 'left'],
  ['req/s', 'right'],
  ['x nginx', 'right'],
  ['p50 ms', 'right'],
  ['p90 ms', 'right'],
  ['p99 ms', 'right'],
  ['+p99 vs direct', 'right'],
  ['CPU s/1k (sat)', 'right'],
  ['CPU s/1k (@rate)', 'right'],
  ['RSS MB @rate', 'right'],
  ['RSS MB peak', 'right'],
];

const fixed = (v, digits) => (Number.isFinite(v) ? v.toFixed(digits) : '-');
const ms = (us) => fixed(us / 1000, 3);

/** A path with two sidecars shows the sum and each process: the per-sidecar figure is what a pod pays. */
function memory(row, field) {
  const total = fixed(row[field], 0);
  return row.processes.length > 1 ? `${total} (${row.processes.map((p) => fixed(p[field], 0)).join('+')})` : total;
}

/** One table line per row; a failed path shows its error instead of numbers. */
export function tableCells(rows) {
  const nginx = rows.find((r) => r.id === 'nginx' && !r.error);
  const direct = rows.find((r) => r.id === 'direct' && !r.error);
  return rows.map((r) => {
    if (r.error) return [r.label, `FAILED: ${r.error}`];
    const added = direct && r.id !== 'direct' ? r.latency.p99 - direct.latency.p99 : NaN;
    return [
      r.label,
      Number.isFinite(r.rps) ? Math.round(r.rps).toLocaleString('en-US') : '-',
      fixed(ratio(r.rps, nginx?.rps), 2),
      ms(r.latency.p50),
      ms(r.latency.p90),
      ms(r.latency.p99),
      Number.isFinite(added) ? `${added >= 0 ? '+' : ''}${ms(added)}` : '-',
      fixed(r.cpuPer1000, 3),
      fixed(r.cpuPer1000AtRate, 3),
      memory(r, 'rssAtRateMb'),
      memory(r, 'rssPeakMb'),
    ];
  });
}

/** A Markdown table (readable as plain text in a terminal too). */
export function renderTable(rows) {
  const body = tableCells(rows);
  const widths = COLUMNS.map(([title], i) => Math.max(title.length, ...body.filter((c) => c.length > 2).map((c) => String(c[i] ?? '').length)));
  const pad = (text, i) => (COLUMNS[i][1] === 'left' ? String(text).padEnd(widths[i]) : String(text).padStart(widths[i]));
  const line = (cells) => `| ${cells.map(pad).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (COLUMNS[i][1] === 'left' ? ` ${'-'.repeat(w)} ` : ` ${'-'.repeat(w - 1)}: `)).join('|')}|`;
  const out = [line(COLUMNS.map(([title]) => title)), rule];
  for (const cells of body) out.push(cells.length > 2 ? line(cells) : `| ${cells[0]} | ${cells[1]} |`);
  return out.join('\n');
}

/** The targets section: one line per check with PASS/MISS. */
export function renderTargets(checks) {
  return checks.map((c) => `${c.pass ? 'PASS' : 'MISS'}  ${c.name}: ${fixed(c.value, 3)} (target ${c.bound})`).join('\n');
}
