// `colormesh rollout`: progressive delivery (SPEC 9). Parses and checks everything first (exit 2, nothing
// written), then hands the plan to src/release/rollout.ts and turns SIGINT/SIGTERM into a rollback.
import { PlanError, DEFAULT_STEPS, parseDuration, parseNumberFlag, parseSteps, resolveLanes, weightsAt, rollbackWeights, colorsBetween } from '../release/plan.js';
import { abortRollout, EXIT, runRollout, type RolloutIo } from '../release/rollout.js';
import { ConfigMapRulesStore, FileRulesStore, parseConfigMapRef, type RulesStore } from '../release/rules-store.js';
import { metricsScraper, prometheusScraper, type Scraper } from '../release/scrape.js';
import { readSplitWeights, SplitEditError } from '../release/split-edit.js';
import { editSplitText, InvalidRulesError, sourceName, validateRulesText } from '../release/write-split.js';
import { rolloutStatusPath, writeRolloutStatus, type RolloutState, type RolloutStatus } from '../console/rollout-status.js';
import { intFlag, parseFlags, UsageError, type FlagSpecs } from './flags.js';

const FLAGS: FlagSpecs = {
  config: { env: 'COLORMESH_CONFIG', default: '/etc/colormesh/rules.yaml' },
  configmap: { env: 'COLORMESH_CONFIGMAP' },
  to: {},
  from: {},
  steps: { default: DEFAULT_STEPS },
  interval: { default: '60s' },
  metrics: {},
  prometheus: {},
  'max-error-rate': { default: '1' },
  'max-p99-ms': {},
  'min-requests': { default: '20' },
  abort: { boolean: true },
  help: { boolean: true, short: 'h' },
};

const HELP = `usage: colormesh rollout --to COLOR [flags]

Moves users from a stable color to a candidate color in steps by rewriting ingress.split.weights, judges the
candidate lane from live metrics at every sample, and rolls back by itself when it is unhealthy.

  --config FILE            the rule file to edit (COLORMESH_CONFIG, default /etc/colormesh/rules.yaml)
  --configmap NS/NAME      or key rules.yaml of this ConfigMap, through the Kubernetes API (COLORMESH_CONFIGMAP)
  --to COLOR               the candidate color (required)
  --from COLOR             the stable color (default: the one with the largest split weight now)
  --steps LIST             the candidate's share in percent after each step (default ${DEFAULT_STEPS})
  --interval DURATION      how long each step runs before it is judged: ms, s or m (default 60s)
  --metrics URL,...        the sidecars' /metrics URLs to scrape; or
  --prometheus URL         a Prometheus server to query with PromQL instead
  --max-error-rate PCT     most 5xx in percent of the candidate lane's requests (default 1)
  --max-p99-ms MS          when set, the candidate lane's p99 latency must stay under it
  --min-requests N         candidate requests needed to judge a step (default 20); with fewer the step runs
                           on, for at most 3 intervals, then fails ("no traffic to judge")
  --abort                  set the candidate's share to 0 now and exit

Output: one line per sample on stdout, ending with its judgement: "ok" (healthy so far; "step passed | ok"
when it completes a step), "waiting" (too few requests to judge yet) or "failed: REASON".
Exit: 0 promoted (or --abort done), 1 rolled back, 2 bad input (nothing written), 3 concurrent edit of the
rules detected (nothing more written), 130 SIGINT / 143 SIGTERM (rolled back).
`;

export async function main(argv: string[]): Promise<number> {
  const { values, switches } = parseFlags(argv, FLAGS);
  if (switches['help']) {
    process.stdout.write(HELP);
    return 0;
  }
  try {
    return await rollout(argv, values, switches['abort'] === true);
  } catch (err) {
    if (err instanceof PlanError || err instanceof InvalidRulesError || err instanceof SplitEditError) throw new UsageError(err.message);
    throw err;
  }
}

