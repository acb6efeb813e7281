// The Kubernetes API credentials for rules from a ConfigMap (SPEC 6a) and for rollouts that edit one. Kept in
// config/ (discovery has the same rule for its own client) so config never imports discovery.
import { existsSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** In a pod: its service account. Elsewhere: KUBECONFIG, then ~/.kube/config (client-node's defaults). Loaded lazily: client-node is large. */
export async function loadKubeConfigLazily(): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  if (process.env['KUBERNETES_SERVICE_HOST'] !== undefined && existsSync(SERVICE_ACCOUNT_TOKEN)) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}
