// The rollout's plan (flags → steps, lanes, weights) and its run against an in-memory store, a scripted
// scraper and a virtual clock: promotion, rollback on the first failed sample, no traffic, signals,
// unreachable metrics, and a concurrent edit that stops everything.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseRules } from '../../src/config/load.js';
import { parseDuration, parseSteps, PlanError, resolveLanes, samplePeriodMs, weightsAt, rollbackWeights, colorsBetween } from '../../src/release/plan.js';
import { EXIT, runRollout, abortRollout, type RolloutIo } from '../../src/release/rollout.js';
import { contentVersion, RulesConflictError, type RulesStore } from '../../src/release/rules-store.js';
import { readSplitWeights } from '../../src/release/split-edit.js';
import { ScrapeError, type Scraper } from '../../src/release/scrape.js';
import type { Reading } from '../../src/release/lane-figures.js';

const RULES = `# kept as is
version: 1
colors: [blue, green, red]
ingress:
  entrypoints: [frontend]
  split:
    weights: { blue: 90, green: 0, red: 10 }   # red: internal testers
services:
  frontend:
    endpoints: [{ address: "127.0.0.1:9001" }]
`;

describe('plan', () => {
  test('durations', () => {
    assert.equal(parseDuration('interval', '60s'), 60_000);
    assert.equal(parseDuration('interval', '250ms'), 250);
    assert.equal(parseDuration('interval', '2m'), 120_000);
    assert.equal(parseDuration('interval', '1.5s'), 1500);
    for (const bad of ['60', '1h', '', 's', '-1s', '0ms']) assert.throws(() => parseDuration('interval', bad), PlanError, bad);
  });

  test('steps must increase and end at 100', () => {
    assert.deepEqual(parseSteps('10,25,50,100'), [10, 25, 50, 100]);
    assert.deepEqual(parseSteps('100'), [100]);
    assert.throws(() => parseSteps('10,50'), /last share must be 100/);
    assert.throws(() => parseSteps('50,25,100'), /must increase/);
    assert.throws(() => parseSteps('10,10,100'), /must increase/);
    assert.throws(() => parseSteps('0,100'), /not a share/);
    assert.throws(() => parseSteps('10,abc,100'), /not a share/);
    assert.throws(() => parseSteps('10,150'), /not a share/);
  });

  test('lanes: --from defaults to the largest weight; S is kept; other colors untouched', () => {
    const rules = parseRules(RULES, 'r.yaml');
    const lanes = resolveLanes(rules, readSplitWeights(RULES), 'green', undefined);
    assert.deepEqual({ from: lanes.from, to: lanes.to, sum: lanes.sum }, { from: 'blue', to: 'green', sum: 90 });
    assert.deepEqual(weightsAt(lanes, 10), { blue: 81, green: 9 });
    assert.deepEqual(weightsAt(lanes, 25), { blue: 67, green: 23 });
    assert.deepEqual(weightsAt(lanes, 100), { blue: 0, green: 90 });
    assert.deepEqual(rollbackWeights(lanes), { blue: 90, green: 0 });
    assert.deepEqual(colorsBetween(readSplitWeights(RULES), lanes), []);
    assert.deepEqual(colorsBetween(readSplitWeights(RULES), resolveLanes(rules, readSplitWeights(RULES), 'red', 'green')), []);
  });

  test('bad colors are refused with what the rules know', () => {
    const rules = parseRules(RULES, 'r.yaml');
    const weights = readSplitWeights(RULES);
    assert.throws(() => resolveLanes(rules, weights, undefined, undefined), /--to COLOR is required/);
    assert.throws(() => resolveLanes(rules, weights, 'purple', undefined), /unknown color "purple" \(the rules know: blue, green, red\)/);
    assert.throws(() => resolveLanes(rules, weights, 'Not Valid', undefined), /not a valid color/);
    assert.throws(() => resolveLanes(rules, weights, 'green', 'green'), /both "green"/);
    assert.throws(() => resolveLanes(rules, weights, 'green', 'yellow'), /no weight/);
  });

  test('sampling: at least every 5 s and 4 times per step', () => {
    assert.equal(samplePeriodMs(60_000), 5000);
    assert.equal(samplePeriodMs(8_000), 2000);
    assert.equal(samplePeriodMs(3_000), 750);
  });
});

/** An in-memory store whose version is a content hash, like a file. */
class MemoryStore implements RulesStore {
  writes: string[] = [];
  constructor(public text: string) {}
  describe(): string {
    return 'memory';
  }
  async read() {
    return { text: this.text, version: contentVersion(this.text) };
  }
  async write(text: string, expected: string) {
    if (contentVersion(this.text) !== expected) throw new RulesConflictError('changed');
    this.text = text;
    this.writes.push(text);
    return { version: contentVersion(text) };
  }
}

/** Counters that grow by `perSample(n)` green requests (and errors) each time they are read. */
function scripted(perSample: (n: number) => { requests: number; errors: number } | Error): Scraper {
  let n = 0;
  let requests = 0;
  let errors = 0;
  return {
    describe: () => 'scripted',
    async read(): Promise<Reading> {
      const step = perSample(n++);
      if (step instanceof Error) throw step;
      requests += step.requests;
      errors += step.errors;
      const labels = { direction: 'inbound', service: 'frontend', color: 'green', via: 'none' };
      return new Map([
        ['x', [
          { name: 'colormesh_requests_total', labels: { ...labels, status_class: '2xx' }, value: requests - errors },
          { name: 'colormesh_requests_total', labels: { ...labels, status_class: '5xx' }, value: errors },
        ]],
      ]);
    },
  };
}

