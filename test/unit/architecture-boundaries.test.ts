// The boundaries docs/ARCHITECTURE.md claims, checked against the real imports of src/: a claim that
// stops being true fails here instead of quietly rotting in the doc.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src');

interface Import {
  readonly from: string;
  /** `import type`: erased at compile time, no dependency at run time */
  readonly typeOnly: boolean;
  /** the folder (or file, for top-level modules) imported, relative to src/; a package name for bare imports */
  readonly to: string;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? tsFiles(full) : name.endsWith('.ts') ? [full] : [];
  });
}

/** Every import of every file, as "folder of the file" → "folder (or package) imported". */
function imports(): Import[] {
  const out: Import[] = [];
  for (const file of tsFiles(SRC)) {
    const rel = path.relative(SRC, file);
    const from = rel.includes(path.sep) ? rel.split(path.sep)[0] as string : rel;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(import|export)( type)?[^'"\n]*?from\s+'([^']+)'/g)) {
      const typeOnly = m[2] !== undefined;
      const spec = m[3] as string;
      if (!spec.startsWith('.')) {
        out.push({ from, typeOnly, to: spec.startsWith('node:') ? 'node:' : spec });
        continue;
      }
      const target = path.relative(SRC, path.resolve(path.dirname(file), spec));
      out.push({ from, typeOnly, to: target.includes(path.sep) ? target.split(path.sep)[0] as string : target.replace(/\.js$/, '.ts') });
    }
  }
  return out;
}

const all = imports();
const of = (folder: string): Set<string> => new Set(all.filter((i) => i.from === folder && i.to !== folder).map((i) => i.to));

describe('architecture boundaries (docs/ARCHITECTURE.md)', () => {
  test('the routing core is pure: no Node module, no other folder of ours, only lru-cache at run time', () => {
    const runtime = new Set(all.filter((i) => i.from === 'core' && i.to !== 'core' && !i.typeOnly).map((i) => i.to));
    assert.deepEqual([...runtime], ['lru-cache']);
  });

  test('inbound, outbound and gateway are peers that never import each other', () => {
    for (const side of ['inbound', 'outbound', 'gateway']) {
      const deps = of(side);
      for (const peer of ['inbound', 'outbound', 'gateway']) if (peer !== side) assert.ok(!deps.has(peer), `${side} imports ${peer}`);
    }
  });

  test('the pipeline knows no entry point; the upstream knows no pipeline', () => {
    for (const side of ['inbound', 'outbound', 'gateway']) assert.ok(!of('pipeline').has(side), `pipeline imports ${side}`);
    for (const folder of ['pipeline', 'inbound', 'outbound', 'gateway', 'telemetry', 'discovery']) assert.ok(!of('upstream').has(folder), `upstream imports ${folder}`);
  });

  test('only the upstream folder talks to undici and http-proxy', () => {
    const users = new Set(all.filter((i) => i.to === 'undici' || i.to === 'http-proxy').map((i) => i.from));
    assert.deepEqual([...users], ['upstream']);
  });

  test('telemetry sits beside the proxy: it reads events, never the pipeline or an upstream', () => {
    for (const folder of ['pipeline', 'upstream', 'inbound', 'outbound', 'gateway']) assert.ok(!of('telemetry').has(folder), `telemetry imports ${folder}`);
  });

  test('events.ts and the errors it names do not import each other', () => {
    const errors = readFileSync(path.join(SRC, 'pipeline/errors.ts'), 'utf8');
    assert.doesNotMatch(errors, /from '\.\.\/events\.js'/);
  });

  test('inject is pure manifest work: no cli, no sockets', () => {
    assert.ok(!of('inject').has('cli'), 'inject imports cli');
    assert.ok(!of('inject').has('pipeline'));
  });
});
