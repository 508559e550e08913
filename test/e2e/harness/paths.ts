// Where the e2e harness keeps things. `.vscode-test/` and `test-results/` are git-ignored.
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
export const CACHE_DIR = join(REPO_ROOT, '.vscode-test');
export const RESULTS_DIR = join(REPO_ROOT, 'test-results');
export const SCREENSHOT_DIR = join(RESULTS_DIR, 'screenshots');
