// Writes schemas/cluster.schema.json and schemas/experiment.schema.json from the zod schemas.
// Run: node --import tsx scripts/gen-schemas.ts   (a unit test fails when the committed files are stale)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderSchemaFiles } from '../src/core/config/jsonSchema';

const root = join(__dirname, '..');
mkdirSync(join(root, 'schemas'), { recursive: true });
for (const [name, text] of Object.entries(renderSchemaFiles())) {
  writeFileSync(join(root, 'schemas', name), text);
  console.log(`wrote schemas/${name}`);
}
