// No Docker engine runs here, so the Dockerfile is checked for what can be checked: every path it
// copies from the build context exists and is not excluded by .dockerignore, the paths it copies out
// of the build stage exist after `npm run build`, and the entry point runs under this Node.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const instructions = dockerfile.split('\n').filter((line) => /^[A-Z]+\s/.test(line));
const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));

/** .dockerignore patterns here are plain names or `*.ext`; a path is excluded if it or a parent matches. */
function isIgnored(path: string): boolean {
  const parts = path.replace(/^\.\//, '').split('/');
  return ignored.some((pattern) => {
    const regex = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*') + '$');
    return parts.some((_, i) => regex.test(parts.slice(0, i + 1).join('/')));
  });
}

/** Sources of COPY lines: [fromStage, sources[]]. */
function copies(): { fromStage: boolean; sources: string[] }[] {
  return instructions.filter((l) => l.startsWith('COPY ')).map((line) => {
    const words = line.split(/\s+/).slice(1);
    const fromStage = words.some((w) => w.startsWith('--from='));
    const paths = words.filter((w) => !w.startsWith('--'));
    return { fromStage, sources: paths.slice(0, -1) };
  });
}

describe('Dockerfile', () => {
  test('every build-context COPY source exists and is not excluded by .dockerignore', () => {
    const context = copies().filter((c) => !c.fromStage).flatMap((c) => c.sources);
    assert.ok(context.includes('package-lock.json') && context.includes('src'));
    for (const source of context) {
      assert.ok(existsSync(join(ROOT, source)), `${source} does not exist`);
      assert.ok(!isIgnored(source), `${source} is excluded by .dockerignore`);
    }
    for (const excluded of ['node_modules', 'dist', '.git']) assert.ok(isIgnored(excluded), `${excluded} should be in .dockerignore`);
  });

  test('what the runtime stage copies from the build stage exists after the build', () => {
    const fromBuild = copies().filter((c) => c.fromStage).flatMap((c) => c.sources);
    assert.deepEqual(fromBuild, ['/app/package.json', '/app/node_modules', '/app/dist']);
    for (const source of fromBuild) assert.ok(existsSync(join(ROOT, source.replace(/^\/app\//, ''))), source);
  });

  test('non-root uid 1337, tini as PID 1, iptables installed, multi-stage', () => {
    assert.equal(instructions.filter((l) => l.startsWith('FROM ')).length, 2);
    assert.ok(instructions.includes('USER 1337:1337'));
    assert.match(dockerfile, /apt-get install -y --no-install-recommends tini iptables/);
    assert.match(dockerfile, /npm prune --omit=dev/);
  });

  test('the entry point exists after the build and runs --help under this Node', () => {
    const entry = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile);
    assert.ok(entry, 'no exec-form ENTRYPOINT');
    const argv = JSON.parse(entry[1] as string) as string[];
    assert.deepEqual(argv.slice(0, 3), ['/usr/bin/tini', '--', 'node']);
    const script = join(ROOT, (argv[3] as string).replace(/^\/app\//, ''));
    assert.ok(existsSync(script), `${argv[3]} is missing after the build`);
    // Both stages on the newest LTS line (issue 9), one that package.json's engines names.
    const majors = [...dockerfile.matchAll(/^FROM node:(\d+)/gm)].map((m) => Number(m[1]));
    assert.deepEqual(majors, [24, 24], 'both stages build FROM node:24');
    const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    assert.match(engines, /(\^|>=)24\b/, `engines "${engines}" does not include Node 24`);
    // The image's NODE_OPTIONS must be options Node accepts there (not every flag is allowed in NODE_OPTIONS).
    const nodeOptions = /^ENV NODE_OPTIONS=(.*)$/m.exec(dockerfile)?.[1] ?? '';
    assert.match(nodeOptions, /--max-semi-space-size=\d+/, 'the sidecar image caps the young generation');
    for (const args of [['--help'], ['inject', '--help'], ['webhook', '--help']]) {
      const result = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, NODE_OPTIONS: nodeOptions } });
      assert.equal(result.status, 0, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stdout, /usage: colormesh/);
    }
  });
});
