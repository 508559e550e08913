// Regenerates the generated sections of README.md: the configuration reference (from the zod
// schema) and the CLI reference (from every command's --help). A unit test fails when stale.
// Run: node --import tsx scripts/gen-readme.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderReadme } from './readme-sections';

const path = join(__dirname, '..', 'README.md');
const before = readFileSync(path, 'utf8');
const after = renderReadme(before);
if (after !== before) writeFileSync(path, after);
console.log(after === before ? 'README.md is up to date' : 'wrote README.md');
