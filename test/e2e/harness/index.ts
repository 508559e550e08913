// The reusable real-VS-Code harness: code-server 4.100.3 + Debian's headless Chromium.
//
//   const vs = await launchVSCode({ name: 'diagnostics', workspace });
//   await vs.workbench.runCommand('ClusterLab: Validate Config');
//   ...
//   await vs.close();
//
// The extension is built, packaged with vsce and installed with code-server's installer once per
// test process; every launch gets a fresh user-data-dir, settings and a free 127.0.0.1 port.
import { cpSync, mkdtempSync, rmSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { installExtension, startCodeServer, type RunningCodeServer } from './codeServer';
import { CACHE_DIR, REPO_ROOT } from './paths';
import { packageExtension } from './vsix';
import { Workbench } from './workbench';

export { Workbench, waitFor } from './workbench';
export type { Problem, TreeItem } from './workbench';
export { packageExtension, vsixFiles } from './vsix';
export { ensureCodeServer, CODE_SERVER_VERSION } from './codeServer';
export { REPO_ROOT, SCREENSHOT_DIR } from './paths';

export const CHROMIUM = process.env.CLUSTERLAB_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

let extensionsDir: string | undefined;

/** Packages and installs the extension once per test process; returns the extensions dir. */
export async function installedExtensionsDir(): Promise<string> {
  if (extensionsDir) return extensionsDir;
  const vsix = packageExtension();
  const dir = join(CACHE_DIR, `extensions-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  await installExtension(vsix, dir);
  extensionsDir = dir;
  process.once('exit', () => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(vsix, { force: true });
  });
  return dir;
}

/** Copies a folder (e.g. `examples/local`) to a fresh temp workspace the test may change. */
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
