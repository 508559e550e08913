// Runs test suites with node's built-in test runner (TypeScript through tsx).
// Usage: node scripts/test.mjs [all|unit|cli|ssh|faults|e2e|corpus] [--only PATTERN]
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const suites = {
  unit: ['test/unit', 'test/corpus'],
  cli: ['test/cli'],
  ssh: ['test/ssh'],
  faults: ['test/faults'],
  e2e: ['test/e2e'],
};
const order = ['unit', 'cli', 'ssh', 'faults', 'e2e'];
const which = process.argv[2] ?? 'all';
const onlyIdx = process.argv.indexOf('--only');
const only = onlyIdx > 0 ? process.argv[onlyIdx + 1] : undefined;
const names = which === 'all' ? order : which.split(',');

function findTests(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

if (which === 'all' && !process.env.CLUSTERLAB_SKIP_LINT) {
  for (const script of ['lint', 'typecheck']) {
    const r = spawnSync('npm', ['run', '--silent', script], { stdio: 'inherit' });
    if (r.status !== 0) {
      console.error(`npm run ${script} failed`);
      process.exit(r.status ?? 1);
    }
  }
}
const needsSystemDeps = names.some((n) => n === 'ssh' || n === 'faults' || n === 'e2e');
if (needsSystemDeps) {
  const d = spawnSync('bash', ['scripts/ensure-system-deps.sh'], { stdio: 'inherit' });
  if (d.status !== 0) process.exit(d.status ?? 1);
}
const needsBuild = names.some((n) => n !== 'unit');
if (needsBuild && !process.env.CLUSTERLAB_SKIP_BUILD) {
  const b = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}

const files = [];
for (const n of names) {
  if (!suites[n]) {
    console.error(`unknown suite "${n}"; expected one of: all, ${order.join(', ')}`);
    process.exit(2);
  }
  for (const d of suites[n]) files.push(...findTests(d));
}
const selected = only ? files.filter((f) => f.includes(only)) : files;
if (selected.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const args = ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...selected];
const r = spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...process.env, CLUSTERLAB_TEST: '1' } });
process.exit(r.status ?? 1);
