// The rules watcher on a real directory: rewrites, invalid writes (last good kept), and a ConfigMap-style symlink swap.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { mkdtempSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { ConfigError, loadRulesFile } from '../../src/config/load.js';
import { RulesWatcher } from '../../src/config/watch.js';
import type { Rules } from '../../src/core/types.js';
import type { ReloadEvent } from '../../src/events.js';

/** Write-then-rename, as editors and the kubelet do, so the watcher never sees a half-written file. */
function writeAtomically(path: string, text: string): void {
  writeFileSync(path + '.tmp', text);
  renameSync(path + '.tmp', path);
}

function ruleFile(version: number, port: number): string {
  return `version: ${version}\nservices:\n  base-service:\n    port: ${port}\n    endpoints:\n      - { address: "127.0.0.1:9101", color: blue }\n`;
}

/**
 * Waits for one event, failing the test instead of hanging when it never comes. The watcher's own timers and
 * fs.watch handle are unref'd (they must not keep a sidecar alive), so this ref'd timer keeps the test running.
 */
async function next<T>(watcher: RulesWatcher, event: 'change' | 'invalid', timeoutMs = 5000): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no '${event}' event within ${timeoutMs} ms`)), timeoutMs);
  try {
    const [value] = (await once(watcher, event, { signal: controller.signal })) as [T];
    return value;
  } finally {
    clearTimeout(timer);
  }
}

describe('RulesWatcher', () => {
  let dir: string;
  let watcher: RulesWatcher | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'colormesh-watch-'));
  });
  afterEach(() => {
    watcher?.stop();
    watcher = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  function startWatching(path: string, pollMs = 60_000): RulesWatcher {
    // A long poll interval so these tests prove the fs.watch path; the poll test below sets its own.
    watcher = new RulesWatcher(path, loadRulesFile(path), { debounceMs: 20, pollMs });
    watcher.start();
    return watcher;
  }

  test('a rewrite of the file swaps in the new rules and emits change', async () => {
    const path = join(dir, 'rules.yaml');
    writeFileSync(path, ruleFile(1, 8080));
    const w = startWatching(path);
    const before = w.current;
    const changed = next<Rules>(w, 'change');
    writeFileSync(path, ruleFile(2, 9090));
    const rules = await changed;
    assert.equal(rules.version, 2);
    assert.equal(rules.services.get('base-service')?.port, 9090);
    assert.equal(w.current, rules);
    assert.notEqual(w.current.hash, before.hash);
    // the old snapshot is untouched: requests that started on it finish on it
    assert.equal(before.services.get('base-service')?.port, 8080);
    assert.equal(w.lastError, undefined);
  });

  test('an invalid write emits invalid, keeps the last good rules, and a fix clears the error', async () => {
    const path = join(dir, 'rules.yaml');
    writeFileSync(path, ruleFile(1, 8080));
    const w = startWatching(path);
    const good = w.current;
    const reloads: ReloadEvent[] = [];
    const onReload = (event: unknown): void => void reloads.push(event as ReloadEvent);
    diagnostics_channel.subscribe('colormesh:config:reload', onReload);
    try {
      const invalid = next<ConfigError>(w, 'invalid');
      writeAtomically(path, ruleFile(2, 8080).replace('    port:', '    forse: true\n    port:'));
      const err = await invalid;
      assert.ok(err instanceof ConfigError);
      assert.equal(err.problems[0]?.line, 4);
      assert.equal(err.problems[0]?.path, 'services.base-service.forse');
      assert.equal(w.current, good);
      assert.match(w.lastError?.message ?? '', /rules\.yaml:4:5: services\.base-service\.forse: unknown key/);
      assert.ok(!Number.isNaN(Date.parse(w.lastError?.at ?? '')));
      assert.deepEqual(reloads.at(-1), { result: 'failure', source: path, hash: good.hash, version: 1, error: err.message });

      const changed = next<Rules>(w, 'change');
      writeFileSync(path, ruleFile(3, 8080));
      const fixed = await changed;
      assert.equal(fixed.version, 3);
      assert.equal(w.lastError, undefined);
      assert.deepEqual(reloads.at(-1), { result: 'success', source: path, hash: fixed.hash, version: 3, error: undefined });
    } finally {
      diagnostics_channel.unsubscribe('colormesh:config:reload', onReload);
    }
  });

  test('a ConfigMap-style ..data symlink swap is picked up', async () => {
    // The kubelet's layout: rules.yaml -> ..data/rules.yaml, ..data -> ..v1; an update writes ..v2, points a
    // new ..data_tmp symlink at it and renames that over ..data (an atomic swap of the whole directory).
    mkdirSync(join(dir, '..v1'));
    writeFileSync(join(dir, '..v1', 'rules.yaml'), ruleFile(1, 8080));
    symlinkSync('..v1', join(dir, '..data'));
    symlinkSync(join('..data', 'rules.yaml'), join(dir, 'rules.yaml'));
    const w = startWatching(join(dir, 'rules.yaml'));
    assert.equal(w.current.version, 1);

    const changed = next<Rules>(w, 'change');
    mkdirSync(join(dir, '..v2'));
    writeFileSync(join(dir, '..v2', 'rules.yaml'), ruleFile(2, 9090));
    symlinkSync('..v2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    rmSync(join(dir, '..v1'), { recursive: true });
    const rules = await changed;
    assert.equal(rules.version, 2);
    assert.equal(w.current.services.get('base-service')?.port, 9090);
  });

  test('the poll fallback picks up a change without any fs.watch event', async () => {
    const path = join(dir, 'rules.yaml');
    writeFileSync(path, ruleFile(1, 8080));
    watcher = new RulesWatcher(path, loadRulesFile(path), { debounceMs: 60_000, pollMs: 50 });
    watcher.start();
    // the debounce is far longer than the test, so only the poll can deliver this change
    const changed = next<Rules>(watcher, 'change', 3000);
    writeFileSync(path, ruleFile(7, 8080));
    assert.equal((await changed).version, 7);
  });

  test('an unchanged invalid file is reported once, not on every poll', async () => {
    const path = join(dir, 'rules.yaml');
    writeFileSync(path, ruleFile(1, 8080));
    watcher = new RulesWatcher(path, loadRulesFile(path), { debounceMs: 10, pollMs: 20 });
    let invalidCount = 0;
    watcher.on('invalid', () => invalidCount++);
    watcher.start();
    writeAtomically(path, 'services: [\n');
    await next(watcher, 'invalid');
    await new Promise((resolve) => setTimeout(resolve, 200)); // about 10 polls
    assert.equal(invalidCount, 1);
    assert.equal(watcher.current.version, 1);
  });

  test('after stop() nothing is read, swapped or emitted', async () => {
    const path = join(dir, 'rules.yaml');
    writeFileSync(path, ruleFile(1, 8080));
    const w = startWatching(path);
    let events = 0;
    w.on('change', () => events++).on('invalid', () => events++);
    w.stop();
    writeAtomically(path, ruleFile(2, 8080));
    await new Promise((resolve) => setTimeout(resolve, 150)); // several debounce periods
    await w.reload();
    assert.equal(events, 0);
    assert.equal(w.current.version, 1);
  });

  test('a deleted file keeps the last good rules; restoring the same content clears the error without a change', async () => {
    const path = join(dir, 'rules.yaml');
    writeFileSync(path, ruleFile(1, 8080));
    const w = startWatching(path);
    let changes = 0;
    w.on('change', () => changes++);
    rmSync(path);
    const err = await next<ConfigError>(w, 'invalid');
    assert.equal(err.message, `${path}: cannot read the rule file: no such file`);
    assert.equal(w.current.version, 1);
    writeFileSync(path, ruleFile(1, 8080));
    await w.reload();
    assert.equal(w.lastError, undefined);
    assert.equal(changes, 0);
  });
});
