// Where a rollout reads and writes the rule file: a file on disk or key `rules.yaml` of a ConfigMap. Every write
// names the version it was based on, so a concurrent edit by someone else is detected and never overwritten.
import { createHash, randomBytes } from 'node:crypto';
import { open, readFile, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { KubeConfig, V1ConfigMap } from '@kubernetes/client-node';
import { parseConfigMapFlag } from '../config/configmap-watch.js';
import { loadKubeConfigLazily } from '../config/kube-config.js';

export interface RulesStore {
  /** e.g. `file /etc/colormesh/rules.yaml` or `configmap shop/colormesh-rules`, for messages */
  describe(): string;
  read(): Promise<{ text: string; version: string }>;
  /** Replaces the text if the store still holds `expectedVersion`; throws RulesConflictError otherwise. */
  write(text: string, expectedVersion: string): Promise<{ version: string }>;
}

/** The rules changed since they were read: someone else edited them. Nothing was written. */
export class RulesConflictError extends Error {
  override name = 'RulesConflictError';
}

/** The ConfigMap key holding the rule file (SPEC 6a). */
export const CONFIGMAP_KEY = 'rules.yaml';

export function contentVersion(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/**
 * A rule file on disk. The version is a hash of its content. A write re-reads the file, checks the version,
 * then writes a temporary file in the same directory, fsyncs it and renames it over the file, so a sidecar's
 * watcher only ever reads the old or the new file whole. The file's mode is kept. Between the check and the
 * rename another writer could still slip in (plain files have no compare-and-swap); that window is a few
 * microseconds, against the minutes a person takes to edit.
 */
export class FileRulesStore implements RulesStore {
  constructor(readonly path: string) {}

  describe(): string {
    return `file ${this.path}`;
  }

  async read(): Promise<{ text: string; version: string }> {
    const text = await readFile(this.path, 'utf8');
    return { text, version: contentVersion(text) };
  }

  async write(text: string, expectedVersion: string): Promise<{ version: string }> {
    // Write through a symlink to its target, so a symlinked rule file stays a symlink.
    const target = await realpath(this.path);
    const current = contentVersion(await readFile(target, 'utf8'));
    if (current !== expectedVersion) {
      throw new RulesConflictError(`${this.describe()} changed since it was read (version ${expectedVersion}, now ${current}); not overwritten`);
    }
    const { mode } = await stat(target);
    const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await open(temp, 'wx', mode & 0o7777);
    try {
      await handle.writeFile(text, 'utf8');
      // open() applies the umask; chmod makes the mode exactly the old file's.
      await handle.chmod(mode & 0o7777);
      await handle.sync();
    } catch (err) {
      await handle.close();
      await unlink(temp).catch(() => undefined);
      throw err;
    }
    await handle.close();
    try {
      await rename(temp, target);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
    await syncDirectory(dirname(target));
    return { version: contentVersion(text) };
  }
}

/** Makes the rename itself durable; some file systems refuse to open a directory, which is fine. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    /* best effort */
  }
}

/**
 * Key `rules.yaml` of a ConfigMap, through the Kubernetes API. The version is the object's resourceVersion; a
 * write is a replace carrying that resourceVersion, so the API server itself answers 409 Conflict when the
 * ConfigMap changed in between. Other keys, labels and annotations are kept as they are.
 */
export class ConfigMapRulesStore implements RulesStore {
  private kubeConfig: KubeConfig | undefined;

  constructor(
    readonly namespace: string,
    readonly name: string,
    kubeConfig?: KubeConfig,
  ) {
    this.kubeConfig = kubeConfig;
  }

  describe(): string {
    return `configmap ${this.namespace}/${this.name}`;
  }

  async read(): Promise<{ text: string; version: string }> {
    const object = await this.get();
    return { text: rulesText(object, this.describe()), version: object.metadata?.resourceVersion ?? '' };
  }

  async write(text: string, expectedVersion: string): Promise<{ version: string }> {
    const api = await this.api();
    const object = await this.get();
    const current = object.metadata?.resourceVersion ?? '';
    if (current !== expectedVersion) throw this.conflict(expectedVersion, current);
    const body: V1ConfigMap = { ...object, metadata: { ...object.metadata, resourceVersion: expectedVersion }, data: { ...object.data, [CONFIGMAP_KEY]: text } };
    try {
      const replaced = await api.replaceNamespacedConfigMap({ namespace: this.namespace, name: this.name, body });
      return { version: replaced.metadata?.resourceVersion ?? '' };
    } catch (err) {
      if (statusCode(err) === 409) throw this.conflict(expectedVersion, 'newer');
      throw new Error(`${this.describe()}: update failed: ${apiMessage(err)}`);
    }
  }

  private conflict(expected: string, current: string): RulesConflictError {
    return new RulesConflictError(`${this.describe()} changed since it was read (resourceVersion ${expected}, now ${current}); not overwritten`);
  }

  private async get(): Promise<V1ConfigMap> {
    const api = await this.api();
    try {
      return await api.readNamespacedConfigMap({ namespace: this.namespace, name: this.name });
    } catch (err) {
      throw new Error(`${this.describe()}: cannot read it: ${apiMessage(err)}`);
    }
  }

  private async api() {
    // Loaded lazily: client-node is large, and a file-based rollout never needs it.
    const { CoreV1Api } = await import('@kubernetes/client-node');
    this.kubeConfig ??= await loadKubeConfigLazily();
    return this.kubeConfig.makeApiClient(CoreV1Api);
  }
}

export function rulesText(object: V1ConfigMap, what: string): string {
  const text = object.data?.[CONFIGMAP_KEY];
  if (text === undefined) throw new Error(`${what} has no key "${CONFIGMAP_KEY}"`);
  return text;
}

/** "NAMESPACE/NAME" as in `--configmap`; undefined when it is not of that form. */
export const parseConfigMapRef = parseConfigMapFlag;

export function statusCode(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | null;
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}

function apiMessage(err: unknown): string {
  const code = statusCode(err);
  const body = (err as { body?: unknown }).body;
  let detail = (err as Error).message ?? String(err);
  if (typeof body === 'string') {
    try {
      detail = (JSON.parse(body) as { message?: string }).message ?? detail;
    } catch {
      /* keep the error's own message */
    }
  }
  return code === undefined ? detail : `HTTP ${code}: ${detail}`;
}
