#!/usr/bin/env node
// colormesh's command-line entry point: dispatches to one module per command.
import { UsageError } from './flags.js';

type Command = (argv: string[]) => Promise<number>;

/** Each command lives in its own module, loaded only when used so `validate` does not pay for the proxy. */
const COMMANDS: Readonly<Record<string, { summary: string; load: () => Promise<{ main: Command }> }>> = {
  run: { summary: 'run the sidecar (inbound and outbound listeners)', load: () => import('./run.js') },
  gateway: { summary: 'run an edge proxy: ingress coloring, then routing to one service', load: () => import('./gateway.js') },
  validate: { summary: 'check a rule file; exit 0 if valid, 1 with every problem otherwise', load: () => import('./validate.js') },
  explain: { summary: 'show which endpoints a request of a color would reach, and why', load: () => import('./explain.js') },
  inject: { summary: 'add the sidecar to Kubernetes manifests (-f FILE or -)', load: () => import('./inject.js') },
  webhook: { summary: 'run the mutating admission webhook that injects the sidecar', load: () => import('./webhook.js') },
  iptables: { summary: 'apply, remove or print the transparent-interception rules', load: () => import('./iptables.js') },
  console: { summary: 'serve the release console: live lanes, split weights, rollback', load: () => import('./console.js') },
  rollout: { summary: 'move users to a candidate color step by step, judge it live, roll back by itself', load: () => import('./rollout.js') },
};

function usage(): string {
  const lines = ['usage: colormesh <command> [flags]', '', 'commands:'];
  for (const [name, { summary }] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${summary}`);
  lines.push('', 'Run `colormesh <command> --help` for its flags.');
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(usage() + '\n');
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return 0;
  }
  if (name === '--version' || name === 'version') {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(pkg.version + '\n');
    return 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`colormesh: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  try {
    const mod = await command.load();
    return await mod.main(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`colormesh ${name}: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`colormesh ${name}: ${(err as Error).message}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // Long-running commands resolve only when they are done; let pending I/O (logs) flush.
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`colormesh: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
