// Renders the bench's rows as the text table printed at the end of a run (also pasted into
// docs/performance.md). Pure: rows in, string out.
import { ratio } from './stats.mjs';
import { SHOWN_WINDOWS } from './trace-table-micro.mjs';

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
  return checks.map((c) => `${c.pass ? 'PASS' : 'MISS'}  ${c.name}: ${fixed(c.value, 3)} (target ${c.bound})${c.note ? `; ${c.note}` : ''}`).join('\n');
}

/** The interleaved rounds' summary (see summarizeRounds), one line per path and one for the difference. */
export function renderRounds(summary, labels = ['direct', 'colormesh 2 sidecars']) {
  if (summary.error) return `interleaved rounds FAILED: ${summary.error}`;
  const pair = (s) => `p50 ${ms(s.p50)} ms, p99 ${ms(s.p99)} ms`;
  const signed = (us) => `${us >= 0 ? '+' : ''}${ms(us)}`;
  return [
    `latency at the rate, median of ${summary.rounds} interleaved rounds:`,
    `  ${labels[0]}: ${pair(summary.reference)}`,
    `  ${labels[1]}: ${pair(summary.measured)}`,
    `  added (median of per-round differences): p50 ${signed(summary.addedUs.p50)} ms, p99 ${signed(summary.addedUs.p99)} ms`,
  ].join('\n');
}

/** The micro-benchmarks' summary (bench/micro.mjs's JSON). */
export function renderMicro(micro) {
  if (micro.error) return `micro-benchmarks FAILED: ${micro.error}`;
  const lines = ['micro-benchmarks (one CPU):'];
  for (const [lb, d] of Object.entries(micro.decision ?? {})) {
    lines.push(`  route decision + pick, ${lb}: ${d.ns2.toFixed(0)} ns with 2 endpoints, ${d.ns500.toFixed(0)} ns with 500 (x${d.ratio500to2.toFixed(2)})`);
  }
  if (micro.coreError) lines.push(`  route decision and rule-file load FAILED: ${micro.coreError}`);
  const l = micro.load;
  if (l) lines.push(`  rule file ${l.services} services x 50 endpoints (${(l.bytes / 1e6).toFixed(1)} MB): load+validate ${l.coldMs.toFixed(0)} ms cold, ${l.medianMs.toFixed(0)} ms warm`);
  if (micro.traceTable) lines.push(renderTraceTable(micro.traceTable));
  for (const [variant, bySample] of Object.entries(micro.headerStrip ?? {})) {
    lines.push(`  hop-by-hop strip, ${variant}: ${Object.entries(bySample).map(([sample, ns]) => `${sample} ${fixed(ns, 0)} ns`).join(', ')}`);
  }
  return lines.join('\n');
}

/** ns per set + get by inserts so far, one row per design; flat rows are what issue 9 asks for. */
export function renderTraceTable(t) {
  const head = ['design', ...SHOWN_WINDOWS.map(([label]) => label), 'past full / filling'];
  const rows = Object.entries(t.designs).map(([name, d]) => {
    if (d.error) return [name, `FAILED: ${d.error}`];
    const shown = SHOWN_WINDOWS.map(([, w]) => d.ns[w]);
    return [name, ...shown.map((v) => fixed(v, 0)), `x${fixed(d.pastOverFilling, 2)}`];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.filter((r) => r.length > 2).map((r) => String(r[i]).length)));
  const line = (cells) => `  | ${cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(' | ')} |`;
  return [
    `  trace table, ns per set + get by inserts so far (capacity ${t.capacity.toLocaleString('en-US')}, windows of ${t.window.toLocaleString('en-US')}, median of ${t.passes} passes):`,
    line(head),
    ...rows.map((r) => (r.length > 2 ? line(r) : `  | ${r[0]} | ${r[1]} |`)),
    `  fastest of the ${t.passes} passes per window, median over the windows while filling (10-100k) and past capacity (100-300k):`,
    ...Object.entries(t.designs).filter(([, d]) => d.best).map(([name, d]) => `    ${name}: ${fixed(d.best.fillingNs, 0)} ns filling, ${fixed(d.best.pastCapacityNs, 0)} ns past capacity; heap held at the end ${fixed(d.heapMbAtEnd, 1)} MB (${d.sizeAtEnd.toLocaleString('en-US')} entries)`),
  ].join('\n');
}

/** bench/module-cost.mjs's table: what importing each module adds to a fresh Node process. */
export function renderModuleCost(m) {
  const head = ['module', 'RSS MB', 'heap MB', 'import ms', 'idle sidecar loads it'];
  const rows = m.modules.map((r) => (r.error ? [r.name, `FAILED: ${r.error}`] : [
    r.name, fixed(r.rssMb, 1), fixed(r.heapMb, 1), fixed(r.importMs, 0), r.loadedBySidecar === undefined ? '?' : r.loadedBySidecar ? 'yes' : 'no',
  ]));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.filter((r) => r.length > 2).map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(' | ')} |`;
  return [
    `RSS per module: added to a fresh Node ${m.node} process (baseline ${fixed(m.baseline.rssMb, 1)} MB RSS, ${fixed(m.baseline.heapMb, 1)} MB heap), median of ${m.runs} runs;`,
    'modules share dependencies, so the rows overlap and do not add up.',
    line(head),
    line(head.map((h, i) => (i === 0 ? '-'.repeat(widths[i]) : `${'-'.repeat(widths[i] - 1)}:`))),
    ...rows.map((r) => (r.length > 2 ? line(r) : `| ${r[0]} | ${r[1]} |`)),
    m.sidecar?.error ? `idle sidecar FAILED: ${m.sidecar.error}`
      : `an idle sidecar (colormesh run, one request served each way): ${fixed(m.sidecar?.rssMb, 1)} MB RSS; npm packages it loaded: ${m.sidecar?.packages?.join(', ')}`,
  ].join('\n');
}
