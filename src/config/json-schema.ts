// The rule file's JSON Schema, generated from the one TypeBox schema (schema.ts) and checked in as
// schema/rules.schema.json, so editors validate rule files as people type (yaml-language-server modeline).
// Regenerate after any change to schema.ts with `npm run schema`; a unit test fails while they differ.
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ruleFileJsonSchema } from './schema.js';

/** Where the generated schema lives, relative to the repository root. */
export const JSON_SCHEMA_PATH = 'schema/rules.schema.json';

/** The text of schema/rules.schema.json: draft-07 (what yaml-language-server and most editors support best). */
export function renderRuleFileJsonSchema(): string {
  const document = { $schema: 'http://json-schema.org/draft-07/schema#', ...ruleFileJsonSchema };
  return JSON.stringify(document, null, 2) + '\n';
}

// `node dist/src/config/json-schema.js` (npm run schema) writes the file; compiled code lives two levels below the root.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const target = fileURLToPath(new URL(`../../../${JSON_SCHEMA_PATH}`, import.meta.url));
  writeFileSync(target, renderRuleFileJsonSchema());
  process.stdout.write(`wrote ${JSON_SCHEMA_PATH}\n`);
}