function fakeIo(signalAtSample?: { n: number; signal: NodeJS.Signals }): RolloutIo & { lines: string[]; errs: string[] } {
  let clock = 0;
  let sleeps = 0;
  let signal: NodeJS.Signals | undefined;
  const lines: string[] = [];
  const errs: string[] = [];
  return {
    lines,
    errs,
    out: (l) => void lines.push(l),
    err: (l) => void errs.push(l),
    now: () => clock,
    interrupted: () => signal,
    sleep: async (ms) => {
      clock += ms;
      if (signalAtSample !== undefined && ++sleeps === signalAtSample.n) signal = signalAtSample.signal;
    },
  };
}

async function run(scraper: Scraper, io = fakeIo(), store = new MemoryStore(RULES)) {
  const rules = parseRules(store.text, 'r.yaml');
  const lanes = resolveLanes(rules, readSplitWeights(store.text), 'green', undefined);
  const code = await runRollout(
    { store, scraper, lanes, steps: [10, 50, 100], intervalMs: 8000, thresholds: { maxErrorRatePct: 1, maxP99Ms: undefined, minRequests: 20 }, baseVersion: contentVersion(store.text) },
    io,
  );
  return { code, io, store, weights: readSplitWeights(store.text) };
}

describe('runRollout', () => {
  test('healthy: every step passes after 4 samples; exit 0 with the candidate at 100 %', async () => {
    const { code, io, store, weights } = await run(scripted(() => ({ requests: 50, errors: 0 })));
    assert.equal(code, EXIT.promoted);
    assert.deepEqual(weights, { blue: 0, green: 90, red: 10 });
    assert.equal(store.writes.length, 3);
    assert.equal(io.lines.length, 12);
    assert.equal(io.lines.filter((l) => l.endsWith('| step passed | ok')).length, 3);
    // 50 requests per sample is past --min-requests 20: every sample is judged, and healthy.
    assert.ok(io.lines.every((l) => /\| ok$/.test(l)), io.lines.join('\n'));
    // Everything but the weights is byte for byte what it was.
    assert.equal(store.text, RULES.replace('{ blue: 90, green: 0, red: 10 }', '{ blue: 0, green: 90, red: 10 }'));
  });

  test('the first failing sample rolls back at once: exit 1, candidate at 0', async () => {
    const { code, io, store, weights } = await run(scripted((n) => (n < 3 ? { requests: 50, errors: 0 } : { requests: 50, errors: 10 })));
    assert.equal(code, EXIT.rolledBack);
    assert.deepEqual(weights, { blue: 90, green: 0, red: 10 });
    assert.equal(store.text, RULES);
    assert.match(io.lines.at(-1) as string, /\| failed: 5xx .* > 1\.0%/);
    assert.match(io.errs.at(-1) as string, /^rolled back/);
  });

  test('too little traffic: the step runs on for 3 intervals, then fails "no traffic to judge"', async () => {
    const { code, io } = await run(scripted(() => ({ requests: 1, errors: 0 })));
    assert.equal(code, EXIT.rolledBack);
    assert.equal(io.lines.length, 12); // 3 intervals × 4 samples
    assert.ok(io.lines.slice(0, -1).every((l) => / of 20 requests needed \| waiting$/.test(l)), io.lines.join('\n'));
    assert.match(io.lines.at(-1) as string, /failed: no traffic to judge/);
  });

  test('an unreachable metrics URL fails the step, naming it, and rolls back', async () => {
    const { code, io, weights } = await run(scripted((n) => (n === 2 ? new ScrapeError('http://127.0.0.1:1/metrics', 'ECONNREFUSED') : { requests: 50, errors: 0 })));
    assert.equal(code, EXIT.rolledBack);
    assert.match(io.lines.at(-1) as string, /failed: cannot scrape http:\/\/127\.0\.0\.1:1\/metrics: ECONNREFUSED/);
    assert.equal(weights['green'], 0);
  });

  for (const [signal, exit] of [['SIGINT', EXIT.sigint], ['SIGTERM', EXIT.sigterm]] as const) {
    test(`${signal} rolls back and exits ${exit}`, async () => {
      const { code, weights } = await run(scripted(() => ({ requests: 50, errors: 0 })), fakeIo({ n: 6, signal }));
      assert.equal(code, exit);
      assert.equal(weights['green'], 0);
    });
  }

  test('a concurrent edit: exit 3, their text kept, nothing more written', async () => {
    const store = new MemoryStore(RULES);
    let reads = 0;
    const scraper = scripted(() => {
      if (++reads === 3) store.text = store.text + '# someone else\n';
      return { requests: 50, errors: 0 };
    });
    const writesBefore = store.writes.length;
    const { code } = await run(scraper, fakeIo(), store);
    assert.equal(code, EXIT.conflict);
    assert.equal(store.writes.length - writesBefore, 1, 'only the first step was written');
    assert.ok(store.text.endsWith('# someone else\n'));
  });

  test('--abort sets the candidate to 0 and keeps the rest', async () => {
    const store = new MemoryStore(RULES.replace('green: 0,', 'green: 30,').replace('blue: 90', 'blue: 60'));
    const rules = parseRules(store.text, 'r.yaml');
    const lanes = resolveLanes(rules, readSplitWeights(store.text), 'green', 'blue');
    const io = fakeIo();
    assert.equal(await abortRollout(store, lanes, io), EXIT.promoted);
    assert.deepEqual(readSplitWeights(store.text), { blue: 90, green: 0, red: 10 });
    assert.match(io.lines[0] as string, /ok$/);
  });
});
