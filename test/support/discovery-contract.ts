// The one contract every discovery source (static, dns, kubernetes) must pass, whatever its backend.
// Each source supplies a harness that can "change the world" in its own medium; the tests here only
// see DiscoveryUpdates, so they check what the registry relies on and nothing source-specific.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DiscoveredEndpoint, DiscoverySource, DiscoveryUpdate } from '../../src/discovery/source.js';
import { UpdateRecorder, normalize, type NormalizedEndpoint } from './discovery-recorder.js';

/** Every contract endpoint listens on this port, because DNS and Kubernetes give one port per service. */
export const CONTRACT_PORT = 8080;
/** The colors the contract uses; harnesses whose config lists colors up front (dns) configure these. */
export const CONTRACT_COLORS = ['blue', 'green', 'Canary'] as const;

export interface WorldEndpoint {
  /** an IPv4 address; never connected to, only reported */
  readonly ip: string;
  readonly color?: (typeof CONTRACT_COLORS)[number];
  /** default true */
  readonly healthy?: boolean;
}

export interface DiscoveryHarness {
  /** true when a running source follows changes itself; false when a change means a new source (static) */
  readonly live: boolean;
  /** whether the backend can say an endpoint is not ready */
  readonly expressesHealth: boolean;
  /** whether the backend can fail and recover */
  readonly canFail: boolean;
  /** the longest a live source may take to notice a change */
  readonly settleMs: number;
  /** Makes the backend hold exactly these endpoints. */
  setWorld(endpoints: readonly WorldEndpoint[]): Promise<void>;
  /** A backend event that changes nothing the source reports (a reload with the same records, a resourceVersion bump). */
  touch(): Promise<void>;
  createSource(): DiscoverySource;
  breakBackend(): Promise<void>;
  /** Optional: a counter of backend requests (queries, watches) made so far, to show that stop() ends all work. */
  activity?(): number;
  repairBackend(): Promise<void>;
  close(): Promise<void>;
}

const WORLD_A: readonly WorldEndpoint[] = [
  { ip: '127.0.1.1', color: 'blue' },
  { ip: '127.0.1.2', color: 'green' },
  { ip: '127.0.1.3', color: 'Canary' },
  { ip: '127.0.1.4' },
];
/** From A: 127.0.1.2 removed, 127.0.1.5 added, 127.0.1.1 recolored blue → green. */
const WORLD_B: readonly WorldEndpoint[] = [
  { ip: '127.0.1.1', color: 'green' },
  { ip: '127.0.1.3', color: 'Canary' },
  { ip: '127.0.1.4' },
  { ip: '127.0.1.5', color: 'green' },
];

/** What a correct source reports for a world: colors lower-cased, `healthy` explicit. */
export function expected(world: readonly WorldEndpoint[]): NormalizedEndpoint[] {
  return normalize(
    world.map((w): DiscoveredEndpoint => ({ address: `${w.ip}:${CONTRACT_PORT}`, color: w.color?.toLowerCase(), healthy: w.healthy ?? true })),
  );
}

function endpointsOf(update: DiscoveryUpdate): NormalizedEndpoint[] {
  return update.kind === 'reset' ? normalize(update.endpoints) : [];
}

