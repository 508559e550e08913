// The .vsix a user installs holds only what runs: the bundled extension, the dashboard bundle,
// media, the JSON Schemas and the manifest; no sources, maps, tests or node_modules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { packageExtension, vsixFiles, REPO_ROOT } from './harness';

test('the packaged .vsix holds only what runs, and dist/extension.js stays under 1.5 MB', { timeout: 120_000 }, () => {
  const files = vsixFiles(packageExtension());
  const allowed = [/^\[Content_Types\]\.xml$/, /^extension\.vsixmanifest$/, /^extension\/package\.json$/, /^extension\/(readme|README)\.md$/, /^extension\/(LICENSE|license)(\.(md|txt))?$/, /^extension\/(CHANGELOG|changelog)\.md$/, /^extension\/dist\/extension\.js$/, /^extension\/dist\/webview\/[^/]+\.(js|css)$/, /^extension\/media\//, /^extension\/schemas\/[^/]+\.schema\.json$/];
  const stray = files.filter((f) => !allowed.some((re) => re.test(f)));
  assert.deepEqual(stray, [], `files that do not run: ${stray.join(', ')}`);
  assert.ok(files.includes('extension/dist/extension.js'));
  assert.ok(files.includes('extension/media/clusterlab.svg'));
  assert.ok(files.some((f) => f.startsWith('extension/media/walkthrough/')));
  assert.ok(!files.some((f) => f.endsWith('.map') || f.includes('node_modules') || f.includes('/src/') || f.includes('/test/')));
  const size = statSync(join(REPO_ROOT, 'dist', 'extension.js')).size;
  assert.ok(size < 1.5 * 1024 * 1024, `dist/extension.js is ${size} bytes`);
});
