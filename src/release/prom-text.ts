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

/** Parses every sample line; throws PromTextError naming the line for text that is not the exposition format. */
export function parsePromText(text: string): Sample[] {
  const samples: Sample[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '' || line.startsWith('#')) continue;
    const sample = parseLine(line);
    if (sample === undefined) throw new PromTextError(`line ${i + 1} is not a Prometheus sample: ${line.slice(0, 120)}`);
    samples.push(sample);
  }
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

function parseValue(text: string): number | undefined {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const n = Number(text);
  return Number.isNaN(n) ? undefined : n;
}

/** A stable key for a series: its name and its labels in name order. */
export function seriesKey(sample: Pick<Sample, 'name' | 'labels'>): string {
  const names = Object.keys(sample.labels).sort();
  return `${sample.name}{${names.map((n) => `${n}=${JSON.stringify(sample.labels[n])}`).join(',')}}`;
}
