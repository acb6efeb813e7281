// Parses the Prometheus text exposition format (what a sidecar's /metrics serves) into plain samples.
// Only what a rollout reads is kept: metric name, labels, value; comments, HELP/TYPE and timestamps are skipped.

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export class PromTextError extends Error {
  override name = 'PromTextError';
}

/**
 * Parses every sample line. A line that cannot be parsed is skipped — one odd gauge of some library must
 * not blind a rollout — unless its metric name starts with one of `required` (the series the caller
 * needs) or no line at all could be parsed (an HTML page, say): then PromTextError names the line.
 */
export function parsePromText(text: string, required: readonly string[] = []): Sample[] {
  const samples: Sample[] = [];
  let firstBad: string | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '' || line.startsWith('#')) continue;
    const sample = parseLine(line);
    if (sample !== undefined) {
      samples.push(sample);
      continue;
    }
    const bad = `line ${i + 1} is not a Prometheus sample: ${line.slice(0, 120)}`;
    if (required.some((name) => line.startsWith(name))) throw new PromTextError(bad);
    firstBad ??= bad;
  }
  if (samples.length === 0 && firstBad !== undefined) throw new PromTextError(firstBad);
  return samples;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function parseLine(line: string): Sample | undefined {
  const name = NAME.exec(line)?.[0];
  if (name === undefined) return undefined;
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    rest = rest.slice(1);
    for (;;) {
      rest = rest.trimStart();
      if (rest.startsWith('}')) {
        rest = rest.slice(1);
        break;
      }
      const labelName = LABEL_NAME.exec(rest)?.[0];
      if (labelName === undefined) return undefined;
      rest = rest.slice(labelName.length).trimStart();
      if (!rest.startsWith('="')) return undefined;
      const value = readQuoted(rest.slice(1));
      if (value === undefined) return undefined;
      labels[labelName] = value.value;
      rest = rest.slice(1 + value.length).trimStart();
      if (rest.startsWith(',')) rest = rest.slice(1);
      else if (!rest.startsWith('}')) return undefined;
    }
  }
  const fields = rest.trim().split(/\s+/);
  if (fields.length < 1 || fields.length > 2 || fields[0] === '') return undefined;
  const value = parseValue(fields[0] as string);
  if (value === undefined) return undefined;
  return { name, labels, value };
}

/** Reads `"…"` with the format's escapes (\\, \", \n); returns the value and how many characters it took. */
function readQuoted(text: string): { value: string; length: number } | undefined {
  let value = '';
  for (let i = 1; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '"') return { value, length: i + 1 };
    if (c === '\\') {
      const next = text[++i];
      value += next === 'n' ? '\n' : (next ?? '');
    } else {
      value += c;
    }
  }
  return undefined;
}

/** Go's ParseFloat, which Prometheus uses, takes NaN and Inf in any case (prom-client writes `Nan`). */
function parseValue(text: string): number | undefined {
  const lower = text.toLowerCase();
  if (lower === '+inf' || lower === 'inf' || lower === '+infinity' || lower === 'infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  if (lower === 'nan') return NaN;
  const n = Number(text);
  return Number.isNaN(n) ? undefined : n;
}

/** A stable key for a series: its name and its labels in name order. */
export function seriesKey(sample: Pick<Sample, 'name' | 'labels'>): string {
  const names = Object.keys(sample.labels).sort();
  return `${sample.name}{${names.map((n) => `${n}=${JSON.stringify(sample.labels[n])}`).join(',')}}`;
}
