// The committed schemas/*.schema.json must be what scripts/gen-schemas.ts writes today.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderSchemaFiles, clusterJsonSchema } from '../../../src/core/config/jsonSchema';
import { renderConfigReference } from '../../../src/core/config/reference';

const root = join(__dirname, '..', '..', '..');

test('committed JSON Schemas are up to date (run: node --import tsx scripts/gen-schemas.ts)', () => {
  for (const [name, text] of Object.entries(renderSchemaFiles())) {
    const committed = readFileSync(join(root, 'schemas', name), 'utf8');
    assert.equal(committed, text, `schemas/${name} is stale: run node --import tsx scripts/gen-schemas.ts`);
  }
});

test('committed config reference is up to date (run: node --import tsx scripts/gen-config-docs.ts)', () => {
  assert.equal(readFileSync(join(root, 'docs', 'config-reference.md'), 'utf8'), renderConfigReference(), 'docs/config-reference.md is stale: run node --import tsx scripts/gen-config-docs.ts');
});

test('the JSON Schema carries descriptions, defaults and required keys from zod', () => {
  const s = clusterJsonSchema();
  const node = s.properties?.nodes?.items;
  assert.ok(node?.properties?.ram_gb?.description);
  assert.equal(node?.properties?.max_instances?.default, 1);
  assert.deepEqual(node?.required, ['name', 'ram_gb']);
  assert.deepEqual(s.required, ['cluster']);
});
