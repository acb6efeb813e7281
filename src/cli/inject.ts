// `colormesh inject -f FILE|-`: adds the sidecar to every workload in a manifest stream (like
// `linkerd inject`), YAML to stdout, one summary line per object to stderr.
import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { INJECT_FLAGS, INJECT_FLAGS_HELP, injectOptionsFromFlags } from './inject-flags.js';
import { formatManifests, injectDocuments, parseManifests } from '../inject/manifests.js';
import { UsageError, parseFlags } from './flags.js';

const HELP = `usage: colormesh inject -f FILE|- [flags]

Adds the colormesh sidecar, its iptables init container and the rules volume to every Pod, Deployment,
StatefulSet, DaemonSet, ReplicaSet, Job and CronJob in FILE (- for stdin). Multi-document YAML and
List kinds are read; other objects pass through unchanged. The result goes to stdout, e.g.

  colormesh inject -f app.yaml | kubectl apply -f -

  -f, --filename FILE|-      the manifests to read
${INJECT_FLAGS_HELP}
Exit status: 0 done, 1 an object had an invalid colormesh.io/ annotation or the input is not YAML, 2 usage.
`;

export async function main(argv: string[]): Promise<number> {
  const { values, switches, positionals } = parseFlags(argv, {
    ...INJECT_FLAGS,
    filename: { short: 'f' },
    help: { boolean: true, short: 'h' },
  });
  if (switches['help']) {
    process.stdout.write(HELP);
    return 0;
  }
  const file = values['filename'];
  if (file === undefined) throw new UsageError('-f FILE (or - for stdin) is required');
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const options = injectOptionsFromFlags(values);

  const source = file === '-' ? await text(process.stdin) : await readFile(file, 'utf8');
  let documents;
  try {
    documents = parseManifests(source);
  } catch (err) {
    process.stderr.write(`colormesh inject: ${file === '-' ? 'stdin' : file}: ${(err as Error).message}\n`);
    return 1;
  }
  const report = injectDocuments(documents, options);
  process.stdout.write(formatManifests(report.documents));
  process.stderr.write(report.summary.map((line) => line + '\n').join(''));
  return report.invalid > 0 ? 1 : 0;
}
