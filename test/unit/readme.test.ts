import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderReadme } from '../../scripts/readme-sections';

test('README config and CLI references are up to date (run: node --import tsx scripts/gen-readme.ts)', () => {
  const text = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  assert.equal(renderReadme(text), text);
});

test('README starts with the two commands a new user needs', () => {
  const text = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const firstLines = text.split('\n').slice(0, 8).join('\n');
  assert.match(firstLines, /npm ci && npm run demo/);
  assert.match(firstLines, /npm ci && npm test/);
});
