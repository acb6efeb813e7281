// The command-line flags that `colormesh inject` and `colormesh webhook` share, turned into InjectOptions.
import { UsageError, type FlagSpecs } from './flags.js';
import { defaultImage } from '../inject/default-image.js';
import { SIDECAR_MODES, checkLabelKey, defaultOptions, type InjectOptions, type SidecarMode } from '../inject/options.js';

export const INJECT_FLAGS: FlagSpecs = {
  image: { env: 'COLORMESH_INJECT_IMAGE' },
  'image-pull-policy': { env: 'COLORMESH_INJECT_IMAGE_PULL_POLICY' },
  'color-label': { env: 'COLORMESH_INJECT_COLOR_LABEL', default: 'color' },
  'service-label': { env: 'COLORMESH_INJECT_SERVICE_LABEL', default: 'app' },
  'sidecar-mode': { env: 'COLORMESH_INJECT_SIDECAR_MODE', default: 'native' },
};

export const INJECT_FLAGS_HELP = `  --image IMAGE              sidecar and init image (COLORMESH_INJECT_IMAGE, default ghcr.io/colormesh/colormesh:<version>)
  --image-pull-policy POLICY Always|IfNotPresent|Never (COLORMESH_INJECT_IMAGE_PULL_POLICY, default: the cluster's)
  --color-label KEY          pod label holding the pod's color (COLORMESH_INJECT_COLOR_LABEL, default color)
  --service-label KEY        pod label holding the pod's service (COLORMESH_INJECT_SERVICE_LABEL, default app)
  --sidecar-mode MODE        native (initContainers, restartPolicy Always; Kubernetes >= 1.29) or container
                             (COLORMESH_INJECT_SIDECAR_MODE, default native)
`;

const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;

export function injectOptionsFromFlags(values: Readonly<Record<string, string | undefined>>): InjectOptions {
  const options = defaultOptions(values['image'] ?? defaultImage());
  const mode = values['sidecar-mode'] ?? 'native';
  if (!(SIDECAR_MODES as readonly string[]).includes(mode)) throw new UsageError(`--sidecar-mode: "${mode}" is not one of ${SIDECAR_MODES.join(', ')}`);
  options.sidecarMode = mode as SidecarMode;
  const pull = values['image-pull-policy'];
  if (pull !== undefined) {
    if (!(PULL_POLICIES as readonly string[]).includes(pull)) throw new UsageError(`--image-pull-policy: "${pull}" is not one of ${PULL_POLICIES.join(', ')}`);
    options.imagePullPolicy = pull as InjectOptions['imagePullPolicy'];
  }
  try {
    options.colorLabel = checkLabelKey('--color-label', values['color-label'] ?? 'color');
    options.serviceLabel = checkLabelKey('--service-label', values['service-label'] ?? 'app');
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return options;
}
