// `colormesh validate FILE`: checks a rule file the way the sidecar will, for CI and before a ConfigMap update.
import { ConfigError, loadRulesFile } from '../config/load.js';
import { parseFlags, UsageError, type FlagSpecs } from './flags.js';

const FLAGS: FlagSpecs = {
  config: { env: 'COLORMESH_CONFIG' },
  help: { boolean: true, short: 'h' },
};

const HELP = `usage: colormesh validate FILE
       colormesh validate --config FILE

Checks a rule file completely (YAML syntax, unknown keys, colors, regexes, addresses, weights).
Exit 0 and one summary line when it is valid; exit 1 and every problem on stderr, one per line,
as FILE:LINE:COLUMN: KEY.PATH: MESSAGE, when it is not.

  --config FILE   the file to check (env COLORMESH_CONFIG) when no FILE argument is given
  -h, --help      show this help
`;

export async function main(argv: string[]): Promise<number> {
  const { values, switches, positionals } = parseFlags(argv, FLAGS);
  if (switches['help']) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`expected one FILE, got ${positionals.length}: ${positionals.join(' ')}`);
  const file = positionals[0] ?? values['config'];
  if (file === undefined) throw new UsageError('which file? usage: colormesh validate FILE');
  try {
    const rules = loadRulesFile(file);
    const count = rules.services.size;
    process.stdout.write(`${file}: ok (${count} ${count === 1 ? 'service' : 'services'}, hash ${rules.hash})\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(err.message + '\n');
    const count = err.problems.length;
    process.stderr.write(`${file}: ${count} ${count === 1 ? 'problem' : 'problems'}\n`);
    return 1;
  }
}
