// The checked-in JSON Schema (schema/rules.schema.json) must be exactly what the TypeBox schema generates, and
// must accept the example rule files and reject a typo, as an editor using it would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { JSON_SCHEMA_PATH, RULE_CHECK_PATH, renderRuleFileCheck, renderRuleFileJsonSchema } from '../../src/config/json-schema.js';
import { isRuleFile } from '../../src/config/rules-check.generated.js';

const root = (path: string): string => fileURLToPath(new URL(`../../../${path}`, import.meta.url));

test(`${JSON_SCHEMA_PATH} is what the TypeBox schema generates (run \`npm run schema\` after changing src/config/schema.ts)`, () => {
  assert.equal(readFileSync(root(JSON_SCHEMA_PATH), 'utf8'), renderRuleFileJsonSchema());
});

test(`${RULE_CHECK_PATH} is what the TypeBox schema compiles to (run \`npm run schema\` after changing src/config/schema.ts)`, () => {
  assert.equal(readFileSync(root(RULE_CHECK_PATH), 'utf8'), renderRuleFileCheck());
});

test('the generated check accepts the examples and rejects what the schema rejects', () => {
  for (const file of ['examples/rules.yaml', 'test/fixtures/rules/valid.yaml']) assert.equal(isRuleFile(parse(readFileSync(root(file), 'utf8'))), true, file);
  for (const bad of ['version: 1\nservices:\n  a:\n    forse: true\n', 'services:\n  a:\n    port: "80"\n', 'outboundPolicy: maybe\n', 'services:\n  a:\n    outlierDetection: true\n']) {
    assert.equal(isRuleFile(parse(bad)), false, bad);
  }
});

test('examples/rules.yaml carries the yaml-language-server modeline pointing at the schema', () => {
  const text = readFileSync(root('examples/rules.yaml'), 'utf8');
  assert.match(text, /^# yaml-language-server: \$schema=\.\.\/schema\/rules\.schema\.json$/m);
});

test('an editor validating with the schema accepts the examples and flags a typo', async (t) => {
  // ajv comes with the dev dependencies (kubernetes-models); without it there is nothing to run.
  let Ajv: (new (opts: object) => { compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown[] | null } }) | undefined;
  try {
    const moduleName = 'ajv'; // not a direct dependency: resolved at run time only
    Ajv = ((await import(moduleName)) as { default: typeof Ajv }).default;
  } catch {
    t.skip('ajv is not installed');
    return;
  }
  const validate = new Ajv!({ strict: false, allErrors: true }).compile(JSON.parse(readFileSync(root(JSON_SCHEMA_PATH), 'utf8')) as object);
  for (const file of ['examples/rules.yaml', 'test/fixtures/rules/valid.yaml', 'test/fixtures/release/flow.yaml']) {
    assert.ok(validate(parse(readFileSync(root(file), 'utf8'))), `${file}: ${JSON.stringify(validate.errors)}`);
  }
  assert.equal(validate(parse('version: 1\nservices:\n  a:\n    forse: true\n')), false);
});