async function rollout(argv: readonly string[], values: Record<string, string | undefined>, abort: boolean): Promise<number> {
  const store = storeFrom(argv, values);
  const thresholds = {
    maxErrorRatePct: parseNumberFlag('max-error-rate', values['max-error-rate'] as string, 0, 100),
    maxP99Ms: values['max-p99-ms'] === undefined ? undefined : parseNumberFlag('max-p99-ms', values['max-p99-ms'], 0.001),
    minRequests: intFlag('min-requests', values['min-requests']) as number,
  };
  const steps = parseSteps(values['steps'] as string);
  const intervalMs = parseDuration('interval', values['interval'] as string);
  if (values['metrics'] !== undefined && values['prometheus'] !== undefined) throw new PlanError('give --metrics or --prometheus, not both');
  if (!abort && values['metrics'] === undefined && values['prometheus'] === undefined) {
    throw new PlanError('where are the metrics? give --metrics URL,... (the sidecars\' /metrics) or --prometheus URL');
  }

  // Read and check the rules as they are now: valid, with a split, and every step's edit valid too.
  let current: { text: string; version: string };
  try {
    current = await store.read();
  } catch (err) {
    throw new PlanError(`cannot read the rules from ${store.describe()}: ${(err as Error).message}`);
  }
  const source = sourceName(store);
  const rules = validateRulesText(current.text, source);
  const fileWeights = readSplitWeights(current.text);
  const lanes = resolveLanes(rules, fileWeights, values['to'], values['from']);
  editSplitText(current.text, rollbackWeights(lanes), source);
  const io = processIo();
  const status = store instanceof FileRulesStore ? statusWriter(store.path, lanes.from, lanes.to, steps, intervalMs) : undefined;
  if (abort) {
    const code = await abortRollout(store, lanes, io);
    if (code === EXIT.promoted) await status?.({ step: -1, state: 'aborted' });
    return code;
  }
  if (status !== undefined) io.progress = (update) => void status(update);
  for (const share of steps) editSplitText(current.text, weightsAt(lanes, share), source);
  const scraper = scraperFrom(values, [lanes.to, lanes.from]);

  const currentShare = ((fileWeights[lanes.toKey] ?? 0) / lanes.sum) * 100;
  if ((steps[0] as number) < currentShare) {
    io.err(`warning: ${lanes.to} has ${currentShare.toFixed(1)}% now; step 1 (${steps[0]}%) moves some of its users back to ${lanes.from}`);
  }
  const between = colorsBetween(fileWeights, lanes);
  if (between.length > 0) {
    io.err(`warning: ${between.join(', ')} ${between.length === 1 ? 'sits' : 'sit'} between ${lanes.from} and ${lanes.to} in ingress.split.weights; ` +
      `sticky users of ${between.join(', ')} will shift lanes at each step (put ${lanes.to} next to ${lanes.from} to avoid it)`);
  }
  io.err(`rollout ${lanes.from} → ${lanes.to} on ${store.describe()}: steps ${steps.join(',')}% every ${values['interval']}; ` +
    `judged on ${scraper.describe()}: 5xx <= ${thresholds.maxErrorRatePct}%` +
    `${thresholds.maxP99Ms === undefined ? '' : `, p99 < ${thresholds.maxP99Ms} ms`}, at least ${thresholds.minRequests} requests`);
  return runRollout({ store, scraper, lanes, steps, intervalMs, thresholds, baseVersion: current.version }, io);
}

/**
 * The rollout status file the release console reads (docs/console.md): `F.rollout.json` beside a rule file F.
 * Best effort: a status that cannot be written never stops or changes a rollout.
 */
function statusWriter(rulesPath: string, from: string, to: string, steps: number[], intervalMs: number): (update: { step: number; state: RolloutState; reason?: string }) => Promise<void> {
  const startedAt = new Date().toISOString();
  let chain = Promise.resolve();
  return (update) => {
    const status: RolloutStatus = { from, to, steps, intervalMs, startedAt, updatedAt: new Date().toISOString(), pid: process.pid, ...update };
    // In order, one at a time: the last state written is the last state reported.
    chain = chain.then(() => writeRolloutStatus(rolloutStatusPath(rulesPath), status)).catch(() => undefined);
    return chain;
  };
}

/** --configmap (flag or env) selects the ConfigMap, unless --config was given on the command line itself. */
function storeFrom(argv: readonly string[], values: Record<string, string | undefined>): RulesStore {
  const configOnCommandLine = argv.some((a) => a === '--config' || a.startsWith('--config='));
  const configmapOnCommandLine = argv.some((a) => a === '--configmap' || a.startsWith('--configmap='));
  const ref = values['configmap'];
  if (ref !== undefined && (configmapOnCommandLine || !configOnCommandLine)) {
    if (configmapOnCommandLine && configOnCommandLine) throw new PlanError('give --config or --configmap, not both');
    const parsed = parseConfigMapRef(ref);
    if (parsed === undefined) throw new PlanError(`--configmap: "${ref}" is not NAMESPACE/NAME`);
    return new ConfigMapRulesStore(parsed.namespace, parsed.name);
  }
  return new FileRulesStore(values['config'] as string);
}

function scraperFrom(values: Record<string, string | undefined>, colors: string[]): Scraper {
  const prometheus = values['prometheus'];
  if (prometheus !== undefined) return prometheusScraper(checkUrl('prometheus', prometheus), colors);
  const urls = (values['metrics'] as string).split(',').map((u) => u.trim()).filter((u) => u !== '');
  if (urls.length === 0) throw new PlanError('--metrics: no URL given');
  // A bare sidecar address (http://10.0.0.5:15020) means its /metrics.
  return metricsScraper(urls.map((u) => {
    const url = new URL(checkUrl('metrics', u));
    return url.pathname === '/' && url.search === '' ? new URL('/metrics', url).href : u;
  }));
}

function checkUrl(flag: string, text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new PlanError(`--${flag}: "${text}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new PlanError(`--${flag}: "${text}" is not an http(s) URL`);
  return text;
}

/** Standard output and error, the clock, and SIGINT/SIGTERM turned into an interruption that wakes any sleep. */
function processIo(): RolloutIo {
  let signal: NodeJS.Signals | undefined;
  const sleepers = new Set<() => void>();
  const onSignal = (s: NodeJS.Signals): void => {
    if (signal !== undefined) return;
    signal = s;
    process.stderr.write(`\n${s}: rolling back\n`);
    for (const wake of sleepers) wake();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    out: (line) => void process.stdout.write(line + '\n'),
    err: (line) => void process.stderr.write(line + '\n'),
    now: () => Date.now(),
    interrupted: () => signal,
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        if (signal !== undefined) return resolve();
        const done = (): void => {
          clearTimeout(timer);
          sleepers.delete(done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        sleepers.add(done);
      }),
  };
}
