// Installs code-server (VS Code 1.100's workbench with a real Node extension host) once into the
// git-ignored `.vscode-test/`, and starts it on a free 127.0.0.1 port with a fresh profile.
// Recipe: shared/notes/real-vscode-in-ci.md.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, copyFileSync, mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lock } from './lock';
import { REPO_ROOT, CACHE_DIR } from './paths';

export const CODE_SERVER_VERSION = '4.100.3';
const RIPGREP_VERSION = '1.15.11';
const RIPGREP_ASSET = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';

export function codeServerDir(): string {
  return join(CACHE_DIR, `code-server-${CODE_SERVER_VERSION}`);
}

export function codeServerBin(): string {
  return join(codeServerDir(), 'node_modules', 'code-server', 'out', 'node', 'entry.js');
}

/** @vscode/ripgrep downloads rg from GitHub in postinstall unless it finds a cached asset: give it Debian's. */
function seedRipgrepCache(): void {
  const dir = join(tmpdir(), `vscode-ripgrep-cache-${RIPGREP_VERSION}`);
  const asset = join(dir, RIPGREP_ASSET);
  if (existsSync(asset)) return;
  if (!existsSync('/usr/bin/rg')) throw new Error('ripgrep is missing: install it with `apt-get install -y ripgrep` (scripts/ensure-system-deps.sh does)');
  mkdirSync(dir, { recursive: true });
  const stage = mkdtempSync(join(tmpdir(), 'rg-stage-'));
  copyFileSync('/usr/bin/rg', join(stage, 'rg'));
  chmodSync(join(stage, 'rg'), 0o755);
  const r = spawnSync('tar', ['-czf', asset, '-C', stage, 'rg'], { stdio: 'inherit' });
  rmSync(stage, { recursive: true, force: true });
  if (r.status !== 0) throw new Error('could not build the ripgrep cache archive');
}

/** Installs code-server once (about a minute) and returns the path of its entry script. */
export async function ensureCodeServer(): Promise<string> {
  if (existsSync(codeServerBin())) return codeServerBin();
  const release = await lock(join(CACHE_DIR, 'code-server.lock'));
  try {
    if (existsSync(codeServerBin())) return codeServerBin();
    seedRipgrepCache();
    const dir = codeServerDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'code-server-cache', private: true }));
    process.stderr.write(`e2e: installing code-server ${CODE_SERVER_VERSION} into ${dir} (once, about a minute)\n`);
    const r = spawnSync('npm', ['install', '--unsafe-perm', '--no-audit', '--no-fund', `code-server@${CODE_SERVER_VERSION}`], {
      cwd: dir,
      stdio: ['ignore', 'inherit', 'inherit'],
      // The project's .npmrc sets ignore-scripts (see scripts/build.mjs) and npm passes it down to
      // child processes; code-server's native modules need their install scripts.
      env: { ...process.env, npm_config_yes: 'true', npm_config_ignore_scripts: 'false' },
    });
    if (r.status !== 0 || !existsSync(codeServerBin())) {
      throw new Error(`npm install code-server@${CODE_SERVER_VERSION} failed (exit ${r.status}); it needs libkrb5-dev, pkg-config and ripgrep (scripts/ensure-system-deps.sh)`);
    }
    return codeServerBin();
  } finally {
    release();
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Installs a .vsix into an extensions dir with code-server's own installer. */
export async function installExtension(vsix: string, extensionsDir: string): Promise<void> {
  const bin = await ensureCodeServer();
  mkdirSync(extensionsDir, { recursive: true });
  const r = spawnSync(process.execPath, [bin, '--extensions-dir', extensionsDir, '--install-extension', vsix, '--force'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`code-server --install-extension ${vsix} failed:\n${r.stdout}\n${r.stderr}`);
}

export interface CodeServerOptions {
  extensionsDir: string;
  /** User settings merged over the harness defaults. */
  settings?: Record<string, unknown>;
  /** Keep workspace trust on (to test restricted mode). Default off. */
  workspaceTrust?: boolean;
  env?: Record<string, string>;
}

export interface RunningCodeServer {
  url: string;
  port: number;
  userDataDir: string;
  /** Everything code-server and the extension host printed. */
  output(): string;
  stop(): Promise<void>;
}

export async function startCodeServer(opts: CodeServerOptions): Promise<RunningCodeServer> {
  const bin = await ensureCodeServer();
  const userDataDir = mkdtempSync(join(tmpdir(), 'clusterlab-e2e-user-'));
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  const settings = {
    'workbench.startupEditor': 'none',
    'security.workspace.trust.enabled': opts.workspaceTrust ?? false,
    'telemetry.telemetryLevel': 'off',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'extensions.ignoreRecommendations': true,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'update.mode': 'none',
    'git.enabled': false,
    'editor.minimap.enabled': false,
    'window.commandCenter': false,
    'workbench.colorTheme': 'Default Dark Modern',
    ...opts.settings,
  };
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  const port = await freePort();
  let out = '';
  const child: ChildProcess = spawn(
    process.execPath,
    [bin, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--user-data-dir', userDataDir, '--extensions-dir', opts.extensionsDir, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override'].filter(
      (a) => !(opts.workspaceTrust && a === '--disable-workspace-trust'),
    ),
    { cwd: REPO_ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}:\n${out}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`code-server did not answer on ${url} within 30 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 150));
  }
  return {
    url,
    port,
    userDataDir,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.pid) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          /* already gone */
        }
        const t = setTimeout(() => {
          try {
            if (child.pid) process.kill(-child.pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }, 3000);
        await exited;
        clearTimeout(t);
      }
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
