// The rules a sidecar starts with when they come from a ConfigMap (SPEC 6a): read through the API; when the
// API cannot be reached and `--config` names a readable file, that file, until the API answers (the rules
// watcher swaps the ConfigMap's version in as soon as it does). Invalid rules are never a reason to fall back.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Rules } from '../core/types.js';
import { configMapWatchPath, MissingKeyError, readConfigMapRules, type ConfigMapRef } from './configmap-watch.js';
import { loadKubeConfigLazily } from './kube-config.js';
import { ConfigError, loadRulesFile, parseRules } from './load.js';

export interface StartRules {
  readonly rules: Rules;
  /** what the rules watcher follows: `configmap://NS/NAME` */
  readonly watchPath: string;
  /** set when the file stood in for an unreachable API */
  readonly fallback?: { readonly file: string; readonly reason: string };
}

/**
 * Throws ConfigError for rules that are invalid (in the ConfigMap, or in the fallback file), and Error when
 * neither the API nor the file can give any.
 */
export async function loadConfigMapRulesForStart(ref: ConfigMapRef, fallbackFile: string | undefined, kubeConfig?: KubeConfig, timeoutMs?: number): Promise<StartRules> {
  const watchPath = configMapWatchPath(ref);
  let apiError: Error;
  try {
    const kc = kubeConfig ?? (await loadKubeConfigLazily());
    const { text } = await readConfigMapRules(kc, ref, timeoutMs);
    return { rules: parseRules(text, watchPath), watchPath };
  } catch (err) {
    if (err instanceof ConfigError || err instanceof MissingKeyError) throw err;
    apiError = err as Error;
  }
  const reason = `cannot read configmap ${ref.namespace}/${ref.name} through the Kubernetes API: ${describeApiError(apiError)}`;
  if (fallbackFile === undefined) throw new Error(reason);
  let rules: Rules;
  try {
    rules = loadRulesFile(fallbackFile);
  } catch (err) {
    // An unreadable file: say both why the API and why the file failed. An invalid one: its problems.
    if (err instanceof ConfigError && err.problems.every((p) => p.line === 0)) throw new Error(`${reason}; and the fallback ${err.message}`);
    throw err;
  }
  return { rules, watchPath, fallback: { file: fallbackFile, reason } };
}

function describeApiError(err: Error): string {
  const code = (err as { code?: unknown }).code;
  const cause = (err as { cause?: { code?: string } }).cause?.code;
  if (typeof code === 'number') return `HTTP ${code}`;
  // client-node folds the socket error into its message ("… failed, reason: connect ECONNREFUSED …").
  return cause ?? /\b(E[A-Z]{3,})\b/.exec(err.message)?.[1] ?? err.message;
}
