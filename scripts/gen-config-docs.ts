// Writes docs/config-reference.md from the zod schema (through the generated JSON Schema).
// Run: node --import tsx scripts/gen-config-docs.ts   (a unit test fails when the file is stale)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigReference } from '../src/core/config/reference';

const root = join(__dirname, '..');
mkdirSync(join(root, 'docs'), { recursive: true });
writeFileSync(join(root, 'docs', 'config-reference.md'), renderConfigReference());
console.log('wrote docs/config-reference.md');
