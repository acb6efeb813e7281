// The sidecar image used when none is given: the published image tagged with this package's version,
// so an injected pod runs the same release as the `colormesh` that injected it.
import { readFileSync } from 'node:fs';

export const IMAGE_REPOSITORY = 'ghcr.io/colormesh/colormesh';

let cachedVersion: string | undefined;

/** Reads package.json once; it sits three levels above dist/src/inject/ in the repo and the image. */
export function packageVersion(): string {
  if (cachedVersion === undefined) {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    if (typeof pkg.version !== 'string') throw new Error('package.json has no version');
    cachedVersion = pkg.version;
  }
  return cachedVersion;
}

export function defaultImage(): string {
  return `${IMAGE_REPOSITORY}:${packageVersion()}`;
}
