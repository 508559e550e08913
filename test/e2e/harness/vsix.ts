// Packages the built extension with vsce, exactly as a user gets it, and checks the .vsix holds
// only what runs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_DIR, REPO_ROOT } from './paths';

let cached: string | undefined;

/** Builds (unless CLUSTERLAB_SKIP_BUILD) and packages the extension; returns the .vsix path. */
export function packageExtension(): string {
  if (cached && existsSync(cached)) return cached;
  if (!process.env.CLUSTERLAB_SKIP_BUILD || !existsSync(join(REPO_ROOT, 'dist', 'extension.js'))) {
    const b = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('npm run build failed');
  }
  const dir = join(CACHE_DIR, 'vsix');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `clusterlab-e2e-${process.pid}.vsix`);
  const vsce = join(REPO_ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
  const r = spawnSync(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--no-rewrite-relative-links', '--out', out], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    input: 'y\n',
  });
  if (r.status !== 0 || !existsSync(out)) throw new Error(`vsce package failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  if (statSync(out).size === 0) throw new Error(`vsce produced an empty ${out}`);
  cached = out;
  process.once('exit', () => rmSync(out, { force: true }));
  return out;
}

/** The files inside a .vsix (a zip), via `unzip -Z1` or python's zipfile. */
export function vsixFiles(vsix: string): string[] {
  const r = spawnSync('python3', ['-c', 'import sys,zipfile;print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))', vsix], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot list ${vsix}: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean);
}
