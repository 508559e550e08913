// Runs the extension's smoke suite in a real VS Code desktop with @vscode/test-electron, for
// machines that have VS Code (or can download it). Usage: npm run test:electron
//
// VS Code is taken from CLUSTERLAB_VSCODE_EXECUTABLE, else downloaded by @vscode/test-electron
// into .vscode-test/. Where neither works (e.g. CI machines that reach only the npm registry),
// this says so plainly and exits 1; it never skips in silence. The same behaviour is covered on
// such machines by the code-server suite in test/e2e/.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, cpSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runTests, downloadAndUnzipVSCode } from '@vscode/test-electron';

const root = resolve(__dirname, '..', '..');

async function main(): Promise<number> {
  let executable = process.env.CLUSTERLAB_VSCODE_EXECUTABLE;
  if (executable && !existsSync(executable)) {
    console.error(`test:electron: CLUSTERLAB_VSCODE_EXECUTABLE=${executable} does not exist.`);
    return 1;
  }
  if (!executable) {
    try {
      executable = await downloadAndUnzipVSCode({ version: 'stable', cachePath: join(root, '.vscode-test') });
    } catch (e) {
      console.error(
        [
          'test:electron: NOT RUN: no VS Code desktop is available on this machine.',
          `  Downloading it failed: ${e instanceof Error ? e.message : String(e)}`,
          '  Set CLUSTERLAB_VSCODE_EXECUTABLE to a VS Code binary (e.g. /usr/share/code/code) to run this suite,',
          '  or run the real-VS-Code suite that works offline: node scripts/test.mjs e2e (code-server + Chromium).',
        ].join('\n'),
      );
      return 1;
    }
  }
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) return 1;
  const ws = mkdtempSync(join(tmpdir(), 'clusterlab-electron-'));
  cpSync(join(root, 'examples', 'local'), ws, { recursive: true, filter: (p) => !/\/(\.clusterlab|logs)(\/|$)/.test(p.slice(join(root, 'examples', 'local').length)) });
  try {
    return await runTests({
      vscodeExecutablePath: executable,
      extensionDevelopmentPath: root,
      extensionTestsPath: join(__dirname, 'suite', 'index.cjs'),
      launchArgs: [ws, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
    });
  } catch (e) {
    console.error(`test:electron: the suite failed: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
}

void main().then((code) => process.exit(code));