/** Counts of live handle/request types (timers, sockets), to show that stop() released what start() took. */
function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function runDiscoveryContract(name: string, makeHarness: () => Promise<DiscoveryHarness>, options: { skip?: string | false } = {}): void {
  describe(`discovery contract: ${name}`, { skip: options.skip ?? false }, () => {
    let harness: DiscoveryHarness;
    const started: DiscoverySource[] = [];
    const startSource = (recorder: UpdateRecorder): DiscoverySource => {
      const source = harness.createSource();
      started.push(source);
      source.start(recorder.listener);
      return source;
    };

    before(async () => {
      harness = await makeHarness();
    });
    after(async () => {
      for (const source of started) source.stop();
      await harness?.close();
    });

    test('reports the initial endpoints, with colors lower-cased and untagged ones without a color', async () => {
      await harness.setWorld(WORLD_A);
      const recorder = new UpdateRecorder();
      const source = startSource(recorder);
      const first = await recorder.next(harness.settleMs);
      source.stop();
      assert.equal(first.kind, 'reset');
      assert.deepEqual(endpointsOf(first), expected(WORLD_A));
    });

    test('reports a change (add, remove, recolor) as a complete new list', async () => {
      await harness.setWorld(WORLD_A);
      const recorder = new UpdateRecorder();
      const source = startSource(recorder);
      await recorder.waitFor((u) => equalTo(u, WORLD_A), harness.settleMs);
      await harness.setWorld(WORLD_B);
      if (harness.live) {
        await recorder.waitFor((u) => equalTo(u, WORLD_B), harness.settleMs * 3);
        // Every update is a full list: none may hold an endpoint that is in neither world.
        const allowed = new Set([...expected(WORLD_A), ...expected(WORLD_B)].map((e) => e.address));
        for (const update of recorder.updates) {
          assert.equal(update.kind, 'reset');
          for (const e of endpointsOf(update)) assert.ok(allowed.has(e.address), `unexpected ${e.address}`);
        }
      } else {
        // Not live: the old source stays silent and a source made from the new world reports it.
        const fresh = new UpdateRecorder();
        startSource(fresh);
        assert.deepEqual(endpointsOf(await fresh.next(harness.settleMs)), expected(WORLD_B));
        assert.equal(recorder.updates.length, 1);
      }
      source.stop();
    });

    test('does not repeat an unchanged list', async () => {
      await harness.setWorld(WORLD_A);
      const recorder = new UpdateRecorder();
      const source = startSource(recorder);
      await recorder.waitFor((u) => equalTo(u, WORLD_A), harness.settleMs);
      await harness.touch();
      await pause(harness.settleMs);
      source.stop();
      assert.equal(recorder.updates.length, 1, `updates: ${JSON.stringify(recorder.updates)}`);
    });

    test('an empty world reports zero endpoints (reset [] or does-not-exist)', async () => {
      await harness.setWorld([]);
      const recorder = new UpdateRecorder();
      const source = startSource(recorder);
      const first = await recorder.next(harness.settleMs);
      source.stop();
      assert.deepEqual(endpointsOf(first), []);
    });

    test('shows not-ready endpoints as healthy: false, and never invents unhealthy ones', async () => {
      const world: WorldEndpoint[] = harness.expressesHealth
        ? [{ ip: '127.0.1.1', color: 'blue' }, { ip: '127.0.1.2', color: 'blue', healthy: false }, { ip: '127.0.1.4' }]
        : [{ ip: '127.0.1.1', color: 'blue' }, { ip: '127.0.1.4' }];
      await harness.setWorld(world);
      const recorder = new UpdateRecorder();
      const source = startSource(recorder);
      const first = await recorder.next(harness.settleMs);
      source.stop();
      assert.deepEqual(endpointsOf(first), expected(world));
    });

    test('keeps the last list while the backend fails, then follows it again', async (t) => {
      if (!harness.canFail) return t.skip(`${name} has no backend that can fail`);
      await harness.setWorld(WORLD_A);
      const recorder = new UpdateRecorder();
      const source = startSource(recorder);
      await recorder.waitFor((u) => equalTo(u, WORLD_A), harness.settleMs);
      await harness.breakBackend();
      await pause(harness.settleMs * 2);
      assert.equal(recorder.updates.length, 1, `a failing backend must not change the list: ${JSON.stringify(recorder.updates)}`);
      await harness.repairBackend();
      await harness.setWorld(WORLD_B);
      await recorder.waitFor((u) => equalTo(u, WORLD_B), harness.settleMs * 4);
      source.stop();
    });

    test('stop() ends updates and releases its timers and sockets', async () => {
      await harness.setWorld(WORLD_A);
      await pause(20);
      const before = activeResources();
      const recorder = new UpdateRecorder();
      const source = harness.createSource();
      source.start(recorder.listener);
      await recorder.next(harness.settleMs);
      source.stop();
      source.stop(); // idempotent
      const countAtStop = recorder.updates.length;
      const activityAtStop = harness.activity?.();
      await harness.setWorld(WORLD_B);
      await pause(harness.settleMs * 2);
      assert.equal(recorder.updates.length, countAtStop, 'no update after stop()');
      assert.equal(harness.activity?.(), activityAtStop, 'no backend requests after stop()');
      const leaked = [...activeResources()].filter(([type, count]) => count > (before.get(type) ?? 0));
      assert.deepEqual(leaked, [], 'resources still held after stop()');
    });
  });
}

function equalTo(update: DiscoveryUpdate, world: readonly WorldEndpoint[]): boolean {
  return update.kind === 'reset' && JSON.stringify(endpointsOf(update)) === JSON.stringify(expected(world));
}
