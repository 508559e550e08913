// The reusable real-VS-Code harness: code-server 4.100.3 + Debian's headless Chromium.
//
//   const vs = await launchVSCode({ name: 'diagnostics', workspace });
//   await vs.workbench.runCommand('ClusterLab: Validate Config');
//   ...
//   await vs.close();
//
// The extension is built, packaged with vsce and installed with code-server's installer once per
// test process; every launch gets a fresh user-data-dir, settings and a free 127.0.0.1 port.
import { cpSync, mkdtempSync, rmSync, mkdirSync, writeFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { installExtension, startCodeServer, type RunningCodeServer } from './codeServer';
import { CACHE_DIR, REPO_ROOT } from './paths';
import { lock } from './lock';
import { packageExtension } from './vsix';
import { Workbench } from './workbench';
import { nodeYaml, type SshTestNode } from '../../harness/sshNodes';

export { Workbench, waitFor } from './workbench';
export type { Problem, TreeItem } from './workbench';
export { packageExtension, vsixFiles } from './vsix';
export { ensureCodeServer, CODE_SERVER_VERSION } from './codeServer';
export { REPO_ROOT, SCREENSHOT_DIR } from './paths';

export const CHROMIUM = process.env.CLUSTERLAB_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

let extensionsDir: string | undefined;

/** A key of what the .vsix is made of: the built bundles, the manifest and media. */
function buildKey(): string {
  const h = createHash('sha1');
  const add = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) add(p);
      else if (!name.endsWith('.map')) h.update(`${p}\0${st.size}\0${st.mtimeMs}\0`);
    }
  };
  for (const f of ['package.json', 'README.md', '.vscodeignore', 'dist/extension.js']) {
    const p = join(REPO_ROOT, f);
    if (existsSync(p)) h.update(`${f}\0${readFileSync(p).length}\0${statSync(p).mtimeMs}\0`);
  }
  add(join(REPO_ROOT, 'dist', 'webview'));
  add(join(REPO_ROOT, 'media'));
  add(join(REPO_ROOT, 'schemas'));
  return h.digest('hex').slice(0, 16);
}

/**
 * Packages and installs the extension once per build: test processes share the installed
 * copy under .vscode-test/extensions-<key>/ (older keys are removed).
 */
export async function installedExtensionsDir(): Promise<string> {
  if (extensionsDir) return extensionsDir;
  if (!process.env.CLUSTERLAB_SKIP_BUILD) packageExtension(); // builds first, so the key sees the new bundle
  const key = buildKey();
  const dir = join(CACHE_DIR, `extensions-${key}`);
  const release = await lock(join(CACHE_DIR, 'extensions.lock'));
  try {
    if (!existsSync(join(dir, '.complete'))) {
      // Old builds' copies (an hour unused: another test process may still be using a recent one).
      for (const old of readdirSync(CACHE_DIR)) {
        const p = join(CACHE_DIR, old);
        if (old.startsWith('extensions-') && Date.now() - statSync(p).mtimeMs > 3_600_000) rmSync(p, { recursive: true, force: true });
      }
      const vsix = packageExtension();
      await installExtension(vsix, dir);
      rmSync(vsix, { force: true });
      writeFileSync(join(dir, '.complete'), new Date().toISOString());
    }
  } finally {
    release();
  }
  extensionsDir = dir;
  return dir;
}

/** Copies a folder (e.g. `examples/local`) to a fresh temp workspace the test may change. */
/**
 * cluster.yaml of the e2e tests' mixed cluster: this machine as `host` (2 instances) and the sshd
 * node `n` as a Raspberry Pi (1 instance) working in `workDir`, running the demo's
 * experiment_runner.py; `runExtra` adds lines under `run:` (indented by the caller).
 */
export function mixedClusterYaml(n: SshTestNode, workDir: string, runExtra: string[] = []): string {
  return [
    'cluster:',
    '  name: mixed',
    'nodes:',
    '  - name: host',
    '    type: host',
    '    ram_gb: 16',
    '    max_instances: 2',
    ...nodeYaml(n, { type: 'raspberry_pi', ram_gb: 8, max_instances: 1, remote_work_dir: workDir }),
    'run:',
    '  command: python3 experiment_runner.py --config {experiment_config_path} --instance {instance_id}',
    ...runExtra,
    '',
  ].join('\n');
}

export function copyWorkspace(from: string, prefix = 'clusterlab-ws-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const src = join(REPO_ROOT, from);
  if (!existsSync(src)) throw new Error(`workspace template ${from} does not exist`);
  // Leave out state a previous run left in the template (runs, fetched logs).
  const skip = new Set(['.clusterlab', 'logs', 'node_modules']);
  cpSync(src, dir, { recursive: true, filter: (p) => !skip.has(p.slice(src.length + 1).split('/')[0] ?? '') });
  return dir;
}

/** An empty temp folder, with optional files ({ 'a/b.yaml': '...' }). */
export function makeWorkspace(files: Record<string, string> = {}, prefix = 'clusterlab-ws-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const [rel, text] of Object.entries(files)) {
    const p = join(dir, rel);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, text);
  }
  return dir;
}

export interface LaunchOptions {
  /** Used in screenshot names. */
  name: string;
  workspace: string;
  settings?: Record<string, unknown>;
  workspaceTrust?: boolean;
  env?: Record<string, string>;
  viewport?: { width: number; height: number };
}

export interface VSCode {
  workbench: Workbench;
  codeServer: RunningCodeServer;
  browser: Browser;
  close(): Promise<void>;
}

export async function launchVSCode(opts: LaunchOptions): Promise<VSCode> {
  const extDir = await installedExtensionsDir();
  const codeServer = await startCodeServer({ extensionsDir: extDir, settings: opts.settings, workspaceTrust: opts.workspaceTrust, env: opts.env });
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1400, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${codeServer.url}/?folder=${encodeURIComponent(opts.workspace)}`, { waitUntil: 'domcontentloaded' });
    const workbench = new Workbench(page, opts.name);
    await workbench.ready();
    const b = browser;
    return {
      workbench,
      codeServer,
      browser: b,
      close: async () => {
        await b.close().catch(() => undefined);
        await codeServer.stop();
      },
    };
  } catch (e) {
    await browser?.close().catch(() => undefined);
    const out = codeServer.output();
    await codeServer.stop();
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- code-server output ---\n${out.slice(-4000)}`);
  }
}
